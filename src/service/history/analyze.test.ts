import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PipelineRun } from '../../core/model.js';
import { analyzeHistory } from './analyze.js';
import type { HistoryAnalysis } from './analyze.js';
import { DAY_MS, history, HOUR_MS, random, run } from './synthetic.test.helper.js';

/** A Wednesday. */
const NOW = new Date('2025-06-18T10:30:00Z');
const MIN = 60;
const isMonday = (slot: number) => new Date(slot).getUTCDay() === 1;

function analyze(runs: PipelineRun[], schedule: string | null = '0 6 * * *', now = NOW): HistoryAnalysis {
  const a = analyzeHistory(runs, { now, schedule });
  assert.ok(a.summary.length >= 1 && a.summary.length <= 5, `1..5 summary lines: ${a.summary.join(' | ')}`);
  for (const line of a.summary) assert.ok(line.length <= 160, `short line: ${line}`);
  return a;
}

/** Uniform durations between lo and hi minutes, seeded. */
function uniformMinutes(seed: number, lo: number, hi: number): () => number {
  const r = random(seed);
  return () => (lo + (hi - lo) * r()) * MIN;
}

describe('analyzeHistory: weekday failure pattern', () => {
  const duration = uniformMinutes(1, 12, 15);
  const runs = history({
    now: NOW,
    days: 35,
    status: (slot) => (isMonday(slot) ? 'failed' : 'success'),
    durationSeconds: (slot) => (isMonday(slot) ? 20 * MIN : duration()),
  });
  const a = analyze(runs);

  test('fails every Monday is found, with the numbers behind it', () => {
    assert.deepEqual(a.patterns, [
      {
        kind: 'weekday',
        weekday: 'Monday',
        failures: 5,
        runs: 5,
        failure_rate: 1,
        other_days_failures: 0,
        other_days_runs: 30,
        other_days_failure_rate: 0,
      },
    ]);
    assert.equal(a.summary[0], 'Fails every Monday (5 of 5 Mondays); other days 0 %.');
  });

  test('is a pattern, not flakiness', () => {
    assert.equal(a.flakiness.flaky, false);
    assert.equal(a.flakiness.fail_then_pass, 5);
    assert.match(a.flakiness.reason, /^not flaky/);
  });

  test('counts, success rate, recovery', () => {
    assert.equal(a.counts.runs, 35);
    assert.equal(a.counts.failed, 5);
    assert.equal(a.success_rate, 0.857);
    assert.equal(a.recovery.incidents, 5);
    // Monday's failure finishes ~20 min after 06:00, Tuesday's success 12-15 min after: just under a day.
    assert.ok(a.recovery.median_seconds !== null && a.recovery.median_seconds > 23 * 3600);
    assert.ok(a.recovery.longest_seconds !== null && a.recovery.longest_seconds < 24 * 3600);
    assert.equal(a.duration.trend.direction, 'stable');
  });

  test('the same with the runs in any order', () => {
    const shuffled = [...runs].reverse();
    shuffled.push(...shuffled.splice(0, 11));
    assert.deepEqual(analyze(shuffled), a);
  });

  test('Monday-only failures that started late in the window are still a pattern only if ≥ 3 Mondays', () => {
    const recent = history({
      now: NOW,
      days: 35,
      status: (slot) => (isMonday(slot) && slot > NOW.getTime() - 10 * DAY_MS ? 'failed' : 'success'),
    });
    assert.deepEqual(analyze(recent).patterns, [], '2 failing Mondays of 5 is not "every Monday"');
  });

  test('a weekly pipeline that always fails is not a weekday pattern', () => {
    const weekly = history({ now: NOW, days: 6 * 7, status: () => 'failed' }).filter((r) =>
      isMonday(Date.parse(r.queued_at ?? '')),
    );
    assert.equal(weekly.length, 6);
    const w = analyze(weekly, '0 6 * * 1');
    assert.deepEqual(w.patterns, []);
    assert.equal(w.flakiness.flaky, false);
    assert.equal(w.streak?.status, 'failing');
    assert.equal(w.streak?.runs, 6);
  });
});

describe('analyzeHistory: hour-of-day failure pattern', () => {
  test('an hourly pipeline failing at 02:00 UTC every day', () => {
    const runs = history({
      now: NOW,
      days: 7,
      hour: 0,
      perDay: 24,
      status: (slot) => (new Date(slot).getUTCHours() === 2 ? 'failed' : 'success'),
      durationSeconds: uniformMinutes(2, 4, 6),
    });
    const a = analyze(runs, '0 * * * *');
    assert.equal(a.patterns.length, 1);
    const [p] = a.patterns;
    assert.ok(p && p.kind === 'hour');
    assert.equal(p.hour, 2);
    assert.equal(p.failures, 7);
    assert.equal(p.runs, 7);
    assert.equal(p.other_hours_failure_rate, 0);
    assert.equal(a.flakiness.flaky, false, 'an hour pattern is not flakiness');
    assert.ok(a.summary.includes('Fails at 02:00 UTC (7 of 7 runs in that hour); other hours 0 %.'));
  });
});

describe('analyzeHistory: duration trend', () => {
  test('a steadily slower pipeline (20 → 55 min over 30 days) is slower', () => {
    const noise = uniformMinutes(3, -0.5, 0.5);
    const runs = history({
      now: NOW,
      days: 30,
      durationSeconds: (_s, i) => (20 + (35 * i) / 29) * MIN + noise(),
    });
    const a = analyze(runs);
    const t = a.duration.trend;
    assert.equal(t.direction, 'slower');
    assert.ok(
      t.change_percent !== null && t.change_percent > 165 && t.change_percent < 185,
      `${t.change_percent}`,
    );
    assert.ok(t.slope_seconds_per_day !== null && Math.abs(t.slope_seconds_per_day - 72.4) < 3);
    assert.equal(t.window_days, 29);
    assert.ok(t.p_value !== null && t.p_value < 0.001);
    assert.ok(t.kendall_tau !== null && t.kendall_tau > 0.9);
    assert.match(a.summary.join(' '), /Getting slower: \+1[67]\d % over 29 days \(20 min → 55 min\)\./);
    assert.deepEqual(a.patterns, []);
  });

  test('a slower pipeline with heavy noise is still slower', () => {
    const noise = uniformMinutes(4, -4, 4);
    const runs = history({ now: NOW, days: 30, durationSeconds: (_s, i) => (20 + i) * MIN + noise() });
    assert.equal(analyze(runs).duration.trend.direction, 'slower');
  });

  test('a pipeline getting faster is faster', () => {
    const noise = uniformMinutes(5, -1, 1);
    const runs = history({ now: NOW, days: 20, durationSeconds: (_s, i) => (60 - 1.5 * i) * MIN + noise() });
    const a = analyze(runs);
    assert.equal(a.duration.trend.direction, 'faster');
    assert.match(a.summary.join(' '), /Getting faster: −4\d % over 19 days/);
  });

  test('the stable pipeline (25.5–29.5 min) is stable', () => {
    const a = analyze(history({ now: NOW, days: 30, durationSeconds: uniformMinutes(6, 25.5, 29.5) }));
    assert.equal(a.duration.trend.direction, 'stable');
    assert.ok(a.duration.median_seconds !== null && a.duration.median_seconds > 25.5 * MIN);
    assert.ok(a.summary.some((s) => s.includes('no trend')));
  });

  test('noisy-but-flat pipelines are stable, whatever the seed', () => {
    for (let seed = 10; seed < 40; seed++) {
      const r = random(seed);
      // Right-skewed: mostly 5–25 min, one run in ten up to 3× longer.
      const d = () => (5 + 20 * r()) * MIN * (r() < 0.1 ? 1 + 2 * r() : 1);
      const days = 7 + (seed % 4) * 8;
      const a = analyze(history({ now: NOW, days, perDay: 1 + (seed % 3), durationSeconds: d }));
      assert.equal(a.duration.trend.direction, 'stable', `seed ${seed}: ${a.duration.trend.reason}`);
    }
  });

  test('a small but significant drift is stable (below 20 %)', () => {
    const runs = history({ now: NOW, days: 30, durationSeconds: (_s, i) => (30 + 0.15 * i) * MIN });
    const t = analyze(runs).duration.trend;
    assert.equal(t.direction, 'stable');
    assert.match(t.reason, /significant but small/);
  });

  test('fewer than 8 successful runs: no trend claimed', () => {
    const runs = history({ now: NOW, days: 7, durationSeconds: (_s, i) => (10 + 10 * i) * MIN });
    const t = analyze(runs).duration.trend;
    assert.equal(t.direction, 'stable');
    assert.match(t.reason, /too few/);
    assert.equal(t.change_percent, null);
  });

  test('failed runs do not count towards the trend', () => {
    const runs = history({
      now: NOW,
      days: 30,
      status: (_s, i) => (i % 5 === 4 ? 'failed' : 'success'),
      durationSeconds: (_s, i) => (i % 5 === 4 ? (1 + i) * 2 * MIN : 15 * MIN + (i % 3) * 20),
    });
    assert.equal(analyze(runs).duration.trend.direction, 'stable');
  });
});

describe('analyzeHistory: flakiness', () => {
  test('random fail→pass flips across weekdays are flaky, with no pattern', () => {
    const r = random(77);
    const runs = history({
      now: NOW,
      days: 60,
      status: () => (r() < 0.25 ? 'failed' : 'success'),
      durationSeconds: uniformMinutes(8, 10, 14),
    });
    const a = analyze(runs);
    assert.deepEqual(a.patterns, []);
    assert.equal(a.flakiness.flaky, true, a.flakiness.reason);
    assert.ok(a.flakiness.fail_then_pass >= 3);
    assert.ok((a.flakiness.failure_rate ?? 0) >= 0.15);
    assert.ok(a.flakiness.failure_weekdays >= 4);
    assert.ok(a.summary.some((s) => s.startsWith('Flaky: ')));
  });

  test('random failures never make a weekday or hour pattern', () => {
    for (let seed = 100; seed < 140; seed++) {
      const r = random(seed);
      const rate = [0.05, 0.1, 0.2, 0.3][seed % 4] ?? 0.1;
      const perDay = [1, 4, 24][seed % 3] ?? 1;
      const runs = history({
        now: NOW,
        days: 30,
        hour: 0,
        perDay,
        status: () => (r() < rate ? 'failed' : 'success'),
      });
      const a = analyze(runs, perDay === 1 ? '0 0 * * *' : `0 */${24 / perDay} * * *`);
      assert.deepEqual(a.patterns, [], `seed ${seed}, rate ${rate}, ${perDay}/day`);
    }
  });

  test('a single failure: no pattern, not flaky', () => {
    const runs = history({
      now: NOW,
      days: 30,
      status: (_s, i) => (i === 20 ? 'failed' : 'success'),
      durationSeconds: uniformMinutes(9, 4, 6),
    });
    const a = analyze(runs);
    assert.deepEqual(a.patterns, []);
    assert.equal(a.flakiness.flaky, false);
    assert.equal(a.flakiness.failures, 1);
    assert.equal(a.flakiness.fail_then_pass, 1);
    assert.equal(a.streak?.status, 'passing');
    assert.equal(a.streak?.runs, 9);
    assert.equal(a.recovery.incidents, 1);
    assert.equal(
      a.summary[0],
      'Success rate 97 % (29 of 30 finished runs); median duration 5 min, no trend.',
    );
  });

  test('failures in blocks (a broken week, twice) are not flaky', () => {
    const runs = history({
      now: NOW,
      days: 40,
      status: (_s, i) => ((i >= 5 && i < 12) || (i >= 25 && i < 31) ? 'failed' : 'success'),
    });
    const a = analyze(runs);
    assert.equal(a.flakiness.flaky, false);
    assert.equal(a.flakiness.fail_then_pass, 2);
    assert.deepEqual(a.patterns, []);
  });
});

describe('analyzeHistory: latest run duration anomaly', () => {
  const base = uniformMinutes(11, 25, 30);

  test('a latest run twice as long as usual is an outlier', () => {
    const a = analyze(
      history({ now: NOW, days: 30, durationSeconds: (_s, i) => (i === 29 ? 60 * MIN : base()) }),
    );
    const x = a.latest_anomaly;
    assert.ok(x);
    assert.equal(x.is_outlier, true);
    assert.equal(x.direction, 'slower');
    assert.equal(x.duration_seconds, 3600);
    assert.equal(x.baseline_runs, 29);
    assert.ok(x.robust_z > 3.5, `z ${x.robust_z}`);
    assert.ok(
      a.summary.some((s) => /^Latest run took 60 min, unusually long vs a median of 2\d min/.test(s)),
    );
  });

  test('an ordinary latest run is not', () => {
    const a = analyze(history({ now: NOW, days: 30, durationSeconds: () => base() }));
    assert.equal(a.latest_anomaly?.is_outlier, false);
    assert.equal(a.latest_anomaly?.direction, null);
    assert.ok(Math.abs(a.latest_anomaly?.robust_z ?? 99) < 3.5);
  });

  test('a near-constant history does not flag small wobbles (MAD floor)', () => {
    const a = analyze(history({ now: NOW, days: 20, durationSeconds: (_s, i) => (i === 19 ? 640 : 600) }));
    assert.equal(a.duration.mad_seconds, 0);
    assert.equal(a.latest_anomaly?.mad_used_seconds, 30, '5 % of 600 s');
    assert.equal(a.latest_anomaly?.is_outlier, false);
    const b = analyze(history({ now: NOW, days: 20, durationSeconds: (_s, i) => (i === 19 ? 900 : 600) }));
    assert.equal(b.latest_anomaly?.is_outlier, true);
  });

  test('a failed latest run that stopped early is reported as short, with its status', () => {
    const a = analyze(
      history({
        now: NOW,
        days: 30,
        status: (_s, i) => (i === 29 ? 'failed' : 'success'),
        durationSeconds: (_s, i) => (i === 29 ? 2 * MIN : base()),
      }),
    );
    assert.equal(a.latest_anomaly?.status, 'failed');
    assert.equal(a.latest_anomaly?.direction, 'faster');
    assert.ok(a.summary.some((s) => s.startsWith('Latest run (failed) took 2 min, unusually short')));
  });

  test('too few other runs: no verdict', () => {
    assert.equal(analyze(history({ now: NOW, days: 5 })).latest_anomaly, null);
  });
});

describe('analyzeHistory: streak and recovery', () => {
  // Daily at 06:00, 10-minute runs. Failures: day 5 (recovered next day), days 10–12 (recovered on day 13),
  // and the last 3 days (still failing).
  const failedDays = new Set([5, 10, 11, 12, 27, 28, 29]);
  const runs = history({ now: NOW, days: 30, status: (_s, i) => (failedDays.has(i) ? 'failed' : 'success') });
  const a = analyze(runs);

  test('failing streak with its start', () => {
    assert.deepEqual(a.streak, {
      status: 'failing',
      runs: 3,
      since: '2025-06-16T06:00:00.000Z',
      latest_run_id: 'scheduled__2025-06-18T06:00:00.000Z',
      last_success_at: '2025-06-15T06:10:07.000Z',
    });
    assert.equal(a.summary[0], 'Failing: the last 3 runs failed, since Monday 06:00 UTC.');
  });

  test('median and longest time to recovery, and the open incident', () => {
    assert.equal(a.recovery.incidents, 2);
    assert.equal(a.recovery.median_seconds, 2 * 86400, 'median of 1 day and 3 days');
    assert.equal(a.recovery.longest_seconds, 3 * 86400);
    assert.equal(a.recovery.open_since, '2025-06-16T06:10:07.000Z');
  });

  test('passing streak', () => {
    const ok = analyze(history({ now: NOW, days: 10, status: (_s, i) => (i === 3 ? 'failed' : 'success') }));
    assert.equal(ok.streak?.status, 'passing');
    assert.equal(ok.streak?.runs, 6);
    assert.equal(ok.streak?.last_success_at, null);
    assert.equal(ok.recovery.open_since, null);
  });
});

describe('analyzeHistory: edge cases', () => {
  test('no runs', () => {
    const a = analyze([]);
    assert.equal(a.success_rate, null);
    assert.equal(a.streak, null);
    assert.equal(a.latest_anomaly, null);
    assert.deepEqual(a.summary, ['No runs in the history.']);
  });

  test('active, cancelled and unknown runs are counted but not judged', () => {
    const slot = NOW.getTime() - HOUR_MS;
    const runs = [
      run({ slot, status: 'running', runId: 'r' }),
      run({ slot: slot - DAY_MS, status: 'cancelled', runId: 'c' }),
      run({ slot: slot - 2 * DAY_MS, status: 'unknown', runId: 'u' }),
      run({ slot: slot - 3 * DAY_MS, status: 'pending', runId: 'p' }),
    ];
    const a = analyze(runs);
    assert.deepEqual(a.counts, { runs: 4, succeeded: 0, failed: 0, cancelled: 1, active: 2, unknown: 1 });
    assert.equal(a.success_rate, null);
    assert.equal(a.streak, null);
    assert.deepEqual(a.summary, ['No finished runs yet.']);
  });

  test('scheduled runs are bucketed by their cron slot, not by a late start', () => {
    // Sunday 23:50 runs that are queued and start after midnight (Monday), failing every time.
    const runs: PipelineRun[] = [];
    const lastSunday = Date.parse('2025-06-15T23:50:00Z');
    for (let i = 0; i < 35; i++) {
      const slot = lastSunday - (34 - i) * DAY_MS;
      const sunday = new Date(slot).getUTCDay() === 0;
      const r = run({ slot, status: sunday ? 'failed' : 'success', startDelaySeconds: 15 * 60 });
      runs.push({ ...r, queued_at: r.started_at });
    }
    const a = analyze(runs, '50 23 * * *');
    assert.equal(a.patterns.length, 1);
    assert.equal(a.patterns[0]?.kind === 'weekday' && a.patterns[0].weekday, 'Sunday');
    // Without the schedule the start times say Monday.
    const raw = analyze(runs, null);
    assert.equal(raw.patterns[0]?.kind === 'weekday' && raw.patterns[0].weekday, 'Monday');
  });

  test('durations fall back to start/finish times', () => {
    const runs = history({ now: NOW, days: 10, durationSeconds: () => 300 }).map((r) => ({
      ...r,
      duration_seconds: null,
    }));
    assert.equal(analyze(runs).duration.median_seconds, 300);
  });

  test('long histories are thinned for the trend and stay fast', () => {
    const noise = uniformMinutes(12, -1, 1);
    const runs = history({
      now: NOW,
      days: 60,
      hour: 0,
      perDay: 96,
      durationSeconds: (_s, i) => 300 + i / 10 + noise(),
    });
    const started = performance.now();
    const a = analyze(runs, '*/15 * * * *');
    assert.ok(performance.now() - started < 2000, 'under 2 s for 5,760 runs');
    assert.equal(a.duration.trend.runs, 200);
    assert.equal(a.duration.trend.direction, 'slower');
  });
});
