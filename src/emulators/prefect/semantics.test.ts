import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDemoWorld,
  createPrefectDemoWorld,
  DAY,
  DEMO_FACTS,
  MINUTE,
  PREFECT_DEMO_FACTS as F,
} from '../world/index.js';
import type { PrefectEmulator } from './index.js';
import { PrefectWorld, startPrefectEmulator } from './index.js';
import { flowRunLog, taskRunLog } from './logs.js';

const NOW = new Date('2026-03-11T12:00:00Z');

interface Run {
  id: string;
  name: string;
  deployment_id: string;
  state_type: string;
  state_name: string;
  state: { message: string | null };
  start_time: string | null;
  end_time: string | null;
  expected_start_time: string;
  idempotency_key: string | null;
  created_by: { type: string } | null;
  tags: string[];
}

describe('Prefect demo world: the planted facts hold whatever now is', () => {
  for (const iso of [
    '2026-03-11T12:00:00Z',
    '2026-03-14T00:00:10Z',
    '2026-06-01T06:20:30Z',
    '2026-11-24T05:59:59Z',
  ]) {
    test(`at ${iso}`, () => {
      const now = Date.parse(iso);
      const pw = new PrefectWorld(createPrefectDemoWorld({ now: new Date(now) }));
      const deployment = (id: string) => {
        const d = pw.deployments.find((x) => x.dag.dag_id === id);
        assert.ok(d, id);
        return d;
      };
      assert.equal(pw.deployments.length, F.deployments);
      const runsOf = (id: string) => [...pw.runsOf(deployment(id))].map((r) => ({ r, s: pw.state(r) }));
      /** The newest run that is not an upcoming one. */
      const latest = (id: string) =>
        runsOf(id)
          .filter((x) => x.s.name !== 'Scheduled')
          .pop();

      const failedRecently = pw.deployments
        .filter((d) =>
          pw
            .runsOf(d)
            .some((r) => ['FAILED', 'CRASHED'].includes(pw.state(r).type) && (r.end_date ?? 0) >= now - DAY),
        )
        .map((d) => d.dag.dag_id)
        .sort();
      assert.deepEqual(failedRecently, [...F.failedInLast24h].sort());
      assert.equal(latest(F.failed.pipelineId)?.s.type, 'FAILED');
      assert.equal(latest(F.failed.pipelineId)?.s.message, F.failed.stateMessage);
      assert.equal(latest(F.crashed.pipelineId)?.s.type, 'CRASHED');
      assert.equal(latest(F.crashed.pipelineId)?.s.message, F.crashed.stateMessage);
      const late = latest(F.late.pipelineId);
      assert.equal(late?.s.name, 'Late');
      assert.ok((late?.r.run_after ?? now) <= now - F.late.minLateMinutes * MINUTE);
      const running = latest(F.runningNow.pipelineId);
      assert.equal(running?.s.type, 'RUNNING');
      assert.equal(running?.r.start_date, now - F.runningNow.startedMinutesAgo * MINUTE);
      const paused = deployment(F.paused.pipelineId);
      assert.equal(paused.dag.paused, true);
      assert.ok((latest(F.paused.pipelineId)?.r.end_date ?? now) < now - (F.paused.lastRunDaysAgo - 1) * DAY);
      assert.ok(!runsOf(F.paused.pipelineId).some((x) => x.s.name === 'Scheduled'), 'no upcoming run');
      assert.ok(runsOf(F.healthy.pipelineId).every((x) => ['COMPLETED', 'SCHEDULED'].includes(x.s.type)));
      assert.ok(
        runsOf(F.healthy.pipelineId).some((x) => x.s.name === 'Scheduled'),
        'an upcoming run',
      );
      assert.ok(runsOf(F.eventTriggered.pipelineId).every((x) => pw.createdBy(x.r)?.type === 'AUTOMATION'));
      assert.deepEqual(
        pw.deployments
          .filter((d) => d.tags.includes('owner:data-platform'))
          .map((d) => d.dag.dag_id)
          .sort(),
        [...F.dataPlatformDeployments].sort(),
      );
      const oldest = Math.min(...pw.runs().map((r) => r.run_after));
      assert.ok(oldest < now - 29 * DAY);
    });
  }

  test('is deterministic and shares no id with the Airflow demo', () => {
    // Runs whose state does not move with the clock (running and upcoming runs do).
    const json = (w: PrefectWorld) =>
      JSON.stringify(
        w
          .runs()
          .filter((r) => r.end_date !== null)
          .map((r) => [w.flowRunJson(r), w.taskRuns(r).map((t) => w.taskRunJson(t))]),
      );
    const a = new PrefectWorld(createPrefectDemoWorld({ now: NOW }));
    const b = new PrefectWorld(createPrefectDemoWorld({ now: NOW }));
    assert.ok(json(a) === json(b), 'same world for the same now and seed');
    assert.ok(json(a) !== json(new PrefectWorld(createPrefectDemoWorld({ now: NOW, seed: 7 }))));
    const airflow = new Set(createDemoWorld({ now: NOW }).dags.map((d) => d.dag_id));
    assert.ok(a.deployments.every((d) => !airflow.has(d.dag.dag_id)));
  });

  test('its logs read like Prefect’s, with no Airflow lines', () => {
    const pw = new PrefectWorld(createPrefectDemoWorld({ now: NOW }));
    let records = 0;
    for (const run of pw.runs().slice(-300)) {
      const log = flowRunLog(pw, run);
      const indexes = new Set<number>();
      for (let k = 0; k < 60 && k < log.length; k++) indexes.add(k);
      for (let k = Math.max(0, log.length - 20); k < log.length; k++) indexes.add(k);
      for (const i of indexes) {
        const record = log.at(i);
        records++;
        assert.doesNotMatch(`${record.name} ${record.message}`, /airflow|DagBag|Marking task as|::group::/i);
      }
    }
    assert.ok(records > 1000);
  });
});

describe('Prefect emulator semantics', () => {
  let em: PrefectEmulator;

  before(async () => {
    em = await startPrefectEmulator({ world: createPrefectDemoWorld({ now: NOW }) });
  });
  after(async () => {
    await em.close();
  });

  async function post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${em.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status < 300, true, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  }
  const depId = (pipelineId: string) =>
    em.prefect.deployments.find((d) => d.dag.dag_id === pipelineId)?.id ?? '';

  test('filters: and_/or_, any_ [] matches nothing, not_any_, is_null_, like_, tags', async () => {
    const hub = depId(F.failed.pipelineId);
    const stripe = depId(F.late.pipelineId);
    const both = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { deployment_id: { any_: [hub, stripe] }, state: { name: { any_: ['Failed', 'Late'] } } },
    });
    assert.deepEqual(both.map((r) => r.state_name).sort(), ['Failed', 'Late']);
    const crashed = { state: { name: { any_: ['Crashed'] } } };
    const stripeRuns = { deployment_id: { any_: [stripe] } };
    const count = (flowRuns: unknown) => post<number>('/flow_runs/count', { flow_runs: flowRuns });
    const either = await count({ operator: 'or_', ...crashed, ...stripeRuns });
    assert.equal(either, (await count(crashed)) + (await count(stripeRuns)));
    assert.ok((await count(crashed)) > 0);
    assert.equal(await count({ ...crashed, ...stripeRuns }), 0);
    assert.deepEqual(await post('/flow_runs/filter', { flow_runs: { id: { any_: [] } } }), []);
    const notScheduled = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { deployment_id: { any_: [stripe] }, state: { name: { not_any_: ['Scheduled'] } } },
      sort: 'START_TIME_DESC',
      limit: 1,
    });
    assert.equal(notScheduled[0]?.state_name, 'Late', 'START_TIME_DESC sorts by start, else expected start');
    const unfinished = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { end_time: { is_null_: true } },
      limit: 200,
    });
    assert.ok(
      unfinished.every((r) => r.end_time === null) && unfinished.some((r) => r.state_name === 'Running'),
    );
    const deployments = await post<{ name: string; tags: string[] }[]>('/deployments/filter', {
      deployments: { tags: { any_: ['stripe', 'hubspot'] }, flow_or_deployment_name: { like_: 'LOAD' } },
    });
    assert.deepEqual(
      deployments.map((d) => d.name),
      ['prod'],
    );
    const byFlow = await post<unknown[]>('/deployments/filter', { flows: { name: { like_: 'salesforce' } } });
    assert.equal(byFlow.length, 2);
    const scheduled = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { idempotency_key: { any_: [] } },
    });
    assert.deepEqual(scheduled, []);
  });

  test('count agrees with filter; paging is stable; END_TIME_DESC puts unfinished runs last', async () => {
    const body = { flow_runs: { state: { type: { any_: ['COMPLETED'] } } } };
    const count = await post<number>('/flow_runs/count', body);
    const seen: Run[] = [];
    for (let offset = 0; ; offset += 200) {
      const page = await post<Run[]>('/flow_runs/filter', {
        ...body,
        sort: 'END_TIME_DESC',
        limit: 200,
        offset,
      });
      seen.push(...page);
      if (page.length < 200) break;
    }
    assert.equal(seen.length, count);
    assert.equal(new Set(seen.map((r) => r.id)).size, count);
    const ends = seen.map((r) => Date.parse(r.end_time ?? ''));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => b - a),
    );
    const mixed = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { deployment_id: { any_: [depId(F.runningNow.pipelineId)] } },
      sort: 'END_TIME_DESC',
    });
    assert.equal(mixed[mixed.length - 1]?.end_time, null);
  });

  test('runs created by create_flow_run: idempotent per flow, Scheduled, tagged, readable', async () => {
    const prod = depId(F.healthy.pipelineId);
    const staging = depId(F.sameFlow.pipelineId);
    const first = await post<Run>(`/deployments/${prod}/create_flow_run`, {
      parameters: { a: 1 },
      tags: ['manual-test'],
      idempotency_key: 'sem-1',
    });
    assert.equal(first.state_name, 'Scheduled');
    assert.ok(first.tags.includes('manual-test') && first.tags.includes('owner:data-platform'));
    const other = await post<Run>(`/deployments/${staging}/create_flow_run`, { idempotency_key: 'sem-1' });
    assert.equal(other.id, first.id, 'idempotency keys are unique per flow');
    const scheduler = await post<Run[]>('/flow_runs/filter', {
      flow_runs: { deployment_id: { any_: [prod] }, state: { name: { any_: ['Completed'] } } },
      limit: 1,
    });
    const replay = await post<Run>(`/deployments/${prod}/create_flow_run`, {
      idempotency_key: scheduler[0]?.idempotency_key,
    });
    assert.equal(replay.id, scheduler[0]?.id, "the scheduler's own keys count too");
    const got = await fetch(`${em.url}/flow_runs/${first.id}`);
    assert.equal(((await got.json()) as Run).id, first.id);
  });

  test('logs: newest-first pages are the ascending log reversed; level and task filters', async () => {
    const failedRun = em.world
      .runsOf(F.failed.pipelineId)
      .filter((r) => r.state === 'failed')
      .pop();
    assert.ok(failedRun);
    const runId = em.prefect.flowRunId(failedRun);
    const asc = await post<{ id: string; level: number; task_run_id: string | null }[]>('/logs/filter', {
      logs: { flow_run_id: { any_: [runId] } },
      sort: 'TIMESTAMP_ASC',
    });
    const desc: typeof asc = [];
    for (let offset = 0; offset < asc.length; offset += 7) {
      desc.push(
        ...(await post<typeof asc>('/logs/filter', {
          logs: { flow_run_id: { any_: [runId] } },
          sort: 'TIMESTAMP_DESC',
          limit: 7,
          offset,
        })),
      );
    }
    assert.deepEqual(
      desc.map((l) => l.id),
      asc.map((l) => l.id).reverse(),
    );
    const errors = await post<typeof asc>('/logs/filter', {
      logs: { flow_run_id: { any_: [runId] }, level: { ge_: 40 } },
    });
    assert.ok(errors.length >= 3 && errors.every((l) => l.level >= 40));
    const own = await post<typeof asc>('/logs/filter', {
      logs: { flow_run_id: { any_: [runId] }, task_run_id: { is_null_: true } },
    });
    assert.ok(own.length > 0 && own.every((l) => l.task_run_id === null));
  });

  test('serves the Airflow demo world too: dag ids become <dag_id>/default; 150 mapped task runs', async () => {
    const airflow = await startPrefectEmulator({ world: createDemoWorld({ now: NOW }) });
    try {
      const deployments = (await (
        await fetch(`${airflow.url}/deployments/filter`, { method: 'POST', body: '{}' })
      ).json()) as { name: string }[];
      assert.ok(deployments.every((d) => d.name === 'default'));
      assert.equal(deployments.length, airflow.world.dags.filter((d) => !d.stale).length);
      const run = airflow.world.latestRun(DEMO_FACTS.oldFailure.dagId);
      assert.ok(run);
      const tasks = airflow.prefect.taskRuns(run);
      const mapped = tasks.filter((t) => t.task.task_id === DEMO_FACTS.oldFailure.mappedTask);
      assert.equal(mapped.length, DEMO_FACTS.oldFailure.mapCount);
      assert.equal(new Set(tasks.map((t) => t.name)).size, tasks.length, 'unique task run names');
      const log = taskRunLog(
        airflow.prefect,
        mapped.find((t) => t.state.type === 'FAILED') ?? (mapped[0] as never),
      );
      assert.ok(log.length > 0);
    } finally {
      await airflow.close();
    }
  });
});
