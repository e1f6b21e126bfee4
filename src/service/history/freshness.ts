import type { PipelineRun } from '../../core/model.js';
import { isTerminal } from '../../core/status.js';
import { formatDuration, formatWhen, isoOrNull, parseTime, round } from './format.js';
import type { ParsedSchedule } from './schedule.js';
import { cronNext, cronPrev, cronTimesAfter, parseSchedule } from './schedule.js';

export const FRESHNESS_THRESHOLDS = {
  /** A run may start this long after its scheduled time before it counts as late: max(10 min, 10 % of the interval). */
  graceMinSeconds: 600,
  graceFraction: 0.1,
  /** A run that started up to this long before a slot still counts for it (clock skew, early queueing). */
  startToleranceSeconds: 60,
  /** A run is long-running past max(3 × typical, typical + 30 min). */
  longRunningFactor: 3,
  longRunningExtraSeconds: 1800,
  /** Missed slots are counted up to this many. */
  maxMissedCount: 1000,
} as const;

export type FreshnessStatus = 'on_time' | 'late' | 'missing' | 'long_running' | 'unknown';

export interface RunningCheck {
  run_id: string;
  started_at: string;
  elapsed_seconds: number;
  typical_duration_seconds: number | null;
  /** max(3 × typical, typical + 30 min); null without a typical duration. */
  threshold_seconds: number | null;
  exceeded: boolean;
}

export interface Freshness {
  /**
   * `long_running` wins over `late`/`missing` (a stuck run often is why later ones are late; both sets of
   * numbers are filled). Paused pipelines are never late or missing: `on_time` with `paused: true`.
   * `unknown` when the schedule is absent or unparseable, or no run has started yet.
   */
  status: FreshnessStatus;
  /** One line of plain English. */
  summary: string;
  checked_at: string;
  schedule: string | null;
  schedule_kind: 'cron' | 'interval' | null;
  paused: boolean;
  /**
   * late/missing: the first scheduled start that has no run (minutes_late counts from it).
   * on_time (cron): the latest scheduled start past its grace, which a run covered.
   */
  expected_at: string | null;
  next_expected_at: string | null;
  /** Interval between scheduled starts around expected_at (the shorter gap, for irregular crons). */
  interval_seconds: number | null;
  grace_seconds: number | null;
  /** Latest start among latestRuns. */
  last_started_at: string | null;
  minutes_late: number | null;
  /** Scheduled starts (past their grace) with no run since the last one started; ≥ 2 means missing. */
  missed_runs: number | null;
  /** The oldest running run, with the long-running check; null when none is running. */
  running: RunningCheck | null;
  /** A run that is queued but has not started, when there is one. */
  queued_since: string | null;
}

export interface FreshnessInput {
  pipeline: { schedule: string | null; paused: boolean };
  /** Newest first, a few. */
  latestRuns: readonly PipelineRun[];
  typicalDurationSeconds: number | null;
  now: Date;
}

const T = FRESHNESS_THRESHOLDS;

/** Is the pipeline late, missing runs, or stuck in a long run? Pure; UTC. */
export function assessFreshness(input: FreshnessInput): Freshness {
  const now = input.now.getTime();
  const { schedule, paused } = input.pipeline;
  const parsed = parseSchedule(schedule);
  const running = runningCheck(input.latestRuns, input.typicalDurationSeconds, now);
  const lastStart = latestStart(input.latestRuns);
  const queued = input.latestRuns
    .filter((r) => r.status === 'pending' && r.started_at === null)
    .map((r) => parseTime(r.queued_at))
    .filter((t): t is number => t !== null)
    .sort((a, b) => a - b)[0];

  const base: Freshness = {
    status: 'unknown',
    summary: '',
    checked_at: new Date(now).toISOString(),
    schedule,
    schedule_kind: parsed?.kind ?? null,
    paused,
    expected_at: null,
    next_expected_at: null,
    interval_seconds: parsed?.kind === 'interval' ? parsed.seconds : null,
    grace_seconds: null,
    last_started_at: isoOrNull(lastStart),
    minutes_late: null,
    missed_runs: null,
    running,
    queued_since: isoOrNull(queued ?? null),
  };
  const longRunning = running?.exceeded ? longRunningLine(running) : null;
  const lastRun =
    lastStart === null ? 'no run has started' : `last run started ${formatWhen(lastStart, now)}`;

  if (paused) {
    return {
      ...base,
      status: longRunning ? 'long_running' : 'on_time',
      summary: longRunning
        ? `${longRunning} (pipeline paused).`
        : `Paused: no runs are expected (${lastRun}).`,
    };
  }
  if (!parsed) {
    const why =
      schedule === null || schedule.trim() === ''
        ? 'No time-based schedule'
        : `Schedule "${schedule}" has no fixed times`;
    return {
      ...base,
      status: longRunning ? 'long_running' : 'unknown',
      summary: longRunning ? `${longRunning}.` : `${why}, so lateness cannot be judged (${lastRun}).`,
    };
  }

  const slots = parsed.kind === 'cron' ? cronSlots(parsed.expression, now) : null;
  const withSchedule: Freshness = {
    ...base,
    interval_seconds: slots?.intervalSeconds ?? base.interval_seconds,
    grace_seconds: slots ? slots.graceSeconds : graceFor((parsed as { seconds: number }).seconds),
  };
  if (parsed.kind === 'cron' && !slots) {
    return {
      ...withSchedule,
      status: longRunning ? 'long_running' : 'unknown',
      summary: longRunning
        ? `${longRunning}.`
        : `Schedule "${schedule}" has no past fire time to check against.`,
    };
  }
  if (lastStart === null) {
    return {
      ...withSchedule,
      status: longRunning ? 'long_running' : 'unknown',
      next_expected_at: slots
        ? isoOrNull(cronNext((parsed as { expression: string }).expression, now))
        : null,
      summary: longRunning ? `${longRunning}.` : 'No run has started yet, so lateness cannot be judged.',
    };
  }

  const verdict =
    parsed.kind === 'cron' && slots
      ? cronVerdict(parsed.expression, slots, lastStart, now)
      : intervalVerdict(parsed, lastStart, now);
  const result: Freshness = {
    ...withSchedule,
    status: verdict.status,
    expected_at: isoOrNull(verdict.expectedAt),
    next_expected_at: isoOrNull(verdict.nextAt),
    minutes_late:
      verdict.status === 'on_time' ? null : round((now - (verdict.expectedAt ?? now)) / 60_000, 1),
    missed_runs: verdict.missed,
  };
  result.summary = freshnessLine(result, verdict, lastStart, queued ?? null, now);
  if (longRunning) {
    const behind = result.status === 'on_time' ? '' : ` ${result.summary}`;
    return { ...result, status: 'long_running', summary: `${longRunning}.${behind}` };
  }
  return result;
}

interface Verdict {
  status: 'on_time' | 'late' | 'missing';
  expectedAt: number | null;
  nextAt: number | null;
  missed: number;
}

interface CronSlots {
  /** Latest fire time whose grace has passed. */
  due: number;
  intervalSeconds: number;
  graceSeconds: number;
}

function graceFor(intervalSeconds: number): number {
  return Math.max(T.graceMinSeconds, T.graceFraction * intervalSeconds);
}

/** The shorter gap to the neighbouring fire times (irregular crons like `0 8 * * 1-5`). */
function intervalAround(expression: string, t: number): number | null {
  const prev = cronPrev(expression, t - 1);
  const next = cronNext(expression, t);
  const gaps = [prev === null ? null : t - prev, next === null ? null : next - t].filter(
    (g): g is number => g !== null && g > 0,
  );
  return gaps.length ? Math.min(...gaps) / 1000 : null;
}

function cronSlots(expression: string, now: number): CronSlots | null {
  let due = cronPrev(expression, now);
  for (let k = 0; due !== null && k < 50; k++) {
    const interval = intervalAround(expression, due) ?? 0;
    const grace = graceFor(interval);
    if (due + grace * 1000 <= now) return { due, intervalSeconds: interval, graceSeconds: grace };
    due = cronPrev(expression, Math.min(due - 1, now - grace * 1000));
  }
  return null;
}

function cronVerdict(expression: string, slots: CronSlots, lastStart: number, now: number): Verdict {
  const nextAt = cronNext(expression, now);
  const tolerance = T.startToleranceSeconds * 1000;
  if (lastStart >= slots.due - tolerance)
    return { status: 'on_time', expectedAt: slots.due, nextAt, missed: 0 };
  const missed = cronTimesAfter(expression, lastStart + tolerance, slots.due, T.maxMissedCount);
  const first = missed[0] ?? slots.due;
  return {
    status: missed.length >= 2 ? 'missing' : 'late',
    expectedAt: first,
    nextAt,
    missed: Math.max(1, missed.length),
  };
}

function intervalVerdict(parsed: ParsedSchedule, lastStart: number, now: number): Verdict {
  const seconds = parsed.kind === 'interval' ? parsed.seconds : 0;
  const graceMs = graceFor(seconds) * 1000;
  const expected = lastStart + seconds * 1000;
  if (seconds <= 0 || expected + graceMs > now)
    return { status: 'on_time', expectedAt: null, nextAt: expected, missed: 0 };
  const missed = Math.min(T.maxMissedCount, Math.floor((now - graceMs - lastStart) / (seconds * 1000)));
  return {
    status: missed >= 2 ? 'missing' : 'late',
    expectedAt: expected,
    nextAt: null,
    missed: Math.max(1, missed),
  };
}

/** Latest start among the runs; a finished run without a start time counts at its queue or end time. */
function latestStart(runs: readonly PipelineRun[]): number | null {
  let latest: number | null = null;
  for (const r of runs) {
    const t =
      parseTime(r.started_at) ??
      (isTerminal(r.status) ? (parseTime(r.queued_at) ?? parseTime(r.finished_at)) : null);
    if (t !== null && (latest === null || t > latest)) latest = t;
  }
  return latest;
}

function runningCheck(
  runs: readonly PipelineRun[],
  typical: number | null,
  now: number,
): RunningCheck | null {
  let oldest: { run: PipelineRun; started: number } | null = null;
  for (const run of runs) {
    if (run.status !== 'running') continue;
    const started = parseTime(run.started_at);
    if (started !== null && (oldest === null || started < oldest.started)) oldest = { run, started };
  }
  if (!oldest) return null;
  const elapsed = Math.max(0, (now - oldest.started) / 1000);
  const usable = typical !== null && Number.isFinite(typical) && typical > 0 ? typical : null;
  const threshold =
    usable === null ? null : Math.max(T.longRunningFactor * usable, usable + T.longRunningExtraSeconds);
  return {
    run_id: oldest.run.run_id,
    started_at: new Date(oldest.started).toISOString(),
    elapsed_seconds: Math.round(elapsed),
    typical_duration_seconds: usable === null ? null : round(usable, 1),
    threshold_seconds: threshold === null ? null : Math.round(threshold),
    exceeded: threshold !== null && elapsed > threshold,
  };
}

function longRunningLine(r: RunningCheck): string {
  return `Long-running: run ${r.run_id} has been running for ${formatDuration(r.elapsed_seconds)} vs a typical ${formatDuration(r.typical_duration_seconds ?? 0)} (limit ${formatDuration(r.threshold_seconds ?? 0)})`;
}

function freshnessLine(
  f: Freshness,
  v: Verdict,
  lastStart: number,
  queued: number | null,
  now: number,
): string {
  const last = `last run started ${formatWhen(lastStart, now)}`;
  const next = v.nextAt === null ? '' : `; next expected ${formatWhen(v.nextAt, now)}`;
  if (v.status === 'on_time') return `On time: ${last}${next}.`;
  const late = formatDuration((f.minutes_late ?? 0) * 60);
  const since = formatWhen(v.expectedAt ?? now, now);
  const waiting =
    queued !== null ? `; a run is queued since ${formatWhen(queued, now)} but has not started` : '';
  if (v.status === 'late') {
    return `Late: the run due ${since} has not started (${late} late, grace ${formatDuration(f.grace_seconds ?? 0)})${waiting}; ${last}.`;
  }
  const count = v.missed >= T.maxMissedCount ? `At least ${v.missed}` : `${v.missed}`;
  return `Missing: ${count} scheduled runs did not start since ${since} (${late} late)${waiting}; ${last}.`;
}
