import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FaultRule } from '../../emulators/faults/index.js';
import { FAULT_TARGETS, startFaultWorld, type FaultTargetName, type FaultWorld } from '../fault-world.js';
import { connectCli, type McpSession, type ToolAnswer } from '../mcp-harness.js';

/**
 * Transport faults injected in front of each emulator, answered through the real server (the built CLI over
 * stdio): every answer must be correct (retried to success, same data as without the fault), partial (a list
 * naming the orchestrator that failed) or a clear error (isError naming the orchestrator, with a hint), in
 * bounded time. Anything else — a thrown protocol error, a hang, a wrong answer — is a crash.
 */

const CALL_TIMEOUT_S = 6;
const REQUEST_TIMEOUT_S = 1;
/** Longest a faulted call may take: the call budget plus the client's and the process's own slack. */
const BOUND_MS = CALL_TIMEOUT_S * 1000 + 2000;

type Outcome = 'correct' | 'partial' | 'clear error' | 'crash';

interface FaultKind {
  label: string;
  /** The rule put in front of the faulted orchestrator(s) for one call (copied per call). */
  rule: (target: FaultTargetName) => FaultRule;
  /** Faulted answers whose data may differ from the baseline: replacement characters in place of bytes. */
  replaces?: boolean;
}

interface Case {
  tool: string;
  args: Record<string, unknown>;
  /** The orchestrators the fault is put in front of. */
  faulted: readonly FaultTargetName[];
}

/** The answer without what moves with the clock (the window start, "running for 2 h 5 min"). */
function stable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\b\d+ (h|min|s)\b/g, 'N $1');
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'since')
      .map(([k, v]) => [k, stable(v)]),
  );
}

describe('fault injection through the real server', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  const needles = new Map<FaultTargetName, string>();
  const cases: Case[] = [];
  const baseline = new Map<string, ToolAnswer>();
  const figures = new Map<string, Record<Outcome, number> & { calls: number; maxMs: number }>();
  const notes: string[] = [];

  const KINDS: FaultKind[] = [
    { label: 'HTTP 500', rule: () => ({ kind: 'status', status: 500 }) },
    { label: 'HTTP 502 once', rule: () => ({ kind: 'status', status: 502, times: 1 }) },
    { label: 'HTTP 503 once', rule: () => ({ kind: 'status', status: 503, times: 1 }) },
    { label: 'HTTP 503 always', rule: () => ({ kind: 'status', status: 503 }) },
    { label: 'HTML 502 page once', rule: () => ({ kind: 'status', status: 502, html: true, times: 1 }) },
    { label: 'HTML 500 page always', rule: () => ({ kind: 'status', status: 500, html: true }) },
    { label: '429 Retry-After: 1 (s)', rule: () => ({ kind: 'retry-after', seconds: 1, times: 1 }) },
    {
      label: '429 Retry-After: HTTP-date +2 s',
      rule: () => ({ kind: 'retry-after', seconds: 2, format: 'date', times: 1 }),
    },
    { label: '429 Retry-After: 120 (s) always', rule: () => ({ kind: 'retry-after', seconds: 120 }) },
    { label: 'hung connection', rule: () => ({ kind: 'hang' }) },
    { label: 'reset mid-body once', rule: () => ({ kind: 'reset', times: 1 }) },
    { label: 'reset mid-body always', rule: () => ({ kind: 'reset' }) },
    { label: 'malformed JSON (cut short)', rule: () => ({ kind: 'truncate', times: 1 }) },
    {
      label: 'invalid UTF-8 in bodies and logs',
      rule: (t) => ({ kind: 'invalid-utf8', needle: needles.get(t) ?? 'zzzz' }),
      replaces: true,
    },
  ];

  const key = (c: Case) => `${c.tool} ${JSON.stringify(c.args)}`;

  async function call(c: Case): Promise<{ answer: ToolAnswer | null; ms: number; thrown?: unknown }> {
    const started = Date.now();
    try {
      const answer = await mcp.call(c.tool, c.args);
      return { answer, ms: Date.now() - started };
    } catch (thrown) {
      return { answer: null, ms: Date.now() - started, thrown };
    }
  }

  /**
   * The demo worlds move with the clock (a scheduled run appears on the hour): an answer that differs from the
   * stored baseline is compared again with a fresh one, asked without the fault.
   */
  async function sameAsBaseline(c: Case, structured: unknown): Promise<boolean> {
    const same = () => isDeepStrictEqual(stable(structured), stable(baseline.get(key(c))?.structured));
    if (same()) return true;
    baseline.set(key(c), await mcp.call(c.tool, c.args));
    return same();
  }

  async function classify(c: Case, kind: FaultKind, r: Awaited<ReturnType<typeof call>>): Promise<Outcome> {
    const why = (what: string) => {
      notes.push(`${kind.label} / ${c.tool} on ${c.faulted.join('+')}: ${what}`);
      return 'crash' as const;
    };
    if (!r.answer) return why(`threw ${String(r.thrown)}`);
    if (r.ms > BOUND_MS) return why(`took ${r.ms} ms`);
    const { answer } = r;
    if (answer.isError) {
      const named = c.faulted.some((o) => answer.text.includes(o));
      return named && /\nHint: \S/.test(answer.text) ? 'clear error' : why(`unclear error: ${answer.text}`);
    }
    if (!answer.structured) return why('no structured content');
    const unavailable = (answer.structured.unavailable ?? []) as { orchestrator: string; reason: string }[];
    if (unavailable.length > 0) {
      const named = unavailable.every(
        (u) => c.faulted.includes(u.orchestrator as FaultTargetName) && u.reason.includes(u.orchestrator),
      );
      return named && answer.text.includes('did not answer') ? 'partial' : why('unavailable not named');
    }
    const replaced = JSON.stringify(answer.structured).includes('\ufffd');
    // The word broken is one of the log's last lines: the log tail must show the replacement characters.
    if (kind.replaces && c.tool === 'get_task_logs' && !replaced) return why('no replacement characters');
    if (await sameAsBaseline(c, answer.structured)) return 'correct';
    if (kind.replaces && replaced) return 'correct';
    return why(`answer differs from the baseline: ${answer.text.slice(0, 300)}`);
  }

  function record(kind: FaultKind, outcome: Outcome, ms: number) {
    const row = figures.get(kind.label) ?? {
      calls: 0,
      correct: 0,
      partial: 0,
      'clear error': 0,
      crash: 0,
      maxMs: 0,
    };
    row.calls++;
    row.maxMs = Math.max(row.maxMs, ms);
    row[outcome]++;
    figures.set(kind.label, row);
  }

  /** One call with the fault in front of its orchestrator(s), then the fault removed. */
  async function faulted(c: Case, kind: FaultKind): Promise<Outcome> {
    for (const name of c.faulted) world.target(name).faults.add(kind.rule(name));
    const r = await call(c);
    for (const name of c.faulted) world.target(name).faults.clear();
    const outcome = await classify(c, kind, r);
    record(kind, outcome, r.ms);
    return outcome;
  }

  before(async () => {
    world = await startFaultWorld();
    const config = world.writeConfig(
      { call_timeout_seconds: CALL_TIMEOUT_S },
      {
        timeout_seconds: REQUEST_TIMEOUT_S,
        // The breaker is tested on its own below; here every call must meet the fault itself.
        resilience: { retries: 2, retry_after_max_seconds: 5, circuit_breaker: { failures: 0 } },
      },
    );
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config, PIPELINE_MONITOR_CACHE_TTL_MS: '0' });

    for (const tool of ['list_all_pipelines', 'list_failed_pipelines', 'get_health_summary'] as const) {
      const args = tool === 'list_all_pipelines' ? { limit: 500 } : { hours: 24 };
      cases.push({ tool, args, faulted: FAULT_TARGETS });
    }
    for (const name of FAULT_TARGETS) {
      const failed = await mcp.call('list_failed_pipelines', { hours: 24, orchestrator: name });
      const first = (failed.structured?.failed_pipelines as { pipeline_id: string }[])[0];
      assert.ok(first, `${name} has a failed pipeline`);
      const pipeline_id = `${name}:${first.pipeline_id}`;
      const status = await mcp.call('get_pipeline_status', { pipeline_id });
      const run_id = (status.structured?.latest_run as { run_id: string }).run_id;
      cases.push(
        { tool: 'get_pipeline_status', args: { pipeline_id }, faulted: [name] },
        { tool: 'get_pipeline_history', args: { pipeline_id, limit: 10 }, faulted: [name] },
        { tool: 'get_run_details', args: { pipeline_id, run_id }, faulted: [name] },
        { tool: 'get_task_logs', args: { pipeline_id, run_id }, faulted: [name] },
      );
      // A lowercase word of the log (sent as is in any body; not part of an exception name), to turn into invalid UTF-8.
      const logs = await mcp.call('get_task_logs', { pipeline_id, run_id });
      const words = ((logs.structured?.lines as string[]) ?? []).join(' ').match(/\b[a-z]{6,}\b/g) ?? [];
      needles.set(name, words.sort((a, b) => b.length - a.length)[0] ?? 'zzzz');
    }
    for (const c of cases) baseline.set(key(c), await mcp.call(c.tool, c.args));
    for (const [k, answer] of baseline) assert.equal(answer.isError, false, `${k}: ${answer.text}`);
  });

  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  for (const kind of KINDS) {
    test(kind.label, async () => {
      const lists = cases.filter((c) => c.faulted.length > 1);
      for (const c of lists) await faulted(c, kind);
      // One orchestrator each, so the four run at once without meeting each other's faults.
      for (const tool of [
        'get_pipeline_status',
        'get_pipeline_history',
        'get_run_details',
        'get_task_logs',
      ]) {
        await Promise.all(cases.filter((c) => c.tool === tool).map((c) => faulted(c, kind)));
      }
      world.reset();
      const row = figures.get(kind.label);
      assert.equal(row?.crash, 0, notes.filter((n) => n.startsWith(kind.label)).join('\n'));
    });
  }

  test('Retry-After is waited for as asked (seconds and HTTP-date), within the cap', async () => {
    const target = world.target('prefect');
    const c = cases.find((x) => x.tool === 'get_pipeline_status' && x.faulted[0] === 'prefect') as Case;
    const waits: string[] = [];
    for (const rule of [
      { kind: 'retry-after', seconds: 1, times: 1 },
      { kind: 'retry-after', status: 503, seconds: 2, format: 'date', times: 1 },
    ] as FaultRule[]) {
      world.reset();
      target.faults.add(rule);
      const answer = await mcp.call(c.tool, c.args);
      assert.equal(answer.isError, false, answer.text);
      const hit = target.faults.hits[0];
      assert.ok(hit);
      const next = target.faults.arrivals.find((a) => a.at > hit.at);
      assert.ok(next, 'the request was repeated');
      const waited = next.at - hit.at;
      if (rule.kind === 'retry-after' && rule.format === 'date') {
        // An HTTP-date has whole seconds: the retry comes at that second, 1 to 2 s after the answer.
        assert.ok(waited >= 900 && waited < 2600, `waited ${waited} ms for a date 2 s ahead`);
      } else assert.ok(waited >= 990 && waited < 1600, `waited ${waited} ms for Retry-After: 1`);
      waits.push(
        `${rule.kind === 'retry-after' && rule.format === 'date' ? 'HTTP-date +2 s' : '1 s'}: waited ${waited} ms`,
      );
    }
    world.reset();
    notes.push(...waits.map((w) => `Retry-After ${w}`));
  });

  test('a hung orchestrator: single calls end in the request timeout, lists name it, all within the budget', async () => {
    world.target('dagster').faults.add({ kind: 'hang' });
    const started = Date.now();
    const list = await mcp.call('list_failed_pipelines', { hours: 24 });
    const listMs = Date.now() - started;
    assert.equal(list.isError, false);
    assert.deepEqual(
      (list.structured?.unavailable as { orchestrator: string }[]).map((u) => u.orchestrator),
      ['dagster'],
    );
    assert.ok(listMs < REQUEST_TIMEOUT_S * 1000 + 1500, `list answered in ${listMs} ms`);
    const hits = world.target('dagster').faults.hits;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(
      hits.length > 0 && hits.every((h) => h.clientClosedAt !== undefined),
      'every hung request closed',
    );
    world.reset();
  });

  test('a cancelled call aborts its upstream request: the emulator sees the connection close', async () => {
    const target = world.target('airflow');
    const c = cases.find((x) => x.tool === 'get_run_details' && x.faulted[0] === 'airflow') as Case;
    target.faults.add({ kind: 'hang' });
    const controller = new AbortController();
    const pending = mcp.client.callTool({ name: c.tool, arguments: c.args }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const cancelledAt = Date.now();
    controller.abort();
    await assert.rejects(pending);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const hit = target.faults.hits[0];
    assert.ok(hit?.clientClosedAt !== undefined, 'the hung request was closed');
    const afterCancel = hit.clientClosedAt - cancelledAt;
    // Well before the request's own timeout (1 s after it started) would have closed it.
    assert.ok(
      afterCancel >= 0 && hit.clientClosedAt - hit.at < REQUEST_TIMEOUT_S * 1000 - 300,
      `closed ${afterCancel} ms after the cancellation`,
    );
    notes.push(`cancellation: the upstream connection closed ${afterCancel} ms after the client cancelled`);
    world.reset();
    const again = await mcp.call(c.tool, c.args);
    assert.equal(again.isError, false, again.text);
  });

  test('figures, and the server is still alive and answering', async (t) => {
    assert.ok(mcp.pid !== null);
    process.kill(mcp.pid, 0); // throws when the process is gone
    const answer = await mcp.call('list_all_pipelines', { limit: 500 });
    assert.ok(await sameAsBaseline(cases[0] as Case, answer.structured));
    const rows = [...figures.entries()];
    const total = { calls: 0, correct: 0, partial: 0, 'clear error': 0, crash: 0 };
    t.diagnostic('fault kind | calls | correct | partial (names it) | clear error | crash | slowest call');
    for (const [label, row] of rows) {
      t.diagnostic(
        `${label} | ${row.calls} | ${row.correct} | ${row.partial} | ${row['clear error']} | ${row.crash} | ${row.maxMs} ms`,
      );
      for (const k of ['calls', 'correct', 'partial', 'clear error', 'crash'] as const) total[k] += row[k];
    }
    t.diagnostic(
      `total | ${total.calls} | ${total.correct} | ${total.partial} | ${total['clear error']} | ${total.crash} |`,
    );
    for (const note of notes) t.diagnostic(note);
    assert.equal(rows.length, KINDS.length);
    assert.equal(total.crash, 0);
  });
});
