/**
 * An orchestrator-neutral world of pipelines and their history, Airflow-flavoured.
 * Every instant is epoch milliseconds (UTC); emulators format them for their own API.
 */

export type RunType = 'scheduled' | 'manual' | 'backfill' | 'asset_triggered';
export type RunState = 'queued' | 'running' | 'success' | 'failed';
export type TaskState =
  | 'removed'
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'restarting'
  | 'failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'upstream_failed'
  | 'skipped'
  | 'deferred';
export type TriggeredBy =
  'cli' | 'operator' | 'rest_api' | 'ui' | 'test' | 'timetable' | 'asset' | 'backfill';

/** One task of a pipeline. Tasks of a DAG run as a linear chain, in declaration order. */
export interface WorldTaskDef {
  task_id: string;
  /** Operator class name, e.g. PythonOperator. */
  operator: string;
  /** How the operator is shown (e.g. `@task` for decorated tasks). */
  operator_name: string;
  retries: number;
  /** Mapped (dynamic) task: number of map indexes; absent or 0 when unmapped. */
  map_count?: number;
  /** Share of the run's duration this task takes. */
  weight: number;
  pool: string;
  queue: string;
  /** Lines of ordinary operator output in each attempt's log (the failure or success tail comes after). */
  log_lines: number;
}

export interface WorldDag {
  dag_id: string;
  description: string | null;
  owners: string[];
  tags: string[];
  /** Cron expression; null when not time-scheduled (manual or asset-triggered). */
  schedule: string | null;
  timetable_summary: string | null;
  timetable_description: string | null;
  paused: boolean;
  /** The DAG file is gone (Airflow `is_stale`): hidden from listings by default. */
  stale: boolean;
  /** Python traceback of the DAG file's import error, when it currently fails to import. */
  import_error?: string;
  /** Absolute path of the DAG file. */
  fileloc: string;
  /** Path relative to the bundle root. */
  relative_fileloc: string;
  max_active_runs: number;
  max_active_tasks: number;
  tasks: WorldTaskDef[];
  last_parsed_time: number;
  /** When the current DAG version was first parsed. */
  created_at: number;
  /** Next scheduled run (logical date = run after), or null. */
  next_dagrun: number | null;
}

export interface WorldFrame {
  filename: string;
  lineno: number;
  name: string;
  /** Source line, shown in printed tracebacks. */
  line?: string;
}

export interface WorldException {
  /** Qualified class name, e.g. `requests.exceptions.ConnectTimeout`. */
  type: string;
  message: string;
  /** Outermost call first, like a Python traceback. */
  frames: WorldFrame[];
}

/** Something the task logs before failing (e.g. a library's retry warnings). */
export interface WorldLogTemplate {
  level: LogLevel;
  logger: string;
  event: string;
}

export interface WorldError {
  /** The raised exception first, then its `__cause__`, and so on. */
  chain: WorldException[];
  /** The task printed the caught exception's traceback to stderr before raising (common in user code). */
  printed_traceback: boolean;
  preamble: WorldLogTemplate[];
}

/** Why a failed run failed: the task (and map index, -1 when unmapped) that failed on every try. */
export interface WorldFailure {
  task_id: string;
  map_index: number;
  error: WorldError;
}

export interface WorldRun {
  /** Insertion order (Airflow's integer primary key). */
  id: number;
  dag_id: string;
  run_id: string;
  run_type: RunType;
  state: RunState;
  logical_date: number | null;
  run_after: number;
  queued_at: number | null;
  start_date: number | null;
  end_date: number | null;
  data_interval_start: number | null;
  data_interval_end: number | null;
  updated_at: number;
  conf: Record<string, unknown>;
  note: string | null;
  triggered_by: TriggeredBy;
  triggering_user_name: string | null;
  /** Set on failed runs. */
  failure: WorldFailure | null;
  /** Set on running runs: the task running now (earlier tasks succeeded, later ones wait). */
  running_task: string | null;
  /**
   * Set when the failed tasks of a failed run were cleared to run again (Airflow "clear"): the tasks before
   * `task_id` keep the success they had between `start` and `end`; it and the later ones wait again.
   */
  cleared?: { task_id: string; start: number; end: number } | null;
}

/** A new run, before the world gives it an id (any `id` it carries is overwritten). */
export type NewWorldRun = Omit<WorldRun, 'id'> & { id?: number };

export interface WorldAttempt {
  try_number: number;
  state: TaskState;
  start_date: number;
  end_date: number | null;
  hostname: string;
  pid: number;
}

/** A task instance (latest try), derived from its DAG and run. */
export interface WorldTask {
  /** UUID; its text order follows creation order. */
  id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  /** -1 when the task is not mapped. */
  map_index: number;
  /** 0 until the task first runs. */
  try_number: number;
  max_tries: number;
  state: TaskState | null;
  start_date: number | null;
  end_date: number | null;
  queued_when: number | null;
  scheduled_when: number | null;
  operator: string;
  operator_name: string;
  hostname: string | null;
  pid: number | null;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  updated_at: number;
  /** Every try so far, oldest first; the last one is the current try. */
  attempts: WorldAttempt[];
}

export interface WorldImportError {
  import_error_id: number;
  /** Relative to the bundle root. */
  filename: string;
  bundle_name: string;
  stack_trace: string;
  timestamp: number;
}

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

/** One frame of structlog's dict traceback, as Airflow 3 writes it in `error_detail`. */
export interface ErrorDetailFrame {
  filename: string;
  lineno: number;
  name: string;
}

export interface ErrorDetail {
  /** Class name only (`ConnectTimeout`), as structlog records it. */
  exc_type: string;
  exc_value: string;
  exc_notes: string[];
  syntax_error: string | null;
  /** True for an exception that caused the one before it in the list. */
  is_cause: boolean;
  frames: ErrorDetailFrame[];
  is_group: boolean;
  exceptions: unknown[];
}

/** One structured log event, Airflow 3 style. */
export interface LogLine {
  event: string;
  timestamp?: number;
  level?: LogLevel;
  logger?: string;
  filename?: string;
  lineno?: number;
  error_detail?: ErrorDetail[];
}

/** A log generated on demand, line by line, so a huge log costs nothing until it is read. */
export interface TaskLog {
  readonly length: number;
  at(index: number): LogLine;
  /** False while the attempt is still running (more lines may come). */
  readonly complete: boolean;
}
