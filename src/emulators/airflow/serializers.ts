import { apiTime, apiTimeOrNull, hashKeys, Rng, uuid7 } from '../world/index.js';
import type { LogLine, WorldDag, WorldImportError, WorldRun, WorldTask } from '../world/index.js';
import type { Signer } from './signer.js';

/** World objects as Airflow 3.2 `/api/v2` JSON (field names, types and order of the response models). */

const BUNDLE = 'dags-folder';

export function dagVersion(dag: WorldDag) {
  return {
    id: uuid7(dag.created_at, Rng.for('dag-version', dag.dag_id)),
    version_number: 1,
    dag_id: dag.dag_id,
    bundle_name: BUNDLE,
    bundle_version: null,
    created_at: apiTime(dag.created_at),
    dag_display_name: dag.dag_id,
    bundle_url: null,
  };
}

export function dagResponse(dag: WorldDag, signer: Signer) {
  const next = apiTimeOrNull(dag.next_dagrun);
  return {
    dag_id: dag.dag_id,
    dag_display_name: dag.dag_id,
    is_paused: dag.paused,
    is_stale: dag.stale,
    last_parsed_time: apiTime(dag.last_parsed_time),
    last_parse_duration: (200 + (hashKeys(dag.dag_id) % 900)) / 1000,
    last_expired: null,
    bundle_name: BUNDLE,
    bundle_version: null,
    relative_fileloc: dag.relative_fileloc,
    fileloc: dag.fileloc,
    description: dag.description,
    timetable_summary: dag.timetable_summary,
    timetable_description: dag.timetable_description,
    timetable_partitioned: false,
    tags: [...dag.tags].sort().map((name) => ({ name, dag_id: dag.dag_id, dag_display_name: dag.dag_id })),
    max_active_tasks: dag.max_active_tasks,
    max_active_runs: dag.max_active_runs,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: dag.import_error !== undefined,
    next_dagrun_logical_date: next,
    next_dagrun_data_interval_start: next,
    next_dagrun_data_interval_end: next,
    next_dagrun_run_after: next,
    allowed_run_types: null,
    owners: dag.owners,
    file_token: signer.dumps(dag.fileloc),
  };
}

export function durationSeconds(start: number | null, end: number | null): number | null {
  return start === null || end === null ? null : (end - start) / 1000;
}

export function dagRunResponse(run: WorldRun, dag: WorldDag | undefined) {
  return {
    dag_run_id: run.run_id,
    dag_id: run.dag_id,
    logical_date: apiTimeOrNull(run.logical_date),
    queued_at: apiTimeOrNull(run.queued_at),
    start_date: apiTimeOrNull(run.start_date),
    end_date: apiTimeOrNull(run.end_date),
    duration: durationSeconds(run.start_date, run.end_date),
    data_interval_start: apiTimeOrNull(run.data_interval_start),
    data_interval_end: apiTimeOrNull(run.data_interval_end),
    run_after: apiTime(run.run_after),
    last_scheduling_decision: run.start_date === null ? null : apiTime(run.updated_at),
    run_type: run.run_type,
    state: run.state,
    triggered_by: run.triggered_by,
    triggering_user_name: run.triggering_user_name,
    conf: run.conf,
    note: run.note,
    dag_versions: dag ? [dagVersion(dag)] : [],
    bundle_version: null,
    dag_display_name: run.dag_id,
    partition_key: null,
  };
}

export function taskInstanceResponse(ti: WorldTask, run: WorldRun, dag: WorldDag | undefined) {
  return {
    id: ti.id,
    task_id: ti.task_id,
    dag_id: ti.dag_id,
    dag_run_id: ti.run_id,
    map_index: ti.map_index,
    logical_date: apiTimeOrNull(run.logical_date),
    run_after: apiTime(run.run_after),
    start_date: apiTimeOrNull(ti.start_date),
    end_date: apiTimeOrNull(ti.end_date),
    duration: durationSeconds(ti.start_date, ti.end_date),
    state: ti.state,
    try_number: ti.try_number,
    max_tries: ti.max_tries,
    task_display_name: ti.task_id,
    dag_display_name: ti.dag_id,
    hostname: ti.hostname,
    unixname: 'airflow',
    pool: ti.pool,
    pool_slots: ti.pool_slots,
    queue: ti.queue,
    priority_weight: ti.priority_weight,
    operator: ti.operator,
    operator_name: ti.operator_name,
    queued_when: apiTimeOrNull(ti.queued_when),
    scheduled_when: apiTimeOrNull(ti.scheduled_when),
    pid: ti.pid,
    executor: null,
    executor_config: '{}',
    note: null,
    rendered_map_index: null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    dag_version: dag ? dagVersion(dag) : null,
  };
}

export function importErrorResponse(error: WorldImportError) {
  return {
    import_error_id: error.import_error_id,
    timestamp: apiTime(error.timestamp),
    filename: error.filename,
    bundle_name: error.bundle_name,
    stack_trace: error.stack_trace,
  };
}

/** A structured log event as Airflow 3 serves it (keys that are absent stay absent). */
export function logEvent(line: LogLine): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (line.timestamp !== undefined) out.timestamp = apiTime(line.timestamp);
  out.event = line.event;
  if (line.level !== undefined) out.level = line.level;
  if (line.logger !== undefined) out.logger = line.logger;
  if (line.filename !== undefined) out.filename = line.filename;
  if (line.lineno !== undefined) out.lineno = line.lineno;
  if (line.error_detail !== undefined) out.error_detail = line.error_detail;
  return out;
}
