import { hashKeys, pythonIsoTime } from '../../world/index.js';
import type { WorldDag, WorldImportError, WorldRun, WorldTask } from '../../world/index.js';
import { durationSeconds } from '../serializers.js';
import type { Signer } from '../signer.js';

/**
 * World objects as Airflow 2.10 `/api/v1` JSON (marshmallow schemas): datetimes in Python isoformat
 * (`+00:00`), every run has an execution (logical) date, asset-triggered runs are `dataset_triggered`.
 */

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : pythonIsoTime(ms);

/** Airflow 2 has no run without a logical date: a world run without one (Airflow 3 style) gets its run_after. */
export function executionDate(run: WorldRun): number {
  return run.logical_date ?? run.run_after;
}

export function runTypeV1(run: WorldRun): string {
  return run.run_type === 'asset_triggered' ? 'dataset_triggered' : run.run_type;
}

/**
 * `DAG.schedule_interval`: cron expressions as `CronExpression`; a dataset-scheduled DAG stores the string
 * "Dataset", which Airflow 2 also serializes as a `CronExpression`; no schedule is null.
 */
export function scheduleInterval(dag: WorldDag): Record<string, unknown> | null {
  if (dag.timetable_summary === 'Asset') return { __type: 'CronExpression', value: 'Dataset' };
  if (dag.schedule === null) return null;
  return { __type: 'CronExpression', value: dag.schedule };
}

/** The DAG schema's fields (what `fields=` may name). */
export const DAG_FIELDS = [
  'dag_display_name',
  'dag_id',
  'default_view',
  'description',
  'file_token',
  'fileloc',
  'has_import_errors',
  'has_task_concurrency_limits',
  'is_active',
  'is_paused',
  'is_subdag',
  'last_expired',
  'last_parsed_time',
  'last_pickled',
  'max_active_runs',
  'max_active_tasks',
  'max_consecutive_failed_dag_runs',
  'next_dagrun',
  'next_dagrun_create_after',
  'next_dagrun_data_interval_end',
  'next_dagrun_data_interval_start',
  'owners',
  'pickle_id',
  'root_dag_id',
  'schedule_interval',
  'scheduler_lock',
  'tags',
  'timetable_description',
] as const;

export const DAG_RUN_FIELDS = [
  'conf',
  'dag_id',
  'dag_run_id',
  'data_interval_end',
  'data_interval_start',
  'end_date',
  'execution_date',
  'external_trigger',
  'last_scheduling_decision',
  'logical_date',
  'note',
  'run_type',
  'start_date',
  'state',
] as const;

export function dagV1(dag: WorldDag, signer: Signer): Record<string, unknown> {
  const next = iso(dag.next_dagrun);
  return {
    dag_display_name: dag.dag_id,
    dag_id: dag.dag_id,
    default_view: 'grid',
    description: dag.description,
    file_token: signer.dumps(dag.fileloc),
    fileloc: dag.fileloc,
    has_import_errors: dag.import_error !== undefined,
    has_task_concurrency_limits: false,
    is_active: !dag.stale,
    is_paused: dag.paused,
    is_subdag: false,
    last_expired: null,
    last_parsed_time: iso(dag.last_parsed_time),
    last_pickled: null,
    max_active_runs: dag.max_active_runs,
    max_active_tasks: dag.max_active_tasks,
    max_consecutive_failed_dag_runs: 0,
    next_dagrun: next,
    next_dagrun_create_after: next,
    next_dagrun_data_interval_end: next,
    next_dagrun_data_interval_start: next,
    // DagModel keeps owners as one ", "-joined string and the schema splits it on "," alone.
    owners: dag.owners.length === 0 ? [] : dag.owners.join(', ').split(','),
    pickle_id: null,
    root_dag_id: null,
    schedule_interval: scheduleInterval(dag),
    scheduler_lock: null,
    tags: [...dag.tags].sort().map((name) => ({ name })),
    timetable_description: dag.timetable_description?.replace(/\bassets\b/, 'datasets') ?? null,
  };
}

export function dagRunV1(run: WorldRun): Record<string, unknown> {
  const logical = executionDate(run);
  return {
    conf: run.conf,
    dag_id: run.dag_id,
    dag_run_id: run.run_id,
    data_interval_end: iso(run.data_interval_end ?? logical),
    data_interval_start: iso(run.data_interval_start ?? logical),
    end_date: iso(run.end_date),
    execution_date: iso(logical),
    external_trigger: run.run_type === 'manual',
    last_scheduling_decision: run.start_date === null ? null : iso(run.updated_at),
    logical_date: iso(logical),
    note: run.note,
    run_type: runTypeV1(run),
    start_date: iso(run.start_date),
    state: run.state,
  };
}

export function taskInstanceV1(ti: WorldTask, run: WorldRun): Record<string, unknown> {
  return {
    dag_id: ti.dag_id,
    dag_run_id: ti.run_id,
    duration: durationSeconds(ti.start_date, ti.end_date),
    end_date: iso(ti.end_date),
    execution_date: iso(executionDate(run)),
    executor: null,
    executor_config: '{}',
    // TaskInstance.__init__ sets hostname to "": never null.
    hostname: ti.hostname ?? '',
    map_index: ti.map_index,
    max_tries: ti.max_tries,
    note: null,
    operator: ti.operator,
    pid: ti.pid,
    pool: ti.pool,
    pool_slots: ti.pool_slots,
    priority_weight: ti.priority_weight,
    queue: ti.queue,
    queued_when: iso(ti.queued_when),
    rendered_fields: {},
    rendered_map_index: null,
    sla_miss: null,
    start_date: iso(ti.start_date),
    state: ti.state,
    task_display_name: ti.task_id,
    task_id: ti.task_id,
    trigger: null,
    triggerer_job: null,
    try_number: ti.try_number,
    unixname: 'airflow',
  };
}

export function importErrorV1(error: WorldImportError, dags: readonly WorldDag[]): Record<string, unknown> {
  const dag = dags.find((d) => d.relative_fileloc === error.filename);
  return {
    filename: dag?.fileloc ?? `/opt/airflow/dags/${error.filename}`,
    import_error_id: error.import_error_id,
    stack_trace: error.stack_trace,
    timestamp: iso(error.timestamp),
  };
}

/** Flask's JSON provider sorts keys (JSON_SORT_KEYS), nested objects too. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export function jsonV1(value: unknown, status = 200): Response {
  return new Response(`${JSON.stringify(sortKeys(value))}\n`, {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** A stable pseudo-random integer in [min, max] for the given keys (pids, job ids, line numbers). */
export function stableInt(min: number, max: number, ...keys: (string | number)[]): number {
  return min + (hashKeys(...keys) % (max - min + 1));
}
