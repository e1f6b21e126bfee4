import type { PipelineRun } from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import { quantile } from '../stats.js';
import type { Weekday } from './format.js';
import {
  formatChange,
  formatDuration,
  formatPercent,
  formatWhen,
  iso,
  isoOrNull,
  parseTime,
  round,
  roundOrNull,
  WEEKDAYS,
} from './format.js';
import { mad, mannKendall, median, robustZ, sortedCopy, theilSen, thin } from './robust.js';
import { cronPrev, parseSchedule } from './schedule.js';

/**
 * The thresholds behind every verdict of `analyzeHistory`, exported so that docs and tools can quote them.
 * They are deliberately conservative: a false "fails every Monday" or "getting slower" costs more trust
 * than a missed one.
 */
export const HISTORY_THRESHOLDS = {
  trend: {
    /** Successful runs with a duration needed before any trend is claimed. */
    minRuns: 8,
    /** Fitted change from the first to the last run, in percent of the first. */
    minChangePercent: 20,
    /** And in absolute terms, so that a 5 s job taking 8 s is not "getting slower". */
    minChangeSeconds: 30,
    /** Two-sided Mann–Kendall p-value (strict: histories are long and noisy, and many pipelines are checked). */
    maxPValue: 0.001,
    /** And the fitted change must stand out of the run-to-run noise: at least this many robust SDs of the residuals. */
    minChangeNoiseRatio: 2,
    /** Longer histories are thinned evenly to this many runs (Theil–Sen is quadratic). */
    maxPoints: 200,
  },
  anomaly: {
    /** |robust z| above this is an outlier (Iglewicz & Hoaglin). */
    zThreshold: 3.5,
    minBaselineRuns: 5,
    /** The MAD used is at least this share of the median duration... */
    madFloorFraction: 0.05,
    /** ...and at least this many seconds. */
    madFloorSeconds: 10,
  },
  pattern: {
    /** The weekday (or hour) fails at least this often... */
    minFailureRate: 0.8,
    /** ...over at least this many runs... */
    minRuns: 3,
    /** ...while the other days (hours) fail at most this often... */
    maxOtherFailureRate: 0.2,
    /** ...over at least this many runs. */
    minOtherRuns: 3,
  },
  flaky: {
    /** Failures directly followed by a success. */
    minFailThenPass: 3,
    /** Share of finished runs that failed. */
    minFailureRate: 0.15,
    /** Share of failures that passed on the next run. */
    minFailThenPassRate: 0.5,
    /** Failures must be spread over at least this many weekdays (and not explained by a pattern). */
    minWeekdays: 2,
  },
  /** Scheduled runs are bucketed by their cron slot when it is at most this far before the run. */
  slotSnapSeconds: 6 * 3600,
} as const;

export interface HistoryCounts {
  /** Every run given. */
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Pending or running. */
  active: number;
  /** Status unknown. */
  unknown: number;
}

export interface DurationTrend {
  /** `stable` unless the change is both large enough and significant (see HISTORY_THRESHOLDS.trend). */
  direction: 'slower' | 'faster' | 'stable';
  /** Why the direction was chosen, in plain words (e.g. "p = 0.21, not significant"). */
  reason: string;
  method: 'theil-sen + mann-kendall';
  /** Successful runs the trend was fitted on. */
  runs: number;
  /** From the first to the last of those runs. */
  window_days: number | null;
  slope_seconds_per_day: number | null;
  /** Fitted duration at the first and at the last run of the window. */
  fitted_first_seconds: number | null;
  fitted_last_seconds: number | null;
  /** Fitted change from the first to the last run, in percent of the first. */
  change_percent: number | null;
  /** Run-to-run noise around the fitted line: 1.4826 × MAD of the residuals. */
  noise_seconds: number | null;
  /** Kendall's tau between time and duration, −1..1 (rank statistic). */
  kendall_tau: number | null;
  mann_kendall_z: number | null;
  /** Two-sided p-value of "no monotonic trend". */
  p_value: number | null;
}

export interface DurationAnalysis {
  /** Successful runs with a known duration. */
  runs: number;
  median_seconds: number | null;
  p95_seconds: number | null;
  /** Median absolute deviation (unscaled). */
  mad_seconds: number | null;
  min_seconds: number | null;
  max_seconds: number | null;
  trend: DurationTrend;
}

export interface LatestAnomaly {
  run_id: string;
  status: 'success' | 'failed';
  started_at: string | null;
  duration_seconds: number;
  /** The other successful runs compared against. */
  baseline_runs: number;
  baseline_median_seconds: number;
  baseline_mad_seconds: number;
  /** The MAD actually used: the baseline MAD raised to its floor. */
  mad_used_seconds: number;
  /** 0.6745·(duration − median)/MAD used. */
  robust_z: number;
  is_outlier: boolean;
  /** Set when it is an outlier. */
  direction: 'slower' | 'faster' | null;
}

export interface WeekdayPattern {
  kind: 'weekday';
  weekday: Weekday;
  failures: number;
  runs: number;
  failure_rate: number;
  other_days_failures: number;
  other_days_runs: number;
  other_days_failure_rate: number;
}

export interface HourPattern {
  kind: 'hour';
  /** Hour of day, UTC. */
  hour: number;
  failures: number;
  runs: number;
  failure_rate: number;
  other_hours_failures: number;
  other_hours_runs: number;
  other_hours_failure_rate: number;
}

export type FailurePattern = WeekdayPattern | HourPattern;

export interface Flakiness {
  flaky: boolean;
  /** Why, in plain words. */
  reason: string;
  /** Succeeded + failed runs. */
  finished: number;
  failures: number;
  failure_rate: number | null;
  /** Failures whose next finished run succeeded. */
  fail_then_pass: number;
  /** fail_then_pass over failures. */
  fail_then_pass_rate: number | null;
  /** Distinct UTC weekdays the failures fell on. */
  failure_weekdays: number;
}

export interface Streak {
  status: 'failing' | 'passing';
  /** Consecutive finished runs with that outcome, newest first. */
  runs: number;
  /** Scheduled/start time of the first run of the streak. */
  since: string;
  latest_run_id: string;
  /** For a failing streak: when the last success before it finished (null if none in the history). */
  last_success_at: string | null;
}

export interface Recovery {
  /** Failure episodes that ended with a success. */
  incidents: number;
  /** From the first failure of an episode finishing to the next success finishing. */
  median_seconds: number | null;
  longest_seconds: number | null;
  /** When the failure episode still going on began (its first failure finished), or null. */
  open_since: string | null;
}

export interface HistoryAnalysis {
  analyzed_at: string;
  timezone: 'UTC';
  schedule: string | null;
  /** Time span of the runs analysed (scheduled/start times). */
  window: { first_run_at: string | null; last_run_at: string | null; days: number | null };
  counts: HistoryCounts;
  /** succeeded / (succeeded + failed), 0..1; null when none finished. */
  success_rate: number | null;
  duration: DurationAnalysis;
  /** Null when there is no finished run with a duration or too few others to compare with. */
  latest_anomaly: LatestAnomaly | null;
  /** Strong, supported failure patterns only; usually empty. */
  patterns: FailurePattern[];
  flakiness: Flakiness;
  /** Null when no run has finished. */
  streak: Streak | null;
  recovery: Recovery;
  /** At most 5 short plain-English sentences, most important first. */
  summary: string[];
}

export interface AnalyzeHistoryOptions {
  now: Date;
  /** Cron expression or summary; used to bucket scheduled runs by their slot. May be null. */
  schedule: string | null;
  timezone?: 'UTC';
}

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;

/** A run with the times the analysis needs. */
interface Item {
  run: PipelineRun;
  status: RunStatus;
  /** Chronological key: start, else queue, else finish time. */
  at: number;
  /** Scheduled slot (for weekday/hour buckets): the cron slot of a scheduled run, else its queue/start time. */
  slot: number;
  finishedAt: number | null;
  duration: number | null;
}

/** Pure analysis of a pipeline's run history ("does it fail every Monday? is it getting slower?"). */
export function analyzeHistory(
  runs: readonly PipelineRun[],
  options: AnalyzeHistoryOptions,
): HistoryAnalysis {
  const now = options.now.getTime();
  const schedule = parseSchedule(options.schedule);
  const cron = schedule?.kind === 'cron' ? schedule.expression : null;
  const items = runs
    .map((run) => toItem(run, cron))
    .filter((i): i is Item => i !== null)
    .sort((a, b) => a.at - b.at || (a.run.run_id < b.run.run_id ? -1 : a.run.run_id > b.run.run_id ? 1 : 0));
  const finished = items.filter((i) => i.status === 'success' || i.status === 'failed');
  const successes = items.filter((i) => i.status === 'success' && i.duration !== null);

  const counts: HistoryCounts = {
    runs: runs.length,
    succeeded: runs.filter((r) => r.status === 'success').length,
    failed: runs.filter((r) => r.status === 'failed').length,
    cancelled: runs.filter((r) => r.status === 'cancelled').length,
    active: runs.filter((r) => r.status === 'running' || r.status === 'pending').length,
    unknown: runs.filter((r) => r.status === 'unknown').length,
  };
  const decided = counts.succeeded + counts.failed;
  const first = items[0];
  const last = items[items.length - 1];

  const duration = analyzeDurations(successes);
  const patterns = [...weekdayPatterns(finished), ...hourPatterns(finished)];
  const flakiness = analyzeFlakiness(finished, patterns);
  const streak = currentStreak(finished);
  const recovery = recoveryTimes(finished);
  const latest_anomaly = latestAnomaly(finished, successes);

  const analysis: Omit<HistoryAnalysis, 'summary'> = {
    analyzed_at: iso(now),
    timezone: 'UTC',
    schedule: options.schedule,
    window: {
      first_run_at: first ? iso(first.at) : null,
      last_run_at: last ? iso(last.at) : null,
      days: first && last ? round((last.at - first.at) / DAY_MS, 1) : null,
    },
    counts,
    success_rate: decided > 0 ? round(counts.succeeded / decided, 3) : null,
    duration,
    latest_anomaly,
    patterns,
    flakiness,
    streak,
    recovery,
  };
  return { ...analysis, summary: summarize(analysis, now) };
}

function toItem(run: PipelineRun, cron: string | null): Item | null {
  const started = parseTime(run.started_at);
  const queued = parseTime(run.queued_at);
  const finishedAt = parseTime(run.finished_at);
  const at = started ?? queued ?? finishedAt;
  if (at === null) return null;
  let slot = queued ?? at;
  if (cron !== null && run.trigger === 'scheduled') {
    const fire = cronPrev(cron, slot);
    if (fire !== null && slot - fire <= HISTORY_THRESHOLDS.slotSnapSeconds * 1000) slot = fire;
  }
  let duration = run.duration_seconds;
  if ((duration === null || !Number.isFinite(duration)) && started !== null && finishedAt !== null) {
    duration = finishedAt >= started ? (finishedAt - started) / 1000 : null;
  }
  return { run, status: run.status, at, slot, finishedAt, duration };
}

function analyzeDurations(successes: readonly Item[]): DurationAnalysis {
  const values = successes.map((i) => i.duration as number);
  const sorted = sortedCopy(values);
  return {
    runs: values.length,
    median_seconds: roundOrNull(quantile(sorted, 0.5), 1),
    p95_seconds: roundOrNull(quantile(sorted, 0.95), 1),
    mad_seconds: roundOrNull(mad(values), 1),
    min_seconds: sorted[0] ?? null,
    max_seconds: sorted[sorted.length - 1] ?? null,
    trend: durationTrend(successes),
  };
}

function durationTrend(successes: readonly Item[]): DurationTrend {
  const T = HISTORY_THRESHOLDS.trend;
  const empty: DurationTrend = {
    direction: 'stable',
    reason: `too few successful runs with a duration (${successes.length}, need ${T.minRuns})`,
    method: 'theil-sen + mann-kendall',
    runs: successes.length,
    window_days: null,
    slope_seconds_per_day: null,
    fitted_first_seconds: null,
    fitted_last_seconds: null,
    change_percent: null,
    noise_seconds: null,
    kendall_tau: null,
    mann_kendall_z: null,
    p_value: null,
  };
  if (successes.length < T.minRuns) return empty;
  const points = thin(successes, T.maxPoints);
  const t0 = (points[0] as Item).at;
  const xs = points.map((p) => (p.at - t0) / DAY_MS);
  const ys = points.map((p) => p.duration as number);
  const fit = theilSen(xs, ys);
  const mk = mannKendall(ys);
  const windowDays = xs[xs.length - 1] ?? 0;
  if (!fit || !mk || windowDays <= 0) return { ...empty, reason: 'all runs started at the same time' };

  const fittedFirst = fit.intercept;
  const fittedLast = fit.intercept + fit.slope * windowDays;
  const base = fittedFirst > 0 ? fittedFirst : (median(ys) ?? 0);
  const changeSeconds = fittedLast - fittedFirst;
  const changePercent = base > 0 ? (changeSeconds / base) * 100 : 0;
  const residuals = xs.map((x, i) => (ys[i] as number) - (fit.intercept + fit.slope * x));
  const noise = 1.4826 * (mad(residuals) ?? 0);
  const significant = mk.p <= T.maxPValue && Math.sign(mk.s) === Math.sign(fit.slope);
  const large =
    Math.abs(changePercent) >= T.minChangePercent &&
    Math.abs(changeSeconds) >= T.minChangeSeconds &&
    Math.abs(changeSeconds) >= T.minChangeNoiseRatio * noise;
  const direction = significant && large ? (changeSeconds > 0 ? 'slower' : 'faster') : 'stable';
  const p = mk.p < 0.001 ? 'p < 0.001' : `p = ${round(mk.p, 3)}`;
  const change = `${formatChange(changePercent)} (${formatDuration(Math.abs(changeSeconds))})`;
  const reason =
    direction !== 'stable'
      ? `${change} over ${round(windowDays, 1)} days, significant (${p}, tau ${round(mk.tau, 2)})`
      : !significant
        ? `no significant monotonic trend (${p}, tau ${round(mk.tau, 2)}; fitted change ${change})`
        : `significant but small: fitted change ${change} is below ${T.minChangePercent} %, ${T.minChangeSeconds} s or ${T.minChangeNoiseRatio}× the noise (${formatDuration(noise)})`;
  return {
    direction,
    reason,
    method: 'theil-sen + mann-kendall',
    runs: points.length,
    window_days: round(windowDays, 1),
    slope_seconds_per_day: round(fit.slope, 1),
    fitted_first_seconds: round(fittedFirst, 1),
    fitted_last_seconds: round(fittedLast, 1),
    change_percent: round(changePercent, 1),
    noise_seconds: round(noise, 1),
    kendall_tau: round(mk.tau, 3),
    mann_kendall_z: round(mk.z, 2),
    p_value: mk.p < 1e-6 ? 0 : round(mk.p, 6),
  };
}

function latestAnomaly(finished: readonly Item[], successes: readonly Item[]): LatestAnomaly | null {
  const A = HISTORY_THRESHOLDS.anomaly;
  let latest: Item | undefined;
  for (let k = finished.length - 1; k >= 0; k--) {
    const item = finished[k] as Item;
    if (item.duration !== null) {
      latest = item;
      break;
    }
  }
  if (!latest || latest.duration === null) return null;
  const baseline = successes.filter((i) => i !== latest).map((i) => i.duration as number);
  if (baseline.length < A.minBaselineRuns) return null;
  const med = median(baseline) as number;
  const spread = mad(baseline) as number;
  const madUsed = Math.max(spread, A.madFloorFraction * med, A.madFloorSeconds);
  const z = robustZ(latest.duration, med, spread, madUsed);
  const outlier = Math.abs(z) > A.zThreshold;
  return {
    run_id: latest.run.run_id,
    status: latest.status === 'failed' ? 'failed' : 'success',
    started_at: latest.run.started_at,
    duration_seconds: round(latest.duration, 1),
    baseline_runs: baseline.length,
    baseline_median_seconds: round(med, 1),
    baseline_mad_seconds: round(spread, 1),
    mad_used_seconds: round(madUsed, 1),
    robust_z: round(z, 2),
    is_outlier: outlier,
    direction: outlier ? (z > 0 ? 'slower' : 'faster') : null,
  };
}

interface Bucket {
  runs: number;
  failures: number;
}

/** Keys whose failure rate is high while the rest is low; null when there is no such strong split. */
function strongBuckets(
  finished: readonly Item[],
  keyOf: (slot: number) => number,
): { key: number; own: Bucket; other: Bucket }[] {
  const P = HISTORY_THRESHOLDS.pattern;
  const buckets = new Map<number, Bucket>();
  for (const item of finished) {
    const key = keyOf(item.slot);
    const b = buckets.get(key) ?? { runs: 0, failures: 0 };
    b.runs++;
    if (item.status === 'failed') b.failures++;
    buckets.set(key, b);
  }
  const hot = [...buckets.entries()].filter(
    ([, b]) => b.runs >= P.minRuns && b.failures / b.runs >= P.minFailureRate,
  );
  if (hot.length === 0) return [];
  const hotKeys = new Set(hot.map(([k]) => k));
  const other: Bucket = { runs: 0, failures: 0 };
  for (const [k, b] of buckets) {
    if (hotKeys.has(k)) continue;
    other.runs += b.runs;
    other.failures += b.failures;
  }
  if (other.runs < P.minOtherRuns || other.failures / other.runs > P.maxOtherFailureRate) return [];
  return hot.sort(([a], [b]) => a - b).map(([key, own]) => ({ key, own, other }));
}

function weekdayPatterns(finished: readonly Item[]): WeekdayPattern[] {
  return strongBuckets(finished, (slot) => new Date(slot).getUTCDay()).map(({ key, own, other }) => ({
    kind: 'weekday',
    weekday: WEEKDAYS[key] as Weekday,
    failures: own.failures,
    runs: own.runs,
    failure_rate: round(own.failures / own.runs, 3),
    other_days_failures: other.failures,
    other_days_runs: other.runs,
    other_days_failure_rate: round(other.failures / other.runs, 3),
  }));
}

function hourPatterns(finished: readonly Item[]): HourPattern[] {
  return strongBuckets(finished, (slot) => new Date(slot).getUTCHours()).map(({ key, own, other }) => ({
    kind: 'hour',
    hour: key,
    failures: own.failures,
    runs: own.runs,
    failure_rate: round(own.failures / own.runs, 3),
    other_hours_failures: other.failures,
    other_hours_runs: other.runs,
    other_hours_failure_rate: round(other.failures / other.runs, 3),
  }));
}

function analyzeFlakiness(finished: readonly Item[], patterns: readonly FailurePattern[]): Flakiness {
  const F = HISTORY_THRESHOLDS.flaky;
  let failures = 0;
  let flips = 0;
  const weekdays = new Set<number>();
  finished.forEach((item, k) => {
    if (item.status !== 'failed') return;
    failures++;
    weekdays.add(new Date(item.slot).getUTCDay());
    if (finished[k + 1]?.status === 'success') flips++;
  });
  const rate = finished.length > 0 ? failures / finished.length : null;
  const flipRate = failures > 0 ? flips / failures : null;
  const facts = `${flips} of ${failures} failures passed on the next run; ${formatPercent(rate ?? 0)} of ${finished.length} runs failed, on ${weekdays.size} weekday${weekdays.size === 1 ? '' : 's'}`;
  let why: string | null = null;
  if (flips < F.minFailThenPass) why = `fewer than ${F.minFailThenPass} fail→pass flips`;
  else if ((rate ?? 0) < F.minFailureRate) why = `fewer than ${formatPercent(F.minFailureRate)} of runs fail`;
  else if ((flipRate ?? 0) < F.minFailThenPassRate) why = 'failures mostly come in runs of failures';
  else if (patterns.length > 0) why = 'the failures follow a weekday/hour pattern';
  else if (weekdays.size < F.minWeekdays) why = 'all failures fall on the same weekday';
  return {
    flaky: why === null,
    reason: why === null ? facts : `not flaky: ${why} (${facts})`,
    finished: finished.length,
    failures,
    failure_rate: roundOrNull(rate, 3),
    fail_then_pass: flips,
    fail_then_pass_rate: roundOrNull(flipRate, 3),
    failure_weekdays: weekdays.size,
  };
}

function currentStreak(finished: readonly Item[]): Streak | null {
  const latest = finished[finished.length - 1];
  if (!latest) return null;
  let k = finished.length - 1;
  while (k > 0 && (finished[k - 1] as Item).status === latest.status) k--;
  const first = finished[k] as Item;
  const before = finished[k - 1];
  const failing = latest.status === 'failed';
  return {
    status: failing ? 'failing' : 'passing',
    runs: finished.length - k,
    since: iso(first.slot),
    latest_run_id: latest.run.run_id,
    last_success_at: failing && before ? isoOrNull(before.finishedAt ?? before.at) : null,
  };
}

function recoveryTimes(finished: readonly Item[]): Recovery {
  const durations: number[] = [];
  let openSince: number | null = null;
  for (const item of finished) {
    const when = item.finishedAt ?? item.at;
    if (item.status === 'failed') openSince ??= when;
    else if (openSince !== null) {
      durations.push(Math.max(0, when - openSince) / 1000);
      openSince = null;
    }
  }
  return {
    incidents: durations.length,
    median_seconds: roundOrNull(median(durations), 0),
    longest_seconds: durations.length ? Math.round(Math.max(...durations)) : null,
    open_since: isoOrNull(openSince),
  };
}

function summarize(a: Omit<HistoryAnalysis, 'summary'>, now: number): string[] {
  const out: string[] = [];
  const { streak, duration, latest_anomaly: anomaly, flakiness } = a;
  if (a.counts.runs === 0) return ['No runs in the history.'];

  if (streak?.status === 'failing') {
    const runs = streak.runs === 1 ? 'the latest run failed' : `the last ${streak.runs} runs failed`;
    out.push(`Failing: ${runs}, since ${formatWhen(Date.parse(streak.since), now)}.`);
  }
  for (const p of a.patterns) {
    if (p.kind === 'weekday') {
      out.push(
        `Fails every ${p.weekday} (${p.failures} of ${p.runs} ${p.weekday}s); other days ${formatPercent(p.other_days_failure_rate)}.`,
      );
    } else {
      const hh = String(p.hour).padStart(2, '0');
      out.push(
        `Fails at ${hh}:00 UTC (${p.failures} of ${p.runs} runs in that hour); other hours ${formatPercent(p.other_hours_failure_rate)}.`,
      );
    }
  }
  const t = duration.trend;
  if (t.direction !== 'stable' && t.change_percent !== null && t.fitted_first_seconds !== null) {
    const verb = t.direction === 'slower' ? 'Getting slower' : 'Getting faster';
    out.push(
      `${verb}: ${formatChange(t.change_percent)} over ${Math.round(t.window_days ?? 0)} days (${formatDuration(t.fitted_first_seconds)} → ${formatDuration(t.fitted_last_seconds ?? 0)}).`,
    );
  }
  if (flakiness.flaky) {
    out.push(
      `Flaky: ${flakiness.fail_then_pass} of ${flakiness.failures} failures passed on the next run; ${formatPercent(flakiness.failure_rate ?? 0)} of runs fail, on ${flakiness.failure_weekdays} different weekdays.`,
    );
  }
  if (anomaly?.is_outlier) {
    const how = anomaly.direction === 'slower' ? 'unusually long' : 'unusually short';
    const failed = anomaly.status === 'failed' ? ' (failed)' : '';
    out.push(
      `Latest run${failed} took ${formatDuration(anomaly.duration_seconds)}, ${how} vs a median of ${formatDuration(anomaly.baseline_median_seconds)} (robust z ${anomaly.robust_z}).`,
    );
  }
  if (a.success_rate !== null) {
    const decided = a.counts.succeeded + a.counts.failed;
    const typical =
      duration.median_seconds !== null ? `; median duration ${formatDuration(duration.median_seconds)}` : '';
    const stable =
      t.direction === 'stable' && t.p_value !== null && duration.median_seconds !== null ? ', no trend' : '';
    out.push(
      `Success rate ${formatPercent(a.success_rate)} (${a.counts.succeeded} of ${decided} finished runs)${typical}${stable}.`,
    );
  }
  if (a.recovery.incidents > 0 && a.recovery.median_seconds !== null && a.recovery.longest_seconds !== null) {
    out.push(
      `Recovers in ${formatDuration(a.recovery.median_seconds)} (median of ${a.recovery.incidents}), longest ${formatDuration(a.recovery.longest_seconds)}.`,
    );
  }
  if (out.length === 0) out.push('No finished runs yet.');
  return out.slice(0, 5);
}
