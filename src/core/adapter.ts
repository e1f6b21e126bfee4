import type { LogSlice, OrchestratorType, Pipeline, PipelineRun, TaskRun } from './model.js';
import type { RunStatus } from './status.js';

export interface AdapterCapabilities {
  /** Can filter runs across all pipelines server-side (no request per pipeline). */
  crossPipelineRunQuery: boolean;
  taskLogs: boolean;
  trigger: boolean;
  rerunFailed?: boolean;
  cancel?: boolean;
}

export interface PipelineQuery {
  owner?: string;
  tag?: string;
  /** Case-insensitive substring of the pipeline id. */
  search?: string;
  paused?: boolean;
  /** Only pipelines whose latest run has this status. */
  lastRunStatus?: RunStatus;
  /** Only pipelines with at least one run in one of these statuses that finished at or after `finishedAfter`. */
  hadRun?: { statuses: RunStatus[]; finishedAfter: Date };
}

export interface RunQuery {
  pipelineId?: string;
  statuses?: RunStatus[];
  /** Only runs that finished at or after this instant. */
  finishedAfter?: Date;
  /** Only runs whose logical start (run_after / start) is at or after this instant. */
  startedAfter?: Date;
  /** Newest first by this field. */
  orderBy: 'finished_at' | 'started_at';
  /** Fill `failed_tasks` (and a short `error_message`) of failed runs, in as few requests as the API allows. */
  includeFailedTasks?: boolean;
  /** Upper bound on the runs returned; the adapter pages until it has them or the server has no more. */
  limit: number;
}

export interface RunList {
  runs: PipelineRun[];
  /** Matching runs on the server, when the API reports it. */
  total: number | null;
  truncated: boolean;
}

export interface LogRequest {
  taskId: string;
  tryNumber: number;
  mapIndex: number | null;
  /** Keep at most this many bytes from the end of the log. */
  maxBytes: number;
}

export interface TriggerRequest {
  conf: Record<string, unknown>;
  /** Caller-chosen run id, used for idempotency where the orchestrator supports it. */
  runId?: string;
  note?: string;
}

export interface RerunRequest {
  /** Caller-chosen key: a repeated request must not start a second re-execution. */
  requestId: string;
  note?: string;
}

/** One configured orchestrator, speaking its own API and answering in the core model. */
export interface OrchestratorAdapter {
  readonly name: string;
  readonly type: OrchestratorType;
  readonly capabilities: AdapterCapabilities;
  /** Every pipeline matching the query (the adapter pages through the whole listing). */
  listPipelines(query: PipelineQuery): Promise<Pipeline[]>;
  getPipeline(pipelineId: string): Promise<Pipeline>;
  /** The newest run of each given pipeline; pipelines that never ran are absent from the map. */
  latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>>;
  listRuns(query: RunQuery): Promise<RunList>;
  getRun(pipelineId: string, runId: string): Promise<PipelineRun>;
  /** Every task run of a run (all pages, mapped instances included), latest try of each. */
  listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]>;
  getTaskLog(pipelineId: string, runId: string, request: LogRequest): Promise<LogSlice>;
  triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun>;
  /**
   * Re-runs only what failed in a run: Airflow clears the failed task instances of that run (same run id),
   * Dagster re-executes from failure (a new run linked to it), Prefect retries the flow run (same run id).
   * Returns the run that carries the re-execution. Present when `capabilities.rerunFailed`.
   */
  rerunFailed?(pipelineId: string, runId: string, request: RerunRequest): Promise<PipelineRun>;
  /** Stops a queued or running run (Airflow marks it failed; Dagster terminates; Prefect cancels). */
  cancelRun?(pipelineId: string, runId: string): Promise<PipelineRun>;
  close(): Promise<void>;
}
