import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeDag, scheduledRun, taskDef } from './builders.js';
import {
  createDemoWorld,
  createScaleWorld,
  DAY,
  DEMO_FACTS,
  DEMO_OWNERS,
  HOUR,
  MINUTE,
  renderLogText,
  scaleDagId,
  scaleFailedIndexes,
  World,
} from './index.js';
import { Rng } from './random.js';
import type { WorldRun } from './types.js';

const F = DEMO_FACTS;
/** A Wednesday. */
const NOW = new Date('2025-06-18T10:30:00Z');
const now = NOW.getTime();
const minutes = (r: WorldRun) => ((r.end_date ?? 0) - (r.start_date ?? 0)) / MINUTE;

function failedInLast24h(world: World): string[] {
  const since = world.createdAt - DAY;
  const dags = world.runs
    .filter((r) => r.state === 'failed' && r.end_date !== null && r.end_date >= since)
    .map((r) => r.dag_id);
  return [...new Set(dags)].sort();
}

describe('demo world', () => {
  const world = createDemoWorld({ now: NOW });

  test('builds fast and deterministically for a given now and seed', () => {
    const started = performance.now();
    const again = createDemoWorld({ now: NOW });
    assert.ok(performance.now() - started < 300, 'built in under 300 ms');
    const snapshot = (w: World) =>
      JSON.stringify({ dags: w.dags, runs: w.runs, tasks: w.runs.slice(-50).map((r) => w.tasks(r)) });
    assert.equal(snapshot(again), snapshot(world));
    assert.notEqual(JSON.stringify(createDemoWorld({ now: NOW, seed: 7 }).runs), JSON.stringify(world.runs));
  });

  test('has 30+ visible DAGs, 30 days of history, the five owners, unique run ids', () => {
    const visible = world.dags.filter((d) => !d.stale);
    assert.ok(visible.length >= F.minDags, `${visible.length} DAGs`);
    assert.deepEqual([...new Set(world.dags.flatMap((d) => d.owners))].sort(), [...DEMO_OWNERS].sort());
    const oldest = Math.min(...world.runs.map((r) => r.run_after));
    assert.ok(oldest < now - 29 * DAY);
    for (const dag of world.dags) {
      const ids = world.runsOf(dag.dag_id).map((r) => r.run_id);
      assert.equal(new Set(ids).size, ids.length, dag.dag_id);
    }
    assert.ok(world.runs.every((r) => r.start_date === null || r.start_date <= now));
    assert.deepEqual(
      world.dags.filter((d) => d.owners.includes('data-platform')).map((d) => d.dag_id),
      [...F.dataPlatformDags],
    );
  });

  test(`${F.healthy.dagId}: always succeeds in 25-30 min, latest ended within 24 h`, () => {
    const dag = world.dag(F.healthy.dagId);
    assert.ok(dag);
    assert.deepEqual(dag.owners, [F.healthy.owner]);
    assert.equal(dag.schedule, F.healthy.schedule);
    assert.deepEqual([...dag.tags].sort(), [...F.healthy.tags]);
    assert.deepEqual(
      dag.tasks.map((t) => t.task_id),
      [...F.healthy.tasks],
    );
    const runs = world.runsOf(F.healthy.dagId);
    assert.ok(runs.length >= 29);
    for (const run of runs) {
      assert.equal(run.state, 'success');
      assert.ok(
        minutes(run) >= F.healthy.minDurationMinutes && minutes(run) <= F.healthy.maxDurationMinutes,
        `${minutes(run)}`,
      );
    }
    const latest = world.latestRun(F.healthy.dagId);
    assert.ok(latest?.end_date && latest.end_date > now - DAY && latest.end_date <= now);
    assert.ok(world.tasks(latest).every((t) => t.state === 'success' && t.try_number === 1));
  });

  test(`${F.latestFailure.dagId}: latest run failed in the last 24 h on try 2 of 2; logs tell the tries apart`, () => {
    const runs = world.runsOf(F.latestFailure.dagId);
    const latest = runs[runs.length - 1];
    assert.ok(latest);
    assert.equal(latest.state, 'failed');
    assert.ok(latest.end_date && latest.end_date > now - DAY);
    assert.ok(
      runs.every((r) => r.state === 'success' || r.state === 'failed'),
      'nothing queued or running',
    );
    const tasks = world.tasks(latest);
    const failed = tasks.find((t) => t.task_id === F.latestFailure.failedTask);
    assert.ok(failed);
    assert.deepEqual(
      [failed.state, failed.try_number, failed.max_tries],
      ['failed', F.latestFailure.failedTry, F.latestFailure.maxTries],
    );
    assert.deepEqual(
      tasks.filter((t) => t.state === 'upstream_failed').map((t) => t.task_id),
      [...F.latestFailure.downstreamTasks],
    );
    const try1 = world.log(failed, 1);
    const try2 = world.log(failed, 2);
    assert.ok(try1 && try2 && try1.complete && try2.complete);
    assert.equal(world.log(failed, 3), null);
    const text1 = renderLogText(try1);
    const text2 = renderLogText(try2);
    assert.ok(text1.includes(F.latestFailure.retryMarker) && !text1.includes(F.latestFailure.failedMarker));
    assert.ok(text2.includes(F.latestFailure.failedMarker));
    assert.ok(text2.includes(`${F.latestFailure.causeType}: ${F.latestFailure.causeMessage}`));
    assert.ok(
      text2
        .trimEnd()
        .split('\n')
        .slice(-12)
        .join('\n')
        .includes(`${F.latestFailure.errorType}: ${F.latestFailure.error}`),
    );
    const failure = try2.at(try2.length - 2);
    assert.equal(failure.event, 'Task failed with exception');
    assert.deepEqual(
      failure.error_detail?.map((e) => [e.exc_type, e.is_cause]),
      [
        [F.latestFailure.errorType, false],
        ['ConnectTimeout', true],
      ],
    );
  });

  test(`${F.mondayFailure.dagId}: fails exactly on Mondays, always the same way`, () => {
    const runs = world.runsOf(F.mondayFailure.dagId);
    assert.ok(runs.length >= 29);
    for (const run of runs) {
      const monday = new Date(run.logical_date ?? 0).getUTCDay() === 1;
      assert.equal(run.state, monday ? 'failed' : 'success', run.run_id);
      if (monday) {
        assert.equal(run.failure?.task_id, F.mondayFailure.failedTask);
        assert.equal(run.failure?.error.chain[0]?.message, F.mondayFailure.error);
      }
    }
    assert.ok(runs.filter((r) => r.state === 'failed').length >= 4);
  });

  test(`${F.slowingDown.dagId}: always succeeds, duration rising from ~20 to ~55 minutes`, () => {
    const runs = world.runsOf(F.slowingDown.dagId);
    assert.ok(runs.every((r) => r.state === 'success'));
    const durations = runs.map(minutes);
    assert.ok(Math.abs((durations[0] ?? 0) - F.slowingDown.firstDurationMinutes) < 1.5, `${durations[0]}`);
    assert.ok(
      Math.abs((durations[durations.length - 1] ?? 0) - F.slowingDown.lastDurationMinutes) < 2.5,
      `${durations.at(-1)}`,
    );
    durations.slice(1).forEach((d, i) => assert.ok(d > (durations[i] ?? 0) - 1, 'steady rise'));
  });

  test(`${F.runningNow.dagId}: latest run running, one task running`, () => {
    const latest = world.latestRun(F.runningNow.dagId);
    assert.ok(latest);
    assert.equal(latest.state, 'running');
    assert.equal(latest.end_date, null);
    const states = Object.fromEntries(world.tasks(latest).map((t) => [t.task_id, t.state]));
    for (const t of F.runningNow.succeededTasks) assert.equal(states[t], 'success');
    assert.equal(states[F.runningNow.runningTask], 'running');
    for (const t of F.runningNow.waitingTasks) assert.equal(states[t], null);
  });

  test(`${F.paused.dagId} is paused and last ran over a week ago; ${F.importError.dagId} has an import error`, () => {
    assert.equal(world.dag(F.paused.dagId)?.paused, true);
    const last = world.latestRun(F.paused.dagId);
    assert.ok(
      last?.end_date &&
        last.end_date < now - 7 * DAY &&
        last.end_date > now - (F.paused.lastRunDaysAgo + 1) * DAY,
    );
    const broken = world.dag(F.importError.dagId);
    assert.ok(broken?.import_error?.includes(F.importError.error));
    assert.deepEqual(
      world.importErrors.map((e) => e.filename),
      [F.importError.filename],
    );
    assert.equal(world.dag(F.staleDag)?.stale, true);
  });

  test(`${F.secondRecentFailure.dagId}: latest run failed in the last 24 h in ${F.secondRecentFailure.failedTask}`, () => {
    const latest = world.latestRun(F.secondRecentFailure.dagId);
    assert.ok(latest?.end_date && latest.state === 'failed' && latest.end_date > now - DAY);
    const ti = world.tasks(latest).find((t) => t.task_id === F.secondRecentFailure.failedTask);
    assert.ok(ti?.state === 'failed');
    const text = renderLogText(
      world.log(ti, ti.try_number) ?? { length: 0, at: () => ({ event: '' }), complete: true },
    );
    assert.ok(text.includes(F.secondRecentFailure.logDetail) && text.includes(F.secondRecentFailure.error));
  });

  test(`${F.recoveredFailure.dagId} failed ${F.recoveredFailure.failedDaysAgo} days ago and succeeded since; ${F.oldFailure.dagId} failed >24 h ago`, () => {
    const runs = world.runsOf(F.recoveredFailure.dagId);
    const failed = runs.filter((r) => r.state === 'failed');
    assert.equal(failed.length, 1);
    const end = failed[0]?.end_date ?? 0;
    assert.ok(end > now - 5 * DAY && end < now - 2 * DAY);
    assert.ok(
      runs.filter((r) => r.run_after > (failed[0]?.run_after ?? 0)).every((r) => r.state === 'success'),
    );

    const partition = world.latestRun(F.oldFailure.dagId);
    assert.ok(partition?.end_date && partition.state === 'failed' && partition.end_date < now - DAY);
    const mapped = world.tasks(partition).filter((t) => t.task_id === F.oldFailure.mappedTask);
    assert.deepEqual(
      mapped.map((t) => t.map_index),
      Array.from({ length: F.oldFailure.mapCount }, (_, i) => i),
    );
    const bad = mapped.filter((t) => t.state !== 'success');
    assert.deepEqual(
      bad.map((t) => [t.map_index, t.state, t.try_number]),
      [[F.oldFailure.failedMapIndex, 'failed', F.oldFailure.failedTry]],
    );
    assert.ok(F.oldFailure.failedMapIndex > 100);
  });

  test('failures of the last 24 h are the planted ones, whatever the day and hour', () => {
    assert.deepEqual(failedInLast24h(world), [...F.failedInLast24h].sort());
    for (let h = 0; h < 7 * 24; h += 5) {
      const at = new Date(Date.UTC(2025, 5, 9) + h * HOUR + 17 * MINUTE);
      const found = failedInLast24h(createDemoWorld({ now: at }));
      const extra = found.filter((d) => !(F.failedInLast24h as readonly string[]).includes(d));
      assert.ok(
        F.failedInLast24h.every((d) => found.includes(d)),
        `${at.toISOString()}: ${found}`,
      );
      assert.ok(
        extra.every((d) => d === F.mondayFailure.dagId),
        `${at.toISOString()}: ${extra}`,
      );
      const monday = at.getUTCDay() === 1 && at.getUTCHours() >= 7;
      if (monday) assert.ok(extra.includes(F.mondayFailure.dagId), at.toISOString());
    }
  });
});

describe('world mechanics', () => {
  test('logs are generated lazily, so a huge log costs nothing until read', () => {
    const dag = makeDag({
      dag_id: 'huge',
      owners: ['x'],
      tags: [],
      schedule: '0 0 * * *',
      tasks: [taskDef('spam', 'PythonOperator', { log_lines: 2_000_000 })],
      now,
    });
    const world = new World({
      now,
      dags: [dag],
      runs: [scheduledRun(dag, now - DAY, { state: 'success', durationMs: HOUR }, new Rng(1))],
    });
    const run = world.latestRun('huge');
    assert.ok(run);
    const ti = world.tasks(run)[0];
    assert.ok(ti);
    const started = performance.now();
    const log = world.log(ti, 1);
    assert.ok(log && log.length > 2_000_000);
    assert.ok(log.at(1_234_567).event.length > 0);
    assert.equal(log.at(log.length - 1).event, 'Done. Returned value was: None');
    assert.ok(performance.now() - started < 50);
  });

  test('addRun indexes new runs and rejects duplicates', () => {
    const world = createDemoWorld({ now: NOW });
    const before = world.runs.length;
    const latest = world.latestRun(F.healthy.dagId);
    assert.ok(latest);
    const run = world.addRun({
      ...latest,
      run_id: 'manual__x',
      run_type: 'manual',
      logical_date: null,
      state: 'queued',
      run_after: now + 1000,
    });
    assert.equal(world.runs.length, before + 1);
    assert.equal(world.run(F.healthy.dagId, 'manual__x'), run);
    assert.equal(world.latestRun(F.healthy.dagId), run);
    assert.throws(() => world.addRun({ ...latest, run_id: 'manual__x' }));
    assert.throws(() => world.addRun({ ...latest, run_id: 'other' }), /logical date/);
  });

  test('scale world: many DAGs, exactly the requested failures in the last day', () => {
    const started = performance.now();
    const world = createScaleWorld({ dags: 5000, runsPerDag: 20, failedInLastDay: 40, now: NOW });
    const elapsed = performance.now() - started;
    assert.equal(world.dags.length, 5000);
    assert.equal(world.runs.length, 100_000);
    assert.ok(elapsed < 2000, `${elapsed} ms`);
    const failed = failedInLast24h(world);
    assert.deepEqual(failed, scaleFailedIndexes(5000, 40).map(scaleDagId).sort());
    const tasks = world.tasks(world.latestRun(failed[0] ?? '') as WorldRun);
    assert.deepEqual(
      tasks.map((t) => t.state),
      ['success', 'success', 'failed'],
    );
  });
});
