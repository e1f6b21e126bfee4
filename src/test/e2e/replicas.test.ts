import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { startDagsterEmulator } from '../../emulators/dagster/index.js';
import { startPrefectEmulator } from '../../emulators/prefect/index.js';
import {
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
  type World,
} from '../../emulators/world/index.js';
import {
  dropSchema,
  freshSchema,
  SKIP_WITHOUT_PG,
  sql,
  TEST_PG_URL,
} from '../../state/postgres/test-database.test.util.js';
import { CLI_PATH, connectCli, type McpSession } from '../mcp-harness.js';

/**
 * The proof for replicas: two server processes share one PostgreSQL schema and one set of orchestrators,
 * and take many concurrent writes for the same and for different pipelines — confirmation tokens issued
 * by one replica and redeemed on the other (and on both), the same idempotency key replayed on both.
 * Counted from the emulators' own runs and from the audit table.
 */

interface Orchestrator {
  name: string;
  world: World;
  config: Record<string, unknown>;
  close(): Promise<void>;
}

const AIRFLOW_USER = { username: 'replica', password: 'replica-airflow-pass' };
const DAGSTER_TOKEN = 'replica-dagster-token';
const PREFECT_KEY = 'pnu_replicaprefectkey00000000000000000';

async function startOrchestrators(): Promise<Orchestrator[]> {
  const af3 = await startAirflowEmulator({ world: createDemoWorld(), users: [AIRFLOW_USER], latencyMs: 5 });
  const af2 = await startAirflowEmulator({
    world: createAirflow2DemoWorld(),
    apiVersion: 'v1',
    users: [AIRFLOW_USER],
    latencyMs: 5,
  });
  const dagsterWorld = createDagsterDemoWorld();
  const dagster = await startDagsterEmulator({
    world: dagsterWorld,
    cloudTokens: [DAGSTER_TOKEN],
    latencyMs: 5,
  });
  const prefectWorld = createPrefectDemoWorld();
  const prefect = await startPrefectEmulator({ world: prefectWorld, apiKeys: [PREFECT_KEY], latencyMs: 5 });
  const basic = { username: AIRFLOW_USER.username, password: AIRFLOW_USER.password };
  return [
    {
      name: 'af3',
      world: af3.world,
      config: { name: 'af3', type: 'airflow', url: af3.url, api_version: 'v2', auth: basic },
      close: () => af3.close(),
    },
    {
      name: 'af2',
      world: af2.world,
      config: { name: 'af2', type: 'airflow', url: af2.url, api_version: 'v1', auth: basic },
      close: () => af2.close(),
    },
    {
      name: 'dagster',
      world: dagsterWorld,
      config: { name: 'dagster', type: 'dagster', url: dagster.url, auth: { token: DAGSTER_TOKEN } },
      close: () => dagster.close(),
    },
    {
      name: 'prefect',
      world: prefectWorld,
      config: { name: 'prefect', type: 'prefect', url: prefect.url, auth: { token: PREFECT_KEY } },
      close: () => prefect.close(),
    },
  ];
}

/** Pipelines a trigger can start now: not paused, importable, no run queued or running. */
function triggerable(world: World, count: number): string[] {
  return world.dags
    .filter((d) => !d.paused && !d.stale && !d.import_error)
    .filter((d) => !world.runsOf(d.dag_id).some((r) => r.state === 'queued' || r.state === 'running'))
    .slice(0, count)
    .map((d) => d.dag_id);
}

interface Structured {
  status: string;
  run: { run_id: string } | null;
  confirmation: { token: string } | null;
}

interface AuditRow {
  id: string;
  decision: string;
  pipeline: string;
  run_id: string | null;
  tag: string | null;
}

describe('two replicas sharing PostgreSQL', { skip: SKIP_WITHOUT_PG }, () => {
  const schema = freshSchema('replicas');
  let orchestrators: Orchestrator[] = [];
  let config = '';
  let a: McpSession;
  let b: McpSession;

  before(async () => {
    orchestrators = await startOrchestrators();
    const dir = mkdtempSync(join(tmpdir(), 'pm-replicas-'));
    config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        orchestrators: orchestrators.map((o) => o.config),
        triggers: {
          enabled: true,
          confirm: 'always',
          cooldown_seconds: 0,
          max_per_hour: 10_000,
          max_per_hour_per_pipeline: 1000,
          audit_log: join(dir, 'unused-audit.jsonl'),
        },
        state: { postgres_url: '${PM_TEST_PG_URL}', schema },
      }),
      { mode: 0o600 },
    );
    const env = { PM_TEST_PG_URL: TEST_PG_URL };
    [a, b] = await Promise.all([
      connectCli(env, ['--config', config]),
      connectCli(env, ['--config', config]),
    ]);
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await Promise.all(orchestrators.map((o) => o.close()));
    await dropSchema(schema);
  });

  test('0 duplicate runs and 0 missing audit records under concurrent writes to both', async (t) => {
    const ROUNDS = 3;
    // Prefect's demo world has one deployment without a scheduled or running flow run.
    const perOrchestrator: Record<string, number> = { af3: 3, af2: 2, dagster: 2, prefect: 1 };
    const pipelines = orchestrators.flatMap((o) =>
      triggerable(o.world, perOrchestrator[o.name] ?? 0).map((id) => ({
        orchestrator: o,
        id,
        qualified: `${o.name}:${id}`,
      })),
    );
    assert.equal(pipelines.length, 8);
    const runsBefore = new Map(pipelines.map((p) => [p.qualified, p.orchestrator.world.runsOf(p.id).length]));
    const replicas = [a, b];
    let attempts = 0;
    let previews = 0;
    const usedTokens: { token: string; pipeline: string }[] = [];
    /** The idempotency key of each pipeline's latest started run. */
    const startedWith = new Map<string, string>();
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

    const preview = async (replica: McpSession, pipeline: string) => {
      previews += 1;
      const answer = await replica.call('trigger_pipeline', { pipeline_id: pipeline });
      const token = (answer.structured as Structured | undefined)?.confirmation?.token;
      assert.ok(token, answer.text);
      return token;
    };
    const confirm = async (replica: McpSession, pipeline: string, token: string, key?: string) => {
      attempts += 1;
      const answer = await replica.call('trigger_pipeline', {
        pipeline_id: pipeline,
        confirmation_token: token,
        reason: `attempt-${attempts}`,
        ...(key ? { idempotency_key: key } : {}),
      });
      const status = answer.isError
        ? /already has an? \S+ run/.test(answer.text)
          ? 'refused: active run'
          : /already used/.test(answer.text)
            ? 'refused: token used'
            : `error: ${answer.text}`
        : (answer.structured as unknown as Structured).status;
      count(status);
      if (status === 'started' || status === 'already_started') usedTokens.push({ token, pipeline });
      if (status === 'started' && key) startedWith.set(pipeline, key);
      return status;
    };

    /** Runs each pipeline gained in each round: 1 every time when nothing is duplicated. */
    const perRound: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Four previews per pipeline, two on each replica, all at once.
      const issued = await Promise.all(
        pipelines.flatMap((p) =>
          [0, 1, 2, 3].map(async (i) => ({
            p,
            i,
            token: await preview(replicas[i % 2] as McpSession, p.qualified),
          })),
        ),
      );
      // Every token redeemed on both replicas at once; two of each pipeline's four carry the same
      // idempotency key. Each replica's first redemption carries a key of its own, so only the shared
      // lock stands between two replicas both starting a run.
      const order: [McpSession, number][] = [
        [b, 2],
        [a, 3],
        [b, 0],
        [a, 1],
        [b, 1],
        [a, 0],
        [b, 3],
        [a, 2],
      ];
      await Promise.all(
        pipelines.flatMap((p) =>
          order.map(([replica, i]) => {
            const token = issued.find((t) => t.p === p && t.i === i)?.token ?? '';
            return confirm(replica, p.qualified, token, `round-${round}-${p.id}-${i < 2 ? 'shared' : i}`);
          }),
        ),
      );
      for (const p of pipelines) {
        const added = p.orchestrator.world.runsOf(p.id).length - (runsBefore.get(p.qualified) ?? 0);
        perRound.push(added - (round - 1));
      }
      // The runs finish; then the key that started each one is replayed on both replicas: nothing new starts.
      for (const p of pipelines) {
        for (const run of p.orchestrator.world.runsOf(p.id)) {
          if (run.state !== 'queued' && run.state !== 'running') continue;
          const now = Date.now();
          p.orchestrator.world.updateRun(run, {
            state: 'success',
            start_date: run.start_date ?? now,
            end_date: now,
            running_task: null,
            updated_at: now,
          });
        }
      }
      await Promise.all(
        pipelines.flatMap((p) =>
          replicas.map(async (replica, i) => {
            const token = await preview(replica, p.qualified);
            await confirm(replicas[1 - i] as McpSession, p.qualified, token, startedWith.get(p.qualified));
          }),
        ),
      );
    }
    // A token that started something (or found its run) is used up, through either replica. (A refused
    // redemption does not use a token up.)
    const replays = await Promise.all(
      usedTokens.flatMap(({ token, pipeline }) => replicas.map((r) => confirm(r, pipeline, token))),
    );

    // Counted by the orchestrators.
    let runsStarted = 0;
    let duplicates = 0;
    for (const p of pipelines) {
      const added = p.orchestrator.world.runsOf(p.id).length - (runsBefore.get(p.qualified) ?? 0);
      runsStarted += added;
      duplicates += Math.max(0, added - ROUNDS);
    }
    // Counted by the audit table.
    const rows = await sql<AuditRow>(
      `SELECT id, decision, pipeline, run_id, params->>'reason' AS tag FROM "${schema}".trigger_audit ORDER BY seq`,
    );
    const intents = rows.filter((r) => r.decision === 'intent');
    const outcomesOf = (id: string) => rows.filter((r) => r.id === id && r.decision !== 'intent');
    const unclosedIntents = intents.filter((i) => outcomesOf(i.id).length !== 1).length;
    const finals = rows.filter((r) => r.decision !== 'intent');
    let missing = unclosedIntents;
    for (let n = 1; n <= attempts; n++) {
      const records = finals.filter((r) => r.tag === `attempt-${n}`);
      if (records.length !== 1) missing += 1;
    }
    const startedInAudit = rows.filter(
      (r) => r.decision === 'accepted' && intents.some((i) => i.id === r.id),
    );
    const auditRunIds = new Set(startedInAudit.map((r) => `${r.pipeline}/${r.run_id}`));
    const worldRunIds = new Set(
      pipelines.flatMap((p) =>
        p.orchestrator.world
          .runsOf(p.id)
          .slice(-ROUNDS)
          .map((r) => `${p.qualified}/${r.run_id}`),
      ),
    );
    const figures = {
      replicas: 2,
      pipelines: pipelines.length,
      rounds: ROUNDS,
      previews,
      attempts,
      outcomes: Object.fromEntries(outcomes),
      runs_started: runsStarted,
      runs_expected: pipelines.length * ROUNDS,
      duplicates,
      audit_records: rows.length,
      intents: intents.length,
      missing,
    };
    t.diagnostic(`replicas: ${JSON.stringify(figures)}`);
    assert.deepEqual(new Set(perRound), new Set([1]), 'each pipeline: exactly one run per round');
    assert.equal(duplicates, 0);
    assert.equal(runsStarted, pipelines.length * ROUNDS);
    assert.equal(
      outcomes.get('already_started'),
      pipelines.length * ROUNDS * 2,
      'replayed keys start nothing',
    );
    assert.equal(usedTokens.length, pipelines.length * ROUNDS * 3);
    assert.deepEqual(new Set(replays), new Set(['refused: token used']), 'a used token never works again');
    assert.equal(missing, 0);
    assert.equal(finals.length, attempts, 'one final record per attempt, nothing else');
    assert.equal(startedInAudit.length, runsStarted, 'every run started is audited as started');
    assert.deepEqual(auditRunIds, worldRunIds, 'the same runs, by id');
    assert.equal(outcomes.get('started'), runsStarted);
    assert.equal(
      [...outcomes.keys()].filter((k) => k.startsWith('error')).length,
      0,
      JSON.stringify(figures),
    );
  });

  test('`audit` reads the shared log from PostgreSQL, without the connection secret', () => {
    const out = spawnSync(process.execPath, [CLI_PATH, 'audit', '--config', config, '--limit', '5'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', PM_TEST_PG_URL: TEST_PG_URL },
    });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^PostgreSQL 127\\.0\\.0\\.1:\\d+/\\w+ schema ${schema}\\n`));
    assert.equal(out.stdout.trim().split('\n').length, 6, out.stdout);
    assert.match(out.stdout, /refused\s+\S+ .*already used/);
    const password = decodeURIComponent(new URL(TEST_PG_URL).password);
    assert.ok(!out.stdout.includes(password) && !out.stderr.includes(password));
  });
});

describe('cooldown and hourly limits across replicas', { skip: SKIP_WITHOUT_PG }, () => {
  const schema = freshSchema('limits');
  const world = createDemoWorld();
  let emulator: Awaited<ReturnType<typeof startAirflowEmulator>>;
  const sessions: McpSession[] = [];

  before(async () => {
    emulator = await startAirflowEmulator({ world, users: [AIRFLOW_USER] });
    const dir = mkdtempSync(join(tmpdir(), 'pm-replica-limits-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        orchestrators: [{ name: 'af', type: 'airflow', url: emulator.url, auth: AIRFLOW_USER }],
        triggers: {
          enabled: true,
          confirm: 'never',
          cooldown_seconds: 3600,
          max_per_hour: 2,
          audit_log: join(dir, 'unused.jsonl'),
        },
        state: { postgres_url: TEST_PG_URL, schema },
      }),
      { mode: 0o600 },
    );
    sessions.push(await connectCli({}, ['--config', config]), await connectCli({}, ['--config', config]));
  });

  after(async () => {
    for (const s of sessions) await s.close();
    await emulator?.close();
    await dropSchema(schema);
  });

  test('a trigger through one replica counts on the other', async () => {
    const [a, b] = sessions as [McpSession, McpSession];
    const first = await a.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    assert.equal((first.structured as unknown as Structured).status, 'started', first.text);
    const run = world.latestRun('daily_sales_etl');
    if (run) world.updateRun(run, { state: 'success', end_date: Date.now(), running_task: null });
    const cooled = await b.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    assert.equal(cooled.isError, true);
    assert.match(cooled.text, /the cooldown is 3600 s/);
    const second = await b.call('trigger_pipeline', { pipeline_id: 'customer_360_build' });
    assert.equal((second.structured as unknown as Structured).status, 'started', second.text);
    const hourly = await a.call('trigger_pipeline', { pipeline_id: 'kpi_dashboard_refresh' });
    assert.equal(hourly.isError, true);
    assert.match(hourly.text, /2 triggers in the last hour across all pipelines \(limit 2\)/);
  });
});
