import {
  durationSeconds,
  type Pipeline,
  type PipelineRun,
  type TaskRun,
  type TriggerKind,
} from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import type { AirflowDag, AirflowDagRun, AirflowImportError, AirflowTaskInstance } from './schemas.js';

/**
 * Airflow 3 native values → the core model. Pure functions only; the tables are exported so the
 * documentation can be generated from (or checked against) them.
 */

export interface StatusMappingRow {
  /** Native state; `null` is the TaskInstance "none" state (not yet scheduled). */
  native: string | null;
  status: RunStatus;
  note: string;
}

/** DagRun.state → RunStatus. */
export const DAG_RUN_STATUS_TABLE: readonly StatusMappingRow[] = [
  {
    native: 'queued',
    status: 'pending',
    note: 'created, waiting for the scheduler (also: a run of a paused DAG)',
  },
  { native: 'running', status: 'running', note: '' },
  { native: 'success', status: 'success', note: '' },
  {
    native: 'failed',
    status: 'failed',
    note: 'also how Airflow records a run stopped by hand (no cancel state)',
  },
];

/** TaskInstance.state → RunStatus. */
export const TASK_INSTANCE_STATUS_TABLE: readonly StatusMappingRow[] = [
  { native: null, status: 'pending', note: '"none": not scheduled yet' },
  { native: 'scheduled', status: 'pending', note: '' },
  { native: 'queued', status: 'pending', note: '' },
  {
    native: 'up_for_reschedule',
    status: 'pending',
    note: 'sensor in reschedule mode, waiting for its next poke',
  },
  { native: 'deferred', status: 'pending', note: 'waiting on a trigger in the triggerer' },
  { native: 'restarting', status: 'pending', note: 'cleared while running; will be scheduled again' },
  { native: 'running', status: 'running', note: '' },
  {
    native: 'up_for_retry',
    status: 'running',
    note: 'a try failed and another try will run: not a final failure',
  },
  { native: 'success', status: 'success', note: '' },
  { native: 'failed', status: 'failed', note: '' },
  { native: 'upstream_failed', status: 'failed', note: 'did not run because an upstream task failed' },
  {
    native: 'skipped',
    status: 'cancelled',
    note: 'did not run by design (branching, short-circuit, trigger rule): not a failure, and not a success either',
  },
  { native: 'removed', status: 'cancelled', note: 'the task no longer exists in the DAG' },
];

/** Any native state not listed above maps to 'unknown'. */
export const UNKNOWN_STATUS: RunStatus = 'unknown';

/** DagRun.run_type → TriggerKind (anything else → 'unknown'). */
export const RUN_TYPE_TABLE: Readonly<Record<string, TriggerKind>> = Object.freeze({
  scheduled: 'scheduled',
  manual: 'manual',
  backfill: 'backfill',
  asset_triggered: 'event',
  asset_materialization: 'event',
  dataset_triggered: 'event',
});

const DAG_RUN_STATUS = new Map(DAG_RUN_STATUS_TABLE.map((row) => [row.native, row.status]));
const TASK_INSTANCE_STATUS = new Map(TASK_INSTANCE_STATUS_TABLE.map((row) => [row.native, row.status]));

export function mapDagRunState(state: string): RunStatus {
  return DAG_RUN_STATUS.get(state) ?? UNKNOWN_STATUS;
}

export function mapTaskInstanceState(state: string | null | undefined): RunStatus {
  const native = state === undefined || state === null || state === 'none' ? null : state;
  return TASK_INSTANCE_STATUS.get(native) ?? UNKNOWN_STATUS;
}

export function mapRunType(runType: string): TriggerKind {
  return Object.hasOwn(RUN_TYPE_TABLE, runType) ? (RUN_TYPE_TABLE[runType] ?? 'unknown') : 'unknown';
}

/** The DagRun states to send as `state=` filters for the requested statuses (cancelled/unknown have none). */
export function dagRunStatesFor(statuses: readonly RunStatus[]): string[] {
  const wanted = new Set(statuses);
  return DAG_RUN_STATUS_TABLE.filter((row) => wanted.has(row.status) && row.native !== null).map(
    (row) => row.native as string,
  );
}

/** The task states a run-level failure digest looks at. */
export function isFailedTaskState(state: string | null | undefined): boolean {
  return state === 'failed';
}

export interface MappingContext {
  orchestrator: string;
  /** Base URL of the Airflow UI/API, without a trailing slash. */
  baseUrl: string;
}

export function dagUrl(ctx: MappingContext, dagId: string): string {
  return `${ctx.baseUrl}/dags/${encodeURIComponent(dagId)}`;
}

export function runUrl(ctx: MappingContext, dagId: string, runId: string): string {
  return `${dagUrl(ctx, dagId)}/runs/${encodeURIComponent(runId)}`;
}

/** Keeps parseable timestamps as sent; anything else becomes null. */
export function timestamp(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.length === 0 || value.length > 64) return null;
  return Number.isFinite(Date.parse(value)) ? value : null;
}

/** Seconds rounded to 0.1 (like core's durationSeconds); the server's value wins when present. */
export function duration(
  serverSeconds: number | null | undefined,
  startedAt: string | null,
  finishedAt: string | null,
): number | null {
  if (
    typeof serverSeconds === 'number' &&
    Number.isFinite(serverSeconds) &&
    serverSeconds >= 0 &&
    finishedAt
  ) {
    return Math.round(serverSeconds * 10) / 10;
  }
  return durationSeconds(startedAt, finishedAt);
}

/** The schedule shown to users: the timetable summary, or null when unscheduled. */
export function scheduleOf(dag: Pick<AirflowDag, 'timetable_summary'>): string | null {
  const summary = dag.timetable_summary?.trim();
  if (!summary || summary === 'None' || summary === 'null') return null;
  return summary;
}

export function toPipeline(ctx: MappingContext, dag: AirflowDag, broken: { error: string } | null): Pipeline {
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: dag.dag_id,
    description: dag.description?.trim() ? dag.description.trim() : null,
    owners: [...dag.owners],
    tags: dag.tags.map((t) => t.name),
    schedule: scheduleOf(dag),
    paused: dag.is_paused,
    broken: dag.has_import_errors ? (broken ?? { error: GENERIC_IMPORT_ERROR }) : null,
    url: dagUrl(ctx, dag.dag_id),
  };
}

export const GENERIC_IMPORT_ERROR =
  'Airflow reports an import error for this DAG file (the details were not found among the import errors).';

export function toPipelineRun(ctx: MappingContext, run: AirflowDagRun): PipelineRun {
  const started = timestamp(run.start_date);
  const finished = timestamp(run.end_date);
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: run.dag_id,
    run_id: run.dag_run_id,
    status: mapDagRunState(run.state),
    native_status: run.state,
    queued_at: timestamp(run.queued_at) ?? timestamp(run.run_after),
    started_at: started,
    finished_at: finished,
    duration_seconds: duration(run.duration, started, finished),
    trigger: mapRunType(run.run_type),
    error_message: null,
    failed_tasks: [],
    url: runUrl(ctx, run.dag_id, run.dag_run_id),
  };
}

/** Airflow's max_tries counts retries; the model counts attempts (retries + the first try). */
export function attemptsAllowed(maxTries: number): number {
  return maxTries + 1;
}

export function toTaskRun(ti: AirflowTaskInstance): TaskRun {
  const started = timestamp(ti.start_date);
  const finished = timestamp(ti.end_date);
  return {
    task_id: ti.task_id,
    map_index: ti.map_index >= 0 ? ti.map_index : null,
    try_number: ti.try_number,
    max_tries: attemptsAllowed(ti.max_tries),
    status: mapTaskInstanceState(ti.state),
    native_status: ti.state ?? 'none',
    started_at: started,
    finished_at: finished,
    duration_seconds: duration(ti.duration, started, finished),
    error: null,
  };
}

/**
 * A cheap, log-free failure summary of a failed run from its task instances:
 * the failed task ids and one sentence naming them ("Task x failed (try 2 of 2).").
 */
export function summarizeFailure(tis: readonly AirflowTaskInstance[]): {
  failed_tasks: string[];
  error_message: string;
} {
  const byTask = new Map<string, AirflowTaskInstance[]>();
  for (const ti of tis) {
    if (!isFailedTaskState(ti.state)) continue;
    const list = byTask.get(ti.task_id) ?? [];
    list.push(ti);
    byTask.set(ti.task_id, list);
  }
  const failedTasks = [...byTask.keys()];
  if (failedTasks.length === 0) {
    return {
      failed_tasks: [],
      error_message:
        'The run failed but no task instance is in the failed state (it may have been marked failed by hand or hit its dagrun_timeout).',
    };
  }
  /** "(try 2 of 2)" or "(3 mapped instances: map_index 1, 4, 7)". */
  const detail = (taskId: string): string => {
    const instances = byTask.get(taskId) ?? [];
    const mapped = instances.filter((ti) => ti.map_index >= 0);
    if (mapped.length > 0) {
      const indexes = mapped
        .map((ti) => ti.map_index)
        .sort((a, b) => a - b)
        .slice(0, 5)
        .join(', ');
      const more = mapped.length > 5 ? ', …' : '';
      return `(${mapped.length} mapped instance${mapped.length === 1 ? '' : 's'}: map_index ${indexes}${more})`;
    }
    const ti = instances[0];
    return ti ? `(try ${ti.try_number} of ${attemptsAllowed(ti.max_tries)})` : '';
  };
  let message: string;
  if (failedTasks.length === 1) {
    const only = failedTasks[0] as string;
    message = `Task ${only} failed ${detail(only)}.`;
  } else {
    const shown = failedTasks.slice(0, 5).map((t) => `${t} ${detail(t)}`);
    const rest = failedTasks.length - shown.length;
    message = `Tasks ${shown.join(', ')}${rest > 0 ? ` and ${rest} more` : ''} failed.`;
  }
  return { failed_tasks: failedTasks, error_message: message };
}

/** Short reason for a broken DAG file: the last meaningful line of the import error's traceback. */
export function summarizeImportError(error: AirflowImportError): string {
  const lines = error.stack_trace
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\^+$/.test(l) && !/^~+$/.test(l));
  const last = lines[lines.length - 1] ?? 'import error';
  const text = last.length > 500 ? `${last.slice(0, 499)}…` : last;
  return `${text} (in ${error.filename})`;
}

/** True when the import error is about this DAG's file (relative to its bundle, or absolute). */
export function importErrorMatchesDag(error: AirflowImportError, dag: AirflowDag): boolean {
  const file = error.filename;
  if (file.length === 0) return false;
  if (dag.relative_fileloc && file === dag.relative_fileloc) {
    return !error.bundle_name || !dag.bundle_name || error.bundle_name === dag.bundle_name;
  }
  if (file === dag.fileloc) return true;
  return dag.fileloc.endsWith(file.startsWith('/') ? file : `/${file}`);
}
