import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld, type World } from '../../emulators/world/index.js';
import {
  dropSchema,
  freshSchema,
  lockHolders,
  SKIP_WITHOUT_PG,
  sql,
  TEST_PG_URL,
} from '../../state/postgres/test-database.test.util.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

const SLOW_DAGS = ['daily_sales_etl', 'customer_360_build'];

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('a replica killed between intent and outcome (PostgreSQL state)', { skip: SKIP_WITHOUT_PG }, () => {
  const schema = freshSchema('crash');
  const world: World = createDemoWorld();
  const arrived = new Set<string>();
  let emulator: Awaited<ReturnType<typeof startAirflowEmulator>>;
  let config = '';
  const env = { PM_TEST_PG_URL: TEST_PG_URL };
  const sessions: McpSession[] = [];
  const connect = async () => {
    const session = await connectCli(env, ['--config', config]);
    sessions.push(session);
    return session;
  };
  const audit = () =>
    sql<{ id: string; decision: string; pipeline: string; run_id: string | null; idempotency_key: string }>(
      `SELECT id, decision, pipeline, run_id, idempotency_key FROM "${schema}".trigger_audit ORDER BY seq`,
    );
  before(async () => {
    emulator = await startAirflowEmulator({
      world,
      users: [{ username: 'u', password: 'crash-pass' }],
      // The trigger POSTs are held for 1.5 s, long enough to kill the server mid-call.
      latencyMs: (req: { method: string; path: string }) => {
        const dag = SLOW_DAGS.find((d) => req.path.endsWith(`/dags/${d}/dagRuns`));
        if (req.method !== 'POST' || !dag) return 0;
        arrived.add(dag);
        return 1500;
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'pm-replica-crash-'));
    config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `orchestrators:\n  - { name: af, type: airflow, url: "${emulator.url}", auth: { username: u, password: crash-pass } }\n` +
        `triggers: { enabled: true, confirm: never, cooldown_seconds: 0, audit_log: "${join(dir, 'unused.jsonl')}" }\n` +
        `state: { postgres_url: "\${PM_TEST_PG_URL}", schema: ${schema} }\n`,
    );
  });

  after(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await emulator?.close();
    await dropSchema(schema);
  });

  /** Starts a trigger on `victim` and SIGKILLs it once the intent is recorded and the POST is in flight. */
  async function killMidTrigger(victim: McpSession, dag: string, key: string): Promise<number> {
    const runsBefore = world.runsOf(dag).length;
    const pending = victim
      .call('trigger_pipeline', { pipeline_id: dag, idempotency_key: key })
      .catch(() => undefined);
    await until('the intent', async () =>
      (await audit()).some((e) => e.decision === 'intent' && e.pipeline === `af:${dag}`),
    );
    await until('the trigger request at the orchestrator', async () => arrived.has(dag));
    assert.equal((await lockHolders(schema, `af:${dag}`)).length, 1, 'the lock is held during the call');
    process.kill(victim.pid ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    await pending;
    await victim.close().catch(() => undefined);
    await until(
      'the lock released by PostgreSQL',
      async () => (await lockHolders(schema, `af:${dag}`)).length === 0,
      10_000,
    );
    const releasedMs = Date.now() - killedAt;
    // The orchestrator still accepts the request that was in flight.
    await until('the run in the emulator', async () => world.runsOf(dag).length === runsBefore + 1);
    return releasedMs;
  }

  test('restarted: the outcome is reconciled from PostgreSQL, the lock was released, no duplicate', async (t) => {
    const dag = 'daily_sales_etl';
    const runsBefore = world.runsOf(dag).length;
    const [a, b] = [await connect(), await connect()];
    const releasedMs = await killMidTrigger(a, dag, 'crash-key-1');
    assert.deepEqual(
      (await audit()).map((e) => e.decision),
      ['intent'],
      'no outcome was written before the kill',
    );

    // The other replica takes the pipeline's lock at once: the dead one's lock went with its connection.
    const asked = Date.now();
    const other = await b.call('trigger_pipeline', { pipeline_id: dag });
    const lockWaitMs = Date.now() - asked;
    assert.equal(other.isError, true);
    assert.match(other.text, /already has a queued run/);
    assert.ok(lockWaitMs < 5_000, `answered in ${lockWaitMs} ms`);

    await connect(); // the restarted replica reconciles at startup
    const entries = await until('the reconciled outcome', async () => {
      const e = await audit();
      return e.some((x) => x.decision === 'reconciled') && e;
    });
    const intent = entries.find((e) => e.decision === 'intent');
    const outcome = entries.find((e) => e.decision === 'reconciled');
    assert.equal(outcome?.id, intent?.id, 'the outcome closes that intent');
    assert.equal(outcome?.run_id, world.latestRun(dag)?.run_id);

    // Once that run finished, the same key replayed through the other replica finds it: nothing new.
    const run = world.latestRun(dag);
    if (run) world.updateRun(run, { state: 'success', end_date: Date.now(), running_task: null });
    const replay = await b.call('trigger_pipeline', { pipeline_id: dag, idempotency_key: 'crash-key-1' });
    assert.equal(replay.isError, false, replay.text);
    assert.equal((replay.structured as { status: string }).status, 'already_started');
    assert.equal(world.runsOf(dag).length, runsBefore + 1, 'no duplicate run');
    t.diagnostic(
      `crash: lock released ${releasedMs} ms after SIGKILL; other replica answered in ${lockWaitMs} ms; runs started 1, duplicates ${world.runsOf(dag).length - runsBefore - 1}`,
    );
  });

  test('not restarted: the other replica settles the open intent when the same key comes back', async () => {
    const dag = 'customer_360_build';
    const runsBefore = world.runsOf(dag).length;
    const [a, b] = [await connect(), await connect()];
    await killMidTrigger(a, dag, 'crash-key-2');
    const run = world.latestRun(dag);
    if (run) world.updateRun(run, { state: 'success', end_date: Date.now(), running_task: null });
    const replay = await b.call('trigger_pipeline', { pipeline_id: dag, idempotency_key: 'crash-key-2' });
    assert.equal(replay.isError, false, replay.text);
    assert.equal((replay.structured as { status: string }).status, 'already_started');
    assert.equal(world.runsOf(dag).length, runsBefore + 1, 'no duplicate run');
    const mine = (await audit()).filter((e) => e.pipeline === `af:${dag}`);
    assert.deepEqual(
      mine.map((e) => e.decision),
      ['intent', 'reconciled', 'accepted'],
      'the intent closed by the replica that found it open, then the replay',
    );
    assert.equal(mine[1]?.id, mine[0]?.id);
  });
});
