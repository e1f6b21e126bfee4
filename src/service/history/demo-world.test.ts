import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDemoWorld, DEMO_FACTS } from '../../emulators/world/index.js';
import { analyzeHistory } from './analyze.js';
import { assessFreshness } from './freshness.js';
import { fromWorldRun } from './synthetic.test.helper.js';

const F = DEMO_FACTS;
/** A week of instants at different times of day, Monday before and after the 06:00 run included. */
const NOWS = [
  '2025-06-16T05:10:00Z',
  '2025-06-16T09:00:00Z',
  '2025-06-17T03:15:00Z',
  '2025-06-18T10:30:00Z',
  '2025-06-19T23:59:00Z',
  '2025-06-20T12:00:00Z',
  '2025-06-21T06:45:00Z',
  '2025-06-22T18:20:00Z',
];

for (const nowText of NOWS) {
  describe(`demo world at ${nowText}`, () => {
    const now = new Date(nowText);
    const world = createDemoWorld({ now });
    const analyses = new Map(
      world.dags.map((dag) => {
        const runs = world.runsOf(dag.dag_id).map(fromWorldRun);
        return [dag.dag_id, { dag, runs, a: analyzeHistory(runs, { now, schedule: dag.schedule }) }];
      }),
    );
    const get = (id: string) => {
      const entry = analyses.get(id);
      assert.ok(entry, id);
      return entry;
    };

    test('marketing_attribution fails every Monday, and that is not flakiness', () => {
      const { a } = get(F.mondayFailure.dagId);
      assert.equal(a.patterns.length, 1, a.summary.join(' | '));
      const [p] = a.patterns;
      assert.ok(p && p.kind === 'weekday');
      assert.equal(p.weekday, 'Monday');
      assert.ok(p.runs >= 4);
      assert.equal(p.failures, p.runs);
      assert.equal(p.other_days_failure_rate, 0);
      assert.equal(a.flakiness.flaky, false);
      assert.equal(a.duration.trend.direction, 'stable');
      assert.ok(a.summary.includes(`Fails every Monday (${p.runs} of ${p.runs} Mondays); other days 0 %.`));
      const latestSlot = new Date(a.streak?.since ?? '');
      assert.equal(a.streak?.status, latestSlot.getUTCDay() === 1 ? 'failing' : 'passing');
    });

    test('customer_360_build is getting slower, about 20 → 55 min', () => {
      const { a } = get(F.slowingDown.dagId);
      const t = a.duration.trend;
      assert.equal(t.direction, 'slower', t.reason);
      assert.ok(
        t.change_percent !== null && t.change_percent > 150 && t.change_percent < 200,
        `${t.change_percent}`,
      );
      assert.ok(t.fitted_first_seconds !== null && Math.abs(t.fitted_first_seconds / 60 - 20) < 2);
      assert.ok(t.fitted_last_seconds !== null && Math.abs(t.fitted_last_seconds / 60 - 55) < 2);
      assert.deepEqual(a.patterns, []);
      assert.ok(
        a.summary.some((s) => /^Getting slower: \+1\d\d % over (29|30) days \(20 min → 55 min\)\.$/.test(s)),
      );
    });

    test(`${F.flaky.dagId} is flaky: scattered failures, each followed by a success, no pattern`, () => {
      const { runs, a } = get(F.flaky.dagId);
      const fl = a.flakiness;
      assert.equal(fl.flaky, true, fl.reason);
      assert.deepEqual(a.patterns, [], a.summary.join(' | '));
      assert.equal(a.duration.trend.direction, 'stable', a.duration.trend.reason);
      assert.ok((fl.failure_rate ?? 0) >= 0.18 && (fl.failure_rate ?? 0) <= 0.26, `${fl.failure_rate}`);
      assert.equal(fl.fail_then_pass, fl.failures, 'every failure is followed by a success');
      assert.equal(fl.failure_weekdays, 7);
      const failed = runs.filter((r) => r.status === 'failed');
      const hours = new Set(failed.map((r) => new Date(r.started_at ?? '').getUTCHours()));
      assert.ok(hours.size >= 5, `failures at ${[...hours].join(', ')} h`);
      assert.ok(
        failed.every((r) => Date.parse(r.finished_at ?? '') < now.getTime() - 24 * 3600_000),
        'no failure within the last 24 h',
      );
      assert.equal(a.streak?.status, 'passing');
      assert.ok(
        a.summary.some((s) => s.startsWith('Flaky: ')),
        a.summary.join(' | '),
      );
    });

    test('every other DAG: no pattern, no trend, not flaky', () => {
      const planted = new Set<string>([F.mondayFailure.dagId, F.slowingDown.dagId, F.flaky.dagId]);
      let checked = 0;
      for (const [id, { a }] of analyses) {
        if (planted.has(id)) continue;
        checked++;
        assert.deepEqual(a.patterns, [], `${id}: ${a.summary.join(' | ')}`);
        assert.equal(a.duration.trend.direction, 'stable', `${id}: ${a.duration.trend.reason}`);
        assert.equal(a.flakiness.flaky, false, `${id}: ${a.flakiness.reason}`);
        assert.ok(a.summary.length >= 1 && a.summary.length <= 5, id);
      }
      assert.ok(checked >= F.minDags - 3, `checked ${checked} DAGs`);
    });

    test('healthy, recent-failure and recovered DAGs read as planted', () => {
      const sales = get(F.healthy.dagId).a;
      assert.equal(sales.success_rate, 1);
      assert.equal(sales.streak?.status, 'passing');
      assert.equal(sales.latest_anomaly?.is_outlier, false);
      for (const id of F.failedInLast24h) {
        const { a } = get(id);
        assert.equal(a.streak?.status, 'failing', id);
        assert.equal(a.streak?.runs, 1, id);
        assert.match(a.summary[0] ?? '', /^Failing: the latest run failed/, id);
      }
      const ledger = get(F.recoveredFailure.dagId).a;
      assert.equal(ledger.counts.failed, 1);
      assert.equal(ledger.streak?.status, 'passing');
      assert.equal(ledger.streak?.runs, F.recoveredFailure.failedDaysAgo);
      assert.equal(ledger.recovery.incidents, 1);
    });

    test('freshness of the planted DAGs', () => {
      const fresh = (id: string) => {
        const { dag, runs, a } = get(id);
        return assessFreshness({
          pipeline: { schedule: dag.schedule, paused: dag.paused },
          latestRuns: [...runs].reverse().slice(0, 5),
          typicalDurationSeconds: a.duration.median_seconds,
          now,
        });
      };
      for (const id of [F.healthy.dagId, F.mondayFailure.dagId, F.slowingDown.dagId, F.latestFailure.dagId]) {
        assert.equal(fresh(id).status, 'on_time', `${id}: ${fresh(id).summary}`);
      }
      const broken = fresh(F.importError.dagId);
      assert.equal(broken.status, 'missing', 'its runs stopped when the DAG file broke');
      assert.ok((broken.missed_runs ?? 0) >= 3);
      const paused = fresh(F.paused.dagId);
      assert.equal(paused.status, 'on_time');
      assert.equal(paused.paused, true);
      assert.equal(fresh(F.oldFailure.dagId).status, 'unknown', 'manual-only DAG');
    });
  });
}
