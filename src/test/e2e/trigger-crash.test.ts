import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { connectCli } from '../mcp-harness.js';

const readAudit = (path: string) => {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { decision: string; run_id: string | null; id: string });
  } catch {
    return [];
  }
};

async function until<T>(what: string, probe: () => T | undefined | false, ms = 45_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

test('killed between intent and outcome: after a restart, no duplicate run and the outcome is reconciled', async () => {
  const world = createDemoWorld();
  let postArrived = false;
  // Called as each request arrives: the trigger POST is held for 1.5 s, long enough to kill the server mid-call.
  const slowTrigger = (req: { method: string; path: string }) => {
    if (req.method !== 'POST' || !req.path.endsWith('/dags/daily_sales_etl/dagRuns')) return 0;
    postArrived = true;
    return 1500;
  };
  const emulator = await startAirflowEmulator({
    world,
    users: [{ username: 'u', password: 'crash-pass' }],
    latencyMs: slowTrigger,
  });
  const dir = mkdtempSync(join(tmpdir(), 'pm-crash-'));
  const auditPath = join(dir, 'audit.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `orchestrators:\n  - { name: af, type: airflow, url: "${emulator.url}", auth: { username: u, password: crash-pass } }\ntriggers: { enabled: true, confirm: never, audit_log: "${auditPath}" }\n`,
  );
  const runsBefore = world.runsOf('daily_sales_etl').length;
  try {
    const first = await connectCli({}, ['--config', config]);
    const pending = first.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' }).catch(() => undefined);
    await until('the intent', () => readAudit(auditPath).some((e) => e.decision === 'intent'));
    await until('the trigger request at the orchestrator', () => postArrived);
    process.kill(first.pid ?? 0, 'SIGKILL');
    await pending;
    await first.close().catch(() => undefined);
    // The orchestrator still accepts the request that was in flight.
    await until('the run in the emulator', () => world.runsOf('daily_sales_etl').length === runsBefore + 1);
    assert.deepEqual(
      readAudit(auditPath).map((e) => e.decision),
      ['intent'],
      'no outcome was written before the kill',
    );

    const second = await connectCli({}, ['--config', config]);
    try {
      const entries = await until('the reconciled outcome', () => {
        const e = readAudit(auditPath);
        return e.some((x) => x.decision === 'reconciled') && e;
      });
      const intent = entries.find((e) => e.decision === 'intent');
      const outcome = entries.find((e) => e.decision === 'reconciled');
      assert.equal(outcome?.id, intent?.id, 'the outcome closes that intent');
      assert.equal(outcome?.run_id, world.latestRun('daily_sales_etl')?.run_id);

      const retry = await second.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
      assert.equal(retry.isError, true, 'the run started before the crash blocks a second one');
      assert.equal(world.runsOf('daily_sales_etl').length, runsBefore + 1, 'no duplicate run');
      const accepted = readAudit(auditPath).filter(
        (e) => e.decision === 'accepted' || e.decision === 'reconciled',
      );
      assert.equal(
        accepted.length,
        world.runsOf('daily_sales_etl').length - runsBefore,
        'audit matches the emulator',
      );
    } finally {
      await second.close();
    }
  } finally {
    await emulator.close();
  }
});
