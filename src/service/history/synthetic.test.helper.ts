/**
 * Synthetic run histories for the history tests. (Named `.test.helper` so that it is neither run as a
 * test file nor shipped in the package.)
 */
import type { PipelineRun } from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import type { WorldRun } from '../../emulators/world/index.js';
import { mulberry32 } from '../../emulators/world/index.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export interface RunSpec {
  /** Scheduled time (epoch ms). */
  slot: number;
  status: RunStatus;
  /** Ignored for running/pending runs. */
  durationSeconds?: number;
  /** Seconds from slot to start. */
  startDelaySeconds?: number;
  runId?: string;
  trigger?: PipelineRun['trigger'];
}

export function run(spec: RunSpec): PipelineRun {
  const queued = spec.slot + 2_000;
  const start = queued + (spec.startDelaySeconds ?? 5) * 1000;
  const active = spec.status === 'running' || spec.status === 'pending';
  const duration = active ? null : (spec.durationSeconds ?? 600);
  const end = duration === null ? null : start + duration * 1000;
  return {
    orchestrator: 'airflow',
    pipeline_id: 'test_dag',
    run_id: spec.runId ?? `scheduled__${new Date(spec.slot).toISOString()}`,
    status: spec.status,
    native_status: spec.status,
    queued_at: new Date(queued).toISOString(),
    started_at: spec.status === 'pending' ? null : new Date(start).toISOString(),
    finished_at: end === null ? null : new Date(end).toISOString(),
    duration_seconds: duration,
    trigger: spec.trigger ?? 'scheduled',
    error_message: spec.status === 'failed' ? 'boom' : null,
    failed_tasks: spec.status === 'failed' ? ['t1'] : [],
    url: null,
  };
}

/** A seeded uniform random source, 0..1. */
export function random(seed: number): () => number {
  return mulberry32(seed);
}

export interface DailyOptions {
  /** The newest slot is the last one at `hour`:00 UTC at or before `now`. */
  now: Date;
  days: number;
  hour?: number;
  /** Slots per day (every 24/perDay hours from `hour`). */
  perDay?: number;
  status?: (slot: number, index: number) => RunStatus;
  durationSeconds?: (slot: number, index: number) => number;
}

/** One run per slot, oldest first: daily by default. */
export function history(options: DailyOptions): PipelineRun[] {
  const perDay = options.perDay ?? 1;
  const step = DAY_MS / perDay;
  const hour = options.hour ?? 6;
  const now = options.now.getTime();
  const dayStart = now - (now % DAY_MS);
  let last = dayStart + hour * HOUR_MS;
  while (last + step <= now) last += step;
  while (last > now) last -= step;
  const count = options.days * perDay;
  const runs: PipelineRun[] = [];
  for (let i = 0; i < count; i++) {
    const slot = last - (count - 1 - i) * step;
    runs.push(
      run({
        slot,
        status: options.status?.(slot, i) ?? 'success',
        durationSeconds: options.durationSeconds?.(slot, i) ?? 600,
      }),
    );
  }
  return runs;
}

const STATE: Record<WorldRun['state'], RunStatus> = {
  success: 'success',
  failed: 'failed',
  running: 'running',
  queued: 'pending',
};

/** The demo world's run as the model's PipelineRun (a tiny stand-in for the Airflow adapter's mapping). */
export function fromWorldRun(r: WorldRun): PipelineRun {
  const t = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    orchestrator: 'airflow',
    pipeline_id: r.dag_id,
    run_id: r.run_id,
    status: STATE[r.state],
    native_status: r.state,
    queued_at: t(r.queued_at ?? r.run_after),
    started_at: t(r.start_date),
    finished_at: t(r.end_date),
    duration_seconds:
      r.start_date !== null && r.end_date !== null
        ? Math.round((r.end_date - r.start_date) / 100) / 10
        : null,
    trigger:
      r.run_type === 'scheduled'
        ? 'scheduled'
        : r.run_type === 'manual'
          ? 'manual'
          : r.run_type === 'backfill'
            ? 'backfill'
            : 'event',
    error_message: r.failure ? (r.failure.error.chain[0]?.message ?? null) : null,
    failed_tasks: r.failure ? [r.failure.task_id] : [],
    url: null,
  };
}
