/**
 * What the shared adapter logic works on: one shape per Airflow entity, whatever API version it came from.
 * Each API dialect parses its own responses into these (see v1/ and v2/); mapping.ts turns them into the
 * core model. States stay native strings so that a state added by a newer Airflow maps to 'unknown'.
 */

export interface DagRecord {
  dag_id: string;
  description: string | null;
  is_paused: boolean;
  /** v2 `is_stale`, v1 `!is_active`: the DAG file is gone; such DAGs are not listed. */
  is_stale: boolean;
  owners: string[];
  tags: string[];
  /** Human-readable schedule (v2 timetable summary, v1 rendered schedule_interval); null when unscheduled. */
  schedule: string | null;
  has_import_errors: boolean;
  fileloc: string;
  /** Airflow 3 only (relative to its bundle). */
  relative_fileloc: string | null;
  bundle_name: string | null;
}

export interface RunRecord {
  dag_id: string;
  dag_run_id: string;
  state: string;
  run_type: string;
  /**
   * The instant runs are ordered by, exactly as the server sent it: v2 `run_after`; v1 the logical
   * (execution) date, or the start date when a run has none. Null when the server sent neither.
   */
  run_after: string | null;
  queued_at: string | null;
  start_date: string | null;
  end_date: string | null;
  /** Seconds, when the server reports it (v2). */
  duration: number | null;
}

export interface TaskInstanceRecord {
  task_id: string;
  dag_id: string | null;
  dag_run_id: string | null;
  map_index: number;
  try_number: number;
  max_tries: number;
  /** Null: no state yet (v1's deprecated "none" is normalized to null). */
  state: string | null;
  start_date: string | null;
  end_date: string | null;
  duration: number | null;
}

export interface ImportErrorRecord {
  import_error_id: number;
  filename: string;
  stack_trace: string;
  bundle_name: string | null;
}

/** One response of a log read: its lines, rendered, and the token for the next chunk. */
export interface LogChunk {
  lines: string[];
  continuation_token: string | null;
}
