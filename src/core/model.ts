import type { RunStatus } from './status.js';

export type OrchestratorType = 'airflow' | 'dagster' | 'prefect';

/** How a run came to exist, normalized across orchestrators. */
export const TRIGGER_KINDS = ['scheduled', 'manual', 'backfill', 'event', 'unknown'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export interface Pipeline {
  orchestrator: string;
  pipeline_id: string;
  description: string | null;
  owners: string[];
  tags: string[];
  /** Human-readable schedule (cron expression or summary); null when unscheduled. */
  schedule: string | null;
  paused: boolean;
  /** Set when the orchestrator cannot load the pipeline's definition (e.g. an Airflow import error). */
  broken: { error: string } | null;
  url: string | null;
}

export interface PipelineRun {
  orchestrator: string;
  pipeline_id: string;
  run_id: string;
  status: RunStatus;
  native_status: string;
  /** When the run was requested / is logically for (ISO-8601). */
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  trigger: TriggerKind;
  error_message: string | null;
  failed_tasks: string[];
  url: string | null;
}

export interface TaskRun {
  task_id: string;
  /** Index of a mapped (dynamic) task instance; null when the task is not mapped. */
  map_index: number | null;
  try_number: number;
  max_tries: number | null;
  status: RunStatus;
  native_status: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  error: string | null;
}

/** A slice of a log, always the end of it unless `truncated_head` is false. */
export interface LogSlice {
  task_id: string;
  try_number: number;
  map_index: number | null;
  lines: string[];
  /** True when lines were dropped from the start to keep the tail bounded. */
  truncated: boolean;
  /** Bytes of log the adapter read from the orchestrator. */
  bytes_read: number;
}

export function durationSeconds(startedAt: string | null, finishedAt: string | null): number | null {
  if (!startedAt || !finishedAt) return null;
  const ms = Date.parse(finishedAt) - Date.parse(startedAt);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms / 100) / 10 : null;
}
