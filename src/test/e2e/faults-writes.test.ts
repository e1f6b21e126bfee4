import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultWorld, type FaultTargetName, type FaultWorld } from '../fault-world.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

/**
 * Writes meet a connection reset after the orchestrator acted on them. A trigger carries a run id the
 * orchestrator deduplicates (Airflow dag_run_id, Prefect idempotency_key), so it is sent again and still
 * starts one run; Dagster has no such key for launchRun, so its mutation is sent once, and the run it
 * started is then looked up so that the answer and the audit say so.
 */

const TRIGGER_PATH: Record<FaultTargetName, RegExp> = {
  airflow: /\/api\/v2\/dags\/[^/]+\/dagRuns$/,
  'airflow-legacy': /\/api\/v1\/dags\/[^/]+\/dagRuns$/,
  dagster: /\/graphql$/,
  prefect: /\/deployments\/[^/]+\/create_flow_run$/,
};

describe('a write whose answer is lost', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  const audit = join(mkdtempSync(join(tmpdir(), 'pm-fault-writes-')), 'audit.jsonl');
  const readAudit = () =>
    readFileSync(audit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            pipeline: string;
            decision: string;
            run_id: string | null;
            reason: string | null;
          },
      );
  before(async () => {
    world = await startFaultWorld();
    const config = world.writeConfig({
      triggers: { enabled: true, confirm: 'never', cooldown_seconds: 0, audit_log: audit },
    });
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config, PIPELINE_MONITOR_CACHE_TTL_MS: '0' });
  });
  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  /** A pipeline of that orchestrator that may be triggered now: not paused, nothing queued or running. */
  async function idlePipeline(name: FaultTargetName): Promise<string> {
    const list = await mcp.call('list_all_pipelines', { orchestrator: name, status: 'success', limit: 50 });
    const ids = (list.structured?.pipelines as { pipeline_id: string; paused: boolean }[])
      .filter((p) => !p.paused)
      .map((p) => `${name}:${p.pipeline_id}`);
    assert.ok(ids.length > 0, `${name} has an idle pipeline`);
    return ids[ids.length - 1] as string;
  }

  for (const name of ['airflow', 'airflow-legacy', 'prefect'] as const) {
    test(`${name}: a keyed trigger is sent again after a reset and starts one run`, async () => {
      const pipeline_id = await idlePipeline(name);
      const target = world.target(name);
      const runsBefore = target.world.runs.length;
      world.reset();
      target.faults.add({ method: 'POST', path: TRIGGER_PATH[name], kind: 'reset', times: 1 });
      const answer = await mcp.call('trigger_pipeline', { pipeline_id, reason: 'fault test' });
      assert.equal(answer.isError, false, answer.text);
      assert.ok(['started', 'already_started'].includes(answer.structured?.status as string), answer.text);
      const posts = target.faults.arrivals.filter(
        (a) => a.method === 'POST' && TRIGGER_PATH[name].test(a.path),
      );
      assert.equal(posts.length, 2, 'sent, reset, sent again');
      assert.equal(target.world.runs.length, runsBefore + 1, 'one run started');
      world.reset();
    });
  }

  test('dagster: launchRun has no key the server honours, so it is sent once; the run it started is found and audited', async () => {
    const pipeline_id = await idlePipeline('dagster');
    const target = world.target('dagster');
    const runsBefore = target.world.runs.length;
    world.reset();
    target.faults.add({
      method: 'POST',
      body: /"operationName":"MonitorLaunchRun"/,
      kind: 'reset',
      times: 1,
    });
    const answer = await mcp.call('trigger_pipeline', { pipeline_id, reason: 'fault test' });
    const launches = target.requests.filter(
      (r) => (r as { operationName?: string }).operationName === 'MonitorLaunchRun',
    );
    assert.equal(target.faults.hits.length, 1, 'the launch met the reset');
    assert.equal(launches.length, 1, 'sent once');
    assert.equal(
      target.world.runs.length,
      runsBefore + 1,
      'Dagster started the run before the answer was lost',
    );
    assert.equal(answer.isError, false, answer.text);
    assert.equal(answer.structured?.status, 'started');
    const started = target.world.runs[target.world.runs.length - 1] as { runId?: string; run_id?: string };
    const runView = answer.structured?.run as { run_id: string } | null;
    assert.ok(
      runView && [started.runId, started.run_id].includes(runView.run_id),
      'the answer names that run',
    );
    const outcome = readAudit()
      .filter((e) => e.pipeline === pipeline_id && e.decision !== 'intent')
      .pop();
    assert.equal(outcome?.decision, 'accepted', 'audited as started, not failed');
    assert.equal(outcome?.run_id, runView?.run_id);
    assert.match(String(outcome?.reason), /answer was lost/);
    world.reset();
  });
});
