import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { World } from './index.js';
import {
  AIRFLOW2_DEMO_FACTS,
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
  DAY,
  HOUR,
  pythonIsoTime,
} from './index.js';

const F = AIRFLOW2_DEMO_FACTS;
/** A Wednesday. */
const NOW = new Date('2026-03-11T12:00:00Z');
const now = NOW.getTime();

function failedSince(world: World, since: number): string[] {
  const dags = world.runs
    .filter((r) => r.state === 'failed' && r.end_date !== null && r.end_date >= since)
    .map((r) => r.dag_id);
  return [...new Set(dags)].sort();
}

describe('Airflow 2 demo world', () => {
  const world = createAirflow2DemoWorld({ now: NOW });

  test('builds in well under 100 ms, deterministically for a now and seed', () => {
    const started = performance.now();
    const again = createAirflow2DemoWorld({ now: NOW });
    assert.ok(performance.now() - started < 100, 'built in under 100 ms');
    const snapshot = (w: World) =>
      JSON.stringify({ dags: w.dags, runs: w.runs, tasks: w.runs.slice(-40).map((r) => w.tasks(r)) });
    assert.equal(snapshot(again), snapshot(world));
    assert.notEqual(
      JSON.stringify(createAirflow2DemoWorld({ now: NOW, seed: 7 }).runs),
      JSON.stringify(world.runs),
    );
  });

  test('its DAG ids clash with no other demo world', () => {
    const others = [
      createDemoWorld({ now: NOW }),
      createDagsterDemoWorld({ now: NOW }),
      createPrefectDemoWorld({ now: NOW }),
    ];
    const taken = new Set(others.flatMap((w) => w.dags.map((d) => d.dag_id)));
    assert.deepEqual(
      world.dags.filter((d) => taken.has(d.dag_id)).map((d) => d.dag_id),
      [],
    );
  });

  test('all its visible DAGs, 30 days of history, its owners, unique run ids and logical dates', () => {
    assert.equal(world.dags.length, F.dagCount);
    assert.ok(world.dags.every((d) => !d.stale && d.import_error === undefined));
    assert.deepEqual([...new Set(world.dags.flatMap((d) => d.owners))].sort(), [...F.owners]);
    assert.ok(Math.min(...world.runs.map((r) => r.run_after)) < now - 29 * DAY);
    assert.ok(world.runs.every((r) => r.start_date === null || r.start_date <= now));
    for (const dag of world.dags) {
      const runs = world.runsOf(dag.dag_id);
      assert.equal(new Set(runs.map((r) => r.run_id)).size, runs.length, dag.dag_id);
      assert.ok(
        runs.every((r) => r.logical_date !== null),
        `${dag.dag_id}: every Airflow 2 run has a logical date`,
      );
      assert.equal(new Set(runs.map((r) => r.logical_date)).size, runs.length, dag.dag_id);
    }
    const owned = (owner: string) => world.dags.filter((d) => d.owners.includes(owner)).map((d) => d.dag_id);
    assert.deepEqual(owned('data-platform'), [...F.dataPlatformDags]);
    assert.deepEqual(owned('finance-eng'), [...F.financeEngDags]);
    assert.deepEqual(world.dag(F.multiOwner.dagId)?.owners, [...F.multiOwner.owners]);
    assert.deepEqual(world.dag(F.defaultOwner.dagId)?.owners, [F.defaultOwner.owner]);
  });

  test('scheduled runs use data intervals: logical date one period before the run, in the run id', () => {
    const runs = world.runsOf(F.healthy.dagId);
    for (const run of runs) {
      assert.equal(run.run_type, 'scheduled');
      assert.equal(run.logical_date, run.run_after - DAY);
      assert.equal(run.data_interval_start, run.logical_date);
      assert.equal(run.data_interval_end, run.run_after);
      assert.equal(run.run_id, `scheduled__${pythonIsoTime(run.logical_date as number)}`);
    }
    const latest = runs[runs.length - 1];
    assert.equal(world.dag(F.healthy.dagId)?.next_dagrun, latest?.run_after, 'next logical date');
    const sftp = world.latestRun(F.latestFailure.dagId);
    assert.equal(sftp?.logical_date, (sftp?.run_after ?? 0) - 4 * HOUR);
    for (const run of world.runsOf(F.mapped.dagId)) {
      assert.equal(run.run_type, 'manual');
      assert.equal(run.logical_date, run.run_after);
      assert.equal(run.run_id, `manual__${pythonIsoTime(run.run_after)}`);
    }
  });

  test(`${F.healthy.dagId}: every run succeeded, the latest within 24 h`, () => {
    const runs = world.runsOf(F.healthy.dagId);
    assert.ok(runs.length >= 29);
    assert.ok(runs.every((r) => r.state === 'success'));
    assert.ok((runs[runs.length - 1]?.end_date ?? 0) >= now - DAY);
    assert.deepEqual(
      world.dag(F.healthy.dagId)?.tasks.map((t) => t.task_id),
      [...F.healthy.tasks],
    );
  });

  test(`${F.latestFailure.dagId}: the latest run failed on the SFTP banner, on every try`, () => {
    const latest = world.latestRun(F.latestFailure.dagId);
    assert.ok(latest);
    assert.equal(latest.state, 'failed');
    assert.ok(
      world
        .runsOf(F.latestFailure.dagId)
        .slice(0, -1)
        .every((r) => r.state === 'success'),
    );
    const tasks = world.tasks(latest);
    const failed = tasks.find((t) => t.task_id === F.latestFailure.failedTask);
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.try_number, F.latestFailure.failedTry);
    assert.equal(failed?.max_tries, F.latestFailure.maxTries);
    assert.deepEqual(
      tasks.filter((t) => t.state === 'success').map((t) => t.task_id),
      [...F.latestFailure.succeededTasks],
    );
    assert.deepEqual(
      tasks.filter((t) => t.state === 'upstream_failed').map((t) => t.task_id),
      [...F.latestFailure.downstreamTasks],
    );
    const [raised, cause] = latest.failure?.error.chain ?? [];
    assert.equal(raised?.type, F.latestFailure.errorType);
    assert.equal(raised?.message, F.latestFailure.error);
    assert.equal(cause?.type, F.latestFailure.causeType);
    assert.equal(cause?.message, F.latestFailure.causeMessage);
  });

  test(`${F.runningNow.dagId}: the latest run is running its planted task`, () => {
    const latest = world.latestRun(F.runningNow.dagId);
    assert.equal(latest?.state, 'running');
    const states = world.tasks(latest as NonNullable<typeof latest>).map((t) => [t.task_id, t.state]);
    assert.deepEqual(states, [
      ...F.runningNow.succeededTasks.map((t) => [t, 'success']),
      [F.runningNow.runningTask, 'running'],
      ...F.runningNow.waitingTasks.map((t) => [t, null]),
    ]);
  });

  test(`${F.paused.dagId} is paused; ${F.recoveredFailure.dagId} failed ${F.recoveredFailure.failedDaysAgo} days ago only`, () => {
    assert.equal(world.dag(F.paused.dagId)?.paused, true);
    assert.ok(world.dags.filter((d) => d.paused).length === 1);
    const lastEnd = world.latestRun(F.paused.dagId)?.end_date ?? now;
    assert.ok(
      lastEnd <= now - (F.paused.lastRunDaysAgo - 1) * DAY &&
        lastEnd >= now - (F.paused.lastRunDaysAgo + 1) * DAY,
    );

    const backups = world.runsOf(F.recoveredFailure.dagId);
    const failed = backups.filter((r) => r.state === 'failed');
    assert.equal(failed.length, 1);
    const ago = (now - (failed[0]?.end_date ?? 0)) / DAY;
    assert.ok(
      ago > F.recoveredFailure.failedDaysAgo - 1 && ago < F.recoveredFailure.failedDaysAgo + 1,
      `${ago}`,
    );
    assert.equal(failed[0]?.failure?.task_id, F.recoveredFailure.failedTask);
    assert.match(
      failed[0]?.failure?.error.chain[0]?.message ?? '',
      /^could not connect to server: Connection timed out/,
    );
    assert.equal(backups[backups.length - 1]?.state, 'success');
  });

  test(`${F.mapped.dagId}: ${F.mapped.mapCount} mapped instances in each of its manual runs`, () => {
    const runs = world.runsOf(F.mapped.dagId);
    assert.equal(runs.length, F.mapped.manualRuns);
    for (const run of runs) {
      const instances = world.tasks(run).filter((t) => t.task_id === F.mapped.mappedTask);
      assert.deepEqual(
        instances.map((t) => t.map_index),
        Array.from({ length: F.mapped.mapCount }, (_, i) => i),
      );
      assert.equal(run.state, 'success');
    }
  });

  test('the only failure of the last 24 h is the planted one, whatever now is', () => {
    for (let h = 0; h < 7 * 24; h += 5) {
      const at = now + h * HOUR;
      const w = createAirflow2DemoWorld({ now: new Date(at) });
      assert.deepEqual(failedSince(w, at - DAY), [...F.failedInLast24h], new Date(at).toISOString());
      assert.equal(w.latestRun(F.latestFailure.dagId)?.state, 'failed');
      assert.equal(w.latestRun(F.runningNow.dagId)?.state, 'running');
      assert.ok(!w.runs.some((r) => r.state === 'running' && r.dag_id !== F.runningNow.dagId));
      assert.ok(!w.runs.some((r) => r.state === 'queued'));
    }
  });
});
