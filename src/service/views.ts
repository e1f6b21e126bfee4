import type { Pipeline, PipelineRun } from '../core/model.js';

/** A run as tools show it: the core run with its text fields cleaned and redacted. */
export type RunView = PipelineRun;

/** A pipeline as tools show it: the import error reduced to its message, text cleaned and redacted. */
export type PipelineView = Omit<Pipeline, 'broken'> & { broken_error: string | null };
