import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PipelineRun } from '../../core/model.js';
import { assessFreshness } from './freshness.js';
import type { Freshness } from './freshness.js';
import { DAY_MS, run } from './synthetic.test.helper.js';

const at = (s: string) => Date.parse(s);
/** Daily 06:00 runs, newest first, the newest at `lastSlot`. */
function dailyRuns(lastSlot: string, count = 3): PipelineRun[] {
  return Array.from({ length: count }, (_, i) => run({ slot: at(lastSlot) - i * DAY_MS, status: 'success' }));
}

function assess(
  schedule: string | null,
  latestRuns: PipelineRun[],
  now: string,
  options: { paused?: boolean; typical?: number | null } = {},
): Freshness {
  const f = assessFreshness({
    pipeline: { schedule, paused: options.paused ?? false },
    latestRuns,
    typicalDurationSeconds: options.typical === undefined ? 600 : options.typical,
    now: new Date(now),
  });
  assert.ok(f.summary.length > 0 && !f.summary.includes('\n'), 'one line');
  return f;
}

describe('assessFreshness: cron schedules', () => {
  test('on time: today’s 06:00 run started', () => {
    const f = assess('0 6 * * *', dailyRuns('2025-06-18T06:00:00Z'), '2025-06-18T10:30:00Z');
    assert.equal(f.status, 'on_time');
    assert.equal(f.schedule_kind, 'cron');
    assert.equal(f.expected_at, '2025-06-18T06:00:00.000Z');
    assert.equal(f.next_expected_at, '2025-06-19T06:00:00.000Z');
    assert.equal(f.interval_seconds, 86400);
    assert.equal(f.grace_seconds, 8640);
    assert.equal(f.last_started_at, '2025-06-18T06:00:07.000Z');
    assert.equal(f.minutes_late, null);
    assert.equal(f.missed_runs, 0);
    assert.equal(
      f.summary,
      'On time: last run started Wednesday 06:00 UTC; next expected Thursday 06:00 UTC.',
    );
  });

  test('within the grace (10 % of a day) today’s run is not late yet', () => {
    const f = assess('0 6 * * *', dailyRuns('2025-06-17T06:00:00Z'), '2025-06-18T08:20:00Z');
    assert.equal(f.status, 'on_time');
    assert.equal(f.expected_at, '2025-06-17T06:00:00.000Z');
  });

  test('late: today’s run has not started 2.5 h after 06:00', () => {
    const f = assess('0 6 * * *', dailyRuns('2025-06-17T06:00:00Z'), '2025-06-18T08:30:00Z');
    assert.equal(f.status, 'late');
    assert.equal(f.expected_at, '2025-06-18T06:00:00.000Z');
    assert.equal(f.minutes_late, 150);
    assert.equal(f.missed_runs, 1);
    assert.equal(
      f.summary,
      'Late: the run due Wednesday 06:00 UTC has not started (2 h 30 min late, grace 2 h 24 min); last run started Tuesday 06:00 UTC.',
    );
  });

  test('missing: more than one scheduled run did not happen', () => {
    const f = assess('0 6 * * *', dailyRuns('2025-06-15T06:00:00Z'), '2025-06-18T10:30:00Z');
    assert.equal(f.status, 'missing');
    assert.equal(f.missed_runs, 3);
    assert.equal(f.expected_at, '2025-06-16T06:00:00.000Z', 'the first missed run');
    assert.equal(f.minutes_late, (2 * 24 + 4.5) * 60);
    assert.match(f.summary, /^Missing: 3 scheduled runs did not start since Monday 06:00 UTC/);
  });

  test('hourly preset: 10-minute grace', () => {
    const runs = [run({ slot: at('2025-06-18T09:00:00Z'), status: 'success', durationSeconds: 300 })];
    assert.equal(assess('@hourly', runs, '2025-06-18T10:09:00Z').status, 'on_time');
    const late = assess('@hourly', runs, '2025-06-18T10:15:00Z');
    assert.equal(late.status, 'late');
    assert.equal(late.grace_seconds, 600);
    assert.equal(late.minutes_late, 15);
    assert.equal(assess('@hourly', runs, '2025-06-18T11:15:00Z').status, 'missing');
  });

  test('a run that started late but within the grace covers its slot', () => {
    const runs = [run({ slot: at('2025-06-18T06:00:00Z'), status: 'running', startDelaySeconds: 90 * 60 })];
    const f = assess('0 6 * * *', runs, '2025-06-18T09:00:00Z', { typical: 3600 });
    assert.equal(f.expected_at, '2025-06-18T06:00:00.000Z');
    assert.equal(f.status, 'on_time');
    assert.equal(f.running?.exceeded, false);
  });

  test('irregular cron: no run is expected on Saturday for a weekday schedule', () => {
    const runs = [run({ slot: at('2025-06-20T08:00:00Z'), status: 'success' })]; // Friday
    const f = assess('0 8 * * 1-5', runs, '2025-06-21T12:00:00Z');
    assert.equal(f.status, 'on_time');
    assert.equal(f.next_expected_at, '2025-06-23T08:00:00.000Z');
    assert.equal(f.interval_seconds, 86400, 'the shorter gap around Friday');
    const monday = assess('0 8 * * 1-5', runs, '2025-06-23T11:00:00Z');
    assert.equal(monday.status, 'late');
  });

  test('a queued run that has not started is still late, and said so', () => {
    const queued = run({ slot: at('2025-06-18T06:00:00Z'), status: 'pending' });
    const f = assess('0 6 * * *', [queued, ...dailyRuns('2025-06-17T06:00:00Z')], '2025-06-18T09:00:00Z');
    assert.equal(f.status, 'late');
    assert.equal(f.queued_since, '2025-06-18T06:00:02.000Z');
    assert.match(f.summary, /a run is queued since Wednesday 06:00 UTC but has not started/);
  });

  test('a failed run still counts as having run', () => {
    const failed = run({ slot: at('2025-06-18T06:00:00Z'), status: 'failed' });
    assert.equal(assess('0 6 * * *', [failed], '2025-06-18T10:30:00Z').status, 'on_time');
  });
});

describe('assessFreshness: interval schedules', () => {
  const runs = [run({ slot: at('2025-06-17T06:00:00Z'), status: 'success' })];
  test('anchored on the last start', () => {
    const f = assess('1 day, 0:00:00', runs, '2025-06-18T07:00:00Z');
    assert.equal(f.status, 'on_time');
    assert.equal(f.schedule_kind, 'interval');
    assert.equal(f.next_expected_at, '2025-06-18T06:00:07.000Z');
    const late = assess('1 day, 0:00:00', runs, '2025-06-18T09:00:00Z');
    assert.equal(late.status, 'late');
    assert.equal(late.expected_at, '2025-06-18T06:00:07.000Z');
    assert.equal(assess('1 day, 0:00:00', runs, '2025-06-19T09:00:00Z').status, 'missing');
  });
});

describe('assessFreshness: long-running runs', () => {
  const started = at('2025-06-18T08:00:00Z');
  const running = run({ slot: started - 7000, status: 'running', runId: 'slow_one' });

  test('running for more than max(3 × typical, typical + 30 min)', () => {
    const f = assess('0 8 * * *', [running], '2025-06-18T10:00:00Z', { typical: 20 * 60 });
    assert.equal(f.status, 'long_running');
    assert.deepEqual(f.running, {
      run_id: 'slow_one',
      started_at: '2025-06-18T08:00:00.000Z',
      elapsed_seconds: 7200,
      typical_duration_seconds: 1200,
      threshold_seconds: 3600,
      exceeded: true,
    });
    assert.equal(
      f.summary,
      'Long-running: run slow_one has been running for 2 h vs a typical 20 min (limit 60 min).',
    );
  });

  test('not yet long-running for a long pipeline (threshold 3 × 50 min)', () => {
    const f = assess('0 8 * * *', [running], '2025-06-18T10:00:00Z', { typical: 50 * 60 });
    assert.equal(f.status, 'on_time');
    assert.equal(f.running?.threshold_seconds, 9000);
    assert.equal(f.running?.exceeded, false);
  });

  test('short pipelines get at least typical + 30 min', () => {
    const f = assess('0 8 * * *', [running], '2025-06-18T08:30:00Z', { typical: 5 * 60 });
    assert.equal(f.running?.threshold_seconds, 35 * 60);
    assert.equal(f.status, 'on_time');
    assert.equal(
      assess('0 8 * * *', [running], '2025-06-18T08:36:00Z', { typical: 5 * 60 }).status,
      'long_running',
    );
  });

  test('without a typical duration there is no long-running verdict', () => {
    const f = assess('0 8 * * *', [running], '2025-06-18T20:00:00Z', { typical: null });
    assert.equal(f.status, 'on_time');
    assert.equal(f.running?.threshold_seconds, null);
  });

  test('a stuck run wins over the late runs it blocks, and both are reported', () => {
    const f = assess(
      '0 * * * *',
      [run({ slot: at('2025-06-18T06:00:00Z'), status: 'running' })],
      '2025-06-18T10:30:00Z',
      {
        typical: 10 * 60,
      },
    );
    assert.equal(f.status, 'long_running');
    assert.equal(f.missed_runs, 4);
    assert.match(f.summary, /^Long-running: .*\. Missing: 4 scheduled runs did not start/);
  });

  test('without a schedule a stuck run is still long-running', () => {
    assert.equal(assess(null, [running], '2025-06-18T12:00:00Z', { typical: 600 }).status, 'long_running');
  });
});

describe('assessFreshness: paused and unknown', () => {
  test('a paused pipeline is never late', () => {
    const f = assess('0 6 * * *', dailyRuns('2025-06-06T06:00:00Z'), '2025-06-18T10:30:00Z', {
      paused: true,
    });
    assert.equal(f.status, 'on_time');
    assert.equal(f.paused, true);
    assert.equal(f.minutes_late, null);
    assert.equal(f.summary, 'Paused: no runs are expected (last run started Jun 6 06:00 UTC).');
  });

  test('no schedule, asset triggers, @once and free text are unknown', () => {
    for (const schedule of [null, 'Asset', '@once', 'None', 'At 02:00 on weekdays']) {
      const f = assess(schedule, dailyRuns('2025-06-01T06:00:00Z'), '2025-06-18T10:30:00Z');
      assert.equal(f.status, 'unknown', String(schedule));
      assert.equal(f.expected_at, null);
    }
    assert.match(assess(null, [], '2025-06-18T10:30:00Z').summary, /^No time-based schedule/);
  });

  test('a scheduled pipeline with no run yet is unknown', () => {
    const f = assess('0 6 * * *', [], '2025-06-18T10:30:00Z');
    assert.equal(f.status, 'unknown');
    assert.equal(f.next_expected_at, '2025-06-19T06:00:00.000Z');
    assert.equal(f.summary, 'No run has started yet, so lateness cannot be judged.');
  });
});

describe('assessFreshness: far behind', () => {
  test('missed slots are counted up to a bound', () => {
    const runs = [run({ slot: Date.parse('2025-01-01T00:00:00Z'), status: 'success' })];
    const f = assess('* * * * *', runs, '2025-06-18T10:30:00Z');
    assert.equal(f.status, 'missing');
    assert.equal(f.missed_runs, 1000);
    assert.match(f.summary, /^Missing: At least 1000 scheduled runs/);
    assert.ok(f.minutes_late !== null && f.minutes_late > 100 * 24 * 60);
  });

  test('every-5-minutes cron gets the 10-minute floor', () => {
    const runs = [run({ slot: Date.parse('2025-06-18T10:10:00Z'), status: 'success', durationSeconds: 60 })];
    assert.equal(
      assess('*/5 * * * *', runs, '2025-06-18T10:24:00Z').status,
      'on_time',
      '10:15 + 10 min not reached',
    );
    const f = assess('*/5 * * * *', runs, '2025-06-18T10:26:00Z');
    assert.equal(f.grace_seconds, 600);
    assert.equal(f.status, 'late');
    assert.equal(f.expected_at, '2025-06-18T10:15:00.000Z');
    assert.equal(f.minutes_late, 11);
    assert.equal(assess('*/5 * * * *', runs, '2025-06-18T10:31:00Z').status, 'missing');
  });
});
