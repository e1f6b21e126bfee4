import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultWorld, type FaultWorld } from '../fault-world.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

/**
 * Hostile tool input over stdio, for every tool the server offers (write tools included) and every argument
 * its input schema declares: wrong types, 1 MB strings, and ids with traversal, percent-encoding, NUL,
 * bidi and zero-width characters or past any orchestrator's length. Each is refused with a clear tool error
 * before any request reaches an orchestrator (counted at all four emulators). Extends bad-input.test.ts,
 * which covers the common cases tool by tool.
 */

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

const MB = 'x'.repeat(1024 * 1024);

/** Values no orchestrator id can be, and that would be dangerous in a URL path. */
const HOSTILE_IDS = [
  '..',
  '.',
  '../../etc/passwd',
  'a/../b',
  './a',
  '%2e%2e',
  '%2e%2e%2fadmin',
  'a%2Fb',
  '%2F',
  'dag\u0000id',
  '\u0000',
  'dag\u202eid',
  '\u202egnp.exe',
  'dag\u2066id',
  'dag\u200bid',
  'dag\ufeffid',
  'dag\u00adid',
  'dag\nid',
  'dag\rid',
  'dag\u2028id',
  'dag\\..\\id',
  ' dag',
  'dag ',
  'x'.repeat(251),
  'x'.repeat(300),
  'x'.repeat(301),
  'x'.repeat(5000),
  MB,
];

/** Arguments whose value is an id or a name the server checks itself (not a free-text filter). */
const ID_FIELDS = new Set(['pipeline_id', 'run_id', 'task_id', 'orchestrator', 'cursor']);

function wrongTypes(schema: JsonSchema): unknown[] {
  if (schema.enum) return ['nope', 42, null, ['failed']];
  switch (schema.type) {
    case 'string':
      return [42, 0, true, null, [], ['a'], {}, { $ne: '' }];
    case 'integer':
      return ['5', 1.5, -1, 1e15, null, true, [1], {}];
    case 'number':
      return ['24', -1, 0, 1e12, null, false, [24], {}];
    case 'object':
      return ['x', [], 42, null, true];
    default:
      return [];
  }
}

describe('hostile input is refused before any upstream request', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  let tools: { name: string; inputSchema: JsonSchema }[] = [];
  const valid: Record<string, unknown> = {};
  const figures: string[] = [];

  /** Requests that reached any orchestrator so far. */
  const upstream = () => world.targets.reduce((n, t) => n + t.faults.arrivals.length, 0);

  /** Calls with the arguments; a refusal is a tool error (or the protocol's invalid-params error). */
  async function refused(tool: string, args: Record<string, unknown>): Promise<string | null> {
    try {
      const answer = await mcp.call(tool, args);
      return answer.isError ? answer.text : null;
    } catch (error) {
      const e = error as { code?: number; message?: string };
      assert.equal(e.code, -32602, `${tool}: only invalid params may fail at the protocol level`);
      return e.message ?? 'invalid params';
    }
  }

  /** The tool's required arguments with good values, plus `field` set to `value`. */
  function argsWith(schema: JsonSchema, field: string, value: unknown): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    for (const name of schema.required ?? []) args[name] = valid[name];
    args[field] = value;
    return args;
  }

  before(async () => {
    world = await startFaultWorld();
    const audit = join(mkdtempSync(join(tmpdir(), 'pm-hostile-')), 'audit.jsonl');
    const config = world.writeConfig({ triggers: { enabled: true, audit_log: audit } });
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config });
    tools = (await mcp.client.listTools()).tools as typeof tools;
    const status = await mcp.call('get_pipeline_status', { pipeline_id: 'airflow:sync_inventory' });
    const runId = (status.structured?.latest_run as { run_id: string }).run_id;
    Object.assign(valid, {
      pipeline_id: 'airflow:sync_inventory',
      run_id: runId,
      task_id: 'fetch_inventory_snapshot',
    });
    world.reset();
  });
  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  test('every tool is covered, write tools included', () => {
    const names = tools.map((t) => t.name).sort();
    for (const name of [
      'get_task_logs',
      'list_all_pipelines',
      'trigger_pipeline',
      'cancel_run',
      'rerun_failed_tasks',
    ])
      assert.ok(names.includes(name), name);
    assert.ok(names.length >= 10);
  });

  test('wrong types, in every argument of every tool', async () => {
    let calls = 0;
    for (const tool of tools) {
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        for (const value of wrongTypes(schema)) {
          const before = upstream();
          const why = await refused(tool.name, argsWith(tool.inputSchema, field, value));
          assert.ok(why, `${tool.name}.${field} = ${JSON.stringify(value)} was accepted`);
          assert.match(why, /Invalid|invalid|expected|Too (big|small)|must/, `${tool.name}.${field}: ${why}`);
          assert.equal(
            upstream(),
            before,
            `${tool.name}.${field} = ${JSON.stringify(value)} reached upstream`,
          );
          calls++;
        }
      }
      // A required argument missing.
      for (const field of tool.inputSchema.required ?? []) {
        const args = argsWith(tool.inputSchema, field, undefined);
        delete args[field];
        assert.ok(await refused(tool.name, args), `${tool.name} without ${field}`);
        calls++;
      }
    }
    figures.push(`wrong types and missing arguments: ${calls} calls refused, 0 upstream requests`);
  });

  test('a 1 MB string in every string argument of every tool', async () => {
    let calls = 0;
    for (const tool of tools) {
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        if (schema.type !== 'string') continue;
        const before = upstream();
        const why = await refused(tool.name, argsWith(tool.inputSchema, field, MB));
        assert.ok(why, `${tool.name}.${field}: 1 MB accepted`);
        assert.match(why, /Too big|too long|Invalid option/);
        assert.equal(upstream(), before);
        calls++;
      }
    }
    figures.push(`1 MB strings: ${calls} calls refused, 0 upstream requests`);
  });

  test('hostile ids in every id argument of every tool, bare and qualified', async () => {
    let calls = 0;
    for (const tool of tools) {
      for (const field of Object.keys(tool.inputSchema.properties ?? {})) {
        if (!ID_FIELDS.has(field)) continue;
        const values =
          field === 'pipeline_id' ? HOSTILE_IDS.flatMap((v) => [v, `airflow:${v}`]) : HOSTILE_IDS;
        for (const value of values) {
          const before = upstream();
          const why = await refused(tool.name, argsWith(tool.inputSchema, field, value));
          assert.ok(why, `${tool.name}.${field} = ${JSON.stringify(value.slice(0, 40))} was accepted`);
          assert.ok(why.length < 2000, 'the refusal does not echo a huge value');
          assert.ok(
            !['\u0000', '\u202e', '\u2066', '\u200b', '\ufeff'].some((c) => why.includes(c)),
            'the refusal does not echo hidden characters',
          );
          assert.equal(
            upstream(),
            before,
            `${tool.name}.${field} = ${JSON.stringify(value.slice(0, 40))} reached upstream`,
          );
          calls++;
        }
      }
    }
    figures.push(`hostile ids: ${calls} calls refused, 0 upstream requests`);
  });

  test('free-text filters with hostile characters are answered or refused, never a crash, and nothing is written', async (t) => {
    let calls = 0;
    for (const tool of tools) {
      for (const field of ['owner', 'tag', 'search', 'reason', 'idempotency_key', 'confirmation_token']) {
        if (!tool.inputSchema.properties?.[field]) continue;
        for (const value of [
          '..',
          '%2e%2e',
          'a\u0000b',
          'a\u202eb',
          'a\u200bb',
          '<script>',
          '${HOME}',
          'x'.repeat(200),
        ]) {
          const args = argsWith(tool.inputSchema, field, value);
          const answer = await mcp.call(tool.name, args).catch((error: { code?: number }) => {
            assert.equal(error.code, -32602);
            return null;
          });
          if (answer?.isError === false && tool.name !== 'trigger_pipeline') {
            assert.ok(answer.structured, `${tool.name}.${field}: a structured answer`);
          }
          calls++;
        }
      }
    }
    const writes = world.targets.flatMap((w) =>
      w.faults.arrivals.filter((a) => a.method !== 'GET' && !/filter|list|graphql|count|token/.test(a.path)),
    );
    assert.deepEqual(writes, [], 'no write reached an orchestrator (previews only, no confirmation)');
    t.diagnostic(`free-text arguments: ${calls} calls answered or refused, 0 writes`);
    for (const line of figures) t.diagnostic(line);
  });

  test('the server is still alive and answering', async () => {
    process.kill(mcp.pid as number, 0);
    const answer = await mcp.call('get_pipeline_status', { pipeline_id: 'airflow:sync_inventory' });
    assert.equal(answer.isError, false, answer.text);
  });
});
