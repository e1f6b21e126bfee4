import type { TriggerKind } from '../core/model.js';
import type { RunStatus } from '../core/status.js';
import type { Unavailable } from './fan-out.js';

/** A run as tools show it; text fields are cleaned and redacted. */
export interface RunView {
  orchestrator: string;
  pipeline_id: string;
  run_id: string;
  status: RunStatus;
  native_status: string;
  trigger: TriggerKind;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  error_message: string | null;
  failed_tasks: string[];
  url: string | null;
}

export interface PipelineView {
  orchestrator: string;
  pipeline_id: string;
  description: string | null;
  owners: string[];
  tags: string[];
  schedule: string | null;
  paused: boolean;
  broken_error: string | null;
  url: string | null;
}

/** Partial-answer bookkeeping every multi-orchestrator result carries. */
export interface Coverage {
  unavailable: Unavailable[];
}
