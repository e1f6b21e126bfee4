import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
  type World,
} from '../../emulators/world/index.js';
import { FAULT_TARGETS, startFaultWorld, type FaultTargetName, type FaultWorld } from '../fault-world.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

/**
 * A 50 MB task log on every orchestrator, read through the real server: a bounded tail, fast, with the
 * server's memory bounded. (Invalid UTF-8 inside logs: faults.test.ts.)
 */

const LOG_BYTES = 50 * 1024 * 1024;
/** A failed pipeline of each demo world (the world's DAG id is the pipeline id on every orchestrator). */
const FAILED: Record<FaultTargetName, string> = {
  airflow: 'sync_inventory',
  'airflow-legacy': 'sftp_partner_drop',
  dagster: 'customer_ltv_assets',
  prefect: 'sync-hubspot/hourly',
};

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe('a 50 MB log, through the server', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  let startRss = 0;
  before(async () => {
    const now = new Date();
    const worlds: Record<FaultTargetName, World> = {
      airflow: createDemoWorld({ now }),
      'airflow-legacy': createAirflow2DemoWorld({ now }),
      dagster: createDagsterDemoWorld({ now }),
      prefect: createPrefectDemoWorld({ now }),
    };
    // Every line of operator output is ~140 bytes as the APIs render it (as src/bench/big-log.ts sizes it).
    for (const name of FAULT_TARGETS) {
      const dag = worlds[name].dag(FAILED[name]);
      assert.ok(dag, `${name} has ${FAILED[name]}`);
      for (const task of dag.tasks) (task as { log_lines: number }).log_lines = Math.ceil(LOG_BYTES / 140);
    }
    world = await startFaultWorld(now, worlds);
    const config = world.writeConfig({ call_timeout_seconds: 50 });
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config, PIPELINE_MONITOR_CACHE_TTL_MS: '0' });
    assert.ok(mcp.pid !== null);
    startRss = rssMiB(mcp.pid, 'VmRSS');
  });
  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  for (const name of FAULT_TARGETS) {
    test(`${name}: the tail of a 50 MB log, bounded and fast`, async (t) => {
      const pipeline_id = `${name}:${FAILED[name]}`;
      const status = await mcp.call('get_pipeline_status', { pipeline_id });
      assert.equal(status.isError, false, status.text);
      const run_id = (status.structured?.latest_run as { run_id: string }).run_id;
      const started = Date.now();
      const logs = await mcp.call('get_task_logs', { pipeline_id, run_id });
      const took = Date.now() - started;
      assert.equal(logs.isError, false, logs.text);
      const out = logs.structured as { lines: string[]; truncated: boolean; bytes_read: number };
      assert.equal(out.truncated, true);
      assert.ok(out.lines.length > 0 && out.lines.length <= 200);
      assert.ok(Buffer.byteLength(logs.text) < 64 * 1024, 'a bounded answer');
      assert.ok(took < 20_000, `took ${took} ms`);
      const peak = rssMiB(mcp.pid as number, 'VmHWM');
      t.diagnostic(
        `${name}: ${took} ms, ${out.bytes_read} bytes read, ${out.lines.length} lines returned, server peak RSS ${peak.toFixed(0)} MiB (started at ${startRss.toFixed(0)})`,
      );
      assert.ok(peak - startRss < 150, `server memory grew by ${(peak - startRss).toFixed(0)} MiB`);
    });
  }
});
