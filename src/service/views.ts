import type { PipelineRun } from '../core/model.js';
import type { Unavailable } from './fan-out.js';

/** A run as tools show it: the core run with its text fields cleaned and redacted. */
export type RunView = PipelineRun;

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
