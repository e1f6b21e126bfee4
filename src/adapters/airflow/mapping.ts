import {
  durationSeconds,
  type Pipeline,
  type PipelineRun,
  type TaskRun,
  type TriggerKind,
} from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import type { DagRecord, ImportErrorRecord, RunRecord, TaskInstanceRecord } from './records.js';

/**
 * Airflow native values → the core model, for both REST APIs. Pure functions only; the tables are exported
 * so the documentation can be generated from (or checked against) them.
 */

import type { StatusMappingRow } from '../../core/status.js';

export type { StatusMappingRow };

// ---------------------------------------------------------------------------------------------------------
// Airflow 3 — public API /api/v2

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

// ---------------------------------------------------------------------------------------------------------
// Airflow 2 — stable REST API /api/v1 (spec 2.10; older 2.x servers send a few states 2.10 no longer has)

/** DagRun.state → RunStatus: the same four states as Airflow 3 (`queued` exists since 2.1.3). */
export const V1_DAG_RUN_STATUS_TABLE: readonly StatusMappingRow[] = DAG_RUN_STATUS_TABLE;

/** TaskInstance.state → RunStatus; the rows marked "v1 only" never come from Airflow 3. */
export const V1_TASK_INSTANCE_STATUS_TABLE: readonly StatusMappingRow[] = [
  { native: null, status: 'pending', note: 'not scheduled yet (null since 2.7)' },
  {
    native: 'none',
    status: 'pending',
    note: 'v1 only: the string Airflow < 2.7 sends for "not scheduled yet" (deprecated for null)',
  },
  { native: 'scheduled', status: 'pending', note: '' },
  { native: 'queued', status: 'pending', note: '' },
  {
    native: 'up_for_reschedule',
    status: 'pending',
    note: 'sensor in reschedule mode, waiting for its next poke',
  },
  { native: 'deferred', status: 'pending', note: 'waiting on a trigger in the triggerer (2.2+)' },
  {
    native: 'restarting',
    status: 'pending',
    note: 'cleared while running; will be scheduled again (2.4.2+)',
  },
  { native: 'running', status: 'running', note: '' },
  {
    native: 'sensing',
    status: 'running',
    note: 'v1 only: poked by a smart sensor (Airflow < 2.4, removed since)',
  },
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
  {
    native: 'shutdown',
    status: 'cancelled',
    note: 'v1 only: told to stop while running, e.g. cleared by hand (Airflow < 2.7, replaced by restarting)',
  },
];

/** DagRun.run_type → TriggerKind on Airflow 2 (anything else → 'unknown'). */
export const V1_RUN_TYPE_TABLE: Readonly<Record<string, TriggerKind>> = Object.freeze({
  scheduled: 'scheduled',
  manual: 'manual',
  backfill: 'backfill',
  dataset_triggered: 'event',
});

// ---------------------------------------------------------------------------------------------------------

export interface StatusTables {
  dagRun: readonly StatusMappingRow[];
  taskInstance: readonly StatusMappingRow[];
  runTypes: Readonly<Record<string, TriggerKind>>;
}

/** Lookups over one API version's tables. */
export class StatusMapper {
  readonly tables: StatusTables;
  private readonly dagRunStates: Map<string | null, RunStatus>;
  private readonly taskStates: Map<string | null, RunStatus>;

  constructor(tables: StatusTables) {
    this.tables = tables;
    this.dagRunStates = new Map(tables.dagRun.map((row) => [row.native, row.status]));
    this.taskStates = new Map(tables.taskInstance.map((row) => [row.native, row.status]));
  }

  dagRun(state: string): RunStatus {
    return this.dagRunStates.get(state) ?? UNKNOWN_STATUS;
  }

  taskInstance(state: string | null | undefined): RunStatus {
    const native = state === undefined || state === null ? null : state;
    return this.taskStates.get(native) ?? (native === 'none' ? this.taskInstance(null) : UNKNOWN_STATUS);
  }

  runType(runType: string): TriggerKind {
    const table = this.tables.runTypes;
    return Object.hasOwn(table, runType) ? (table[runType] ?? 'unknown') : 'unknown';
  }

  /** The DagRun states to send as state filters for the requested statuses (cancelled/unknown have none). */
  dagRunStatesFor(statuses: readonly RunStatus[]): string[] {
    const wanted = new Set(statuses);
    return this.tables.dagRun
      .filter((row) => wanted.has(row.status) && row.native !== null)
      .map((row) => row.native as string);
  }
}

export const V2_STATUS = new StatusMapper({
  dagRun: DAG_RUN_STATUS_TABLE,
  taskInstance: TASK_INSTANCE_STATUS_TABLE,
  runTypes: RUN_TYPE_TABLE,
});

export const V1_STATUS = new StatusMapper({
  dagRun: V1_DAG_RUN_STATUS_TABLE,
  taskInstance: V1_TASK_INSTANCE_STATUS_TABLE,
  runTypes: V1_RUN_TYPE_TABLE,
});

/** Airflow 3 mapping (kept as plain functions for callers that only know v2). */
export function mapDagRunState(state: string): RunStatus {
  return V2_STATUS.dagRun(state);
}

export function mapTaskInstanceState(state: string | null | undefined): RunStatus {
  return V2_STATUS.taskInstance(state);
}

export function mapRunType(runType: string): TriggerKind {
  return V2_STATUS.runType(runType);
}

export function dagRunStatesFor(statuses: readonly RunStatus[]): string[] {
  return V2_STATUS.dagRunStatesFor(statuses);
}

/** The task states a run-level failure digest looks at. */
export function isFailedTaskState(state: string | null | undefined): boolean {
  return state === 'failed';
}

/** Links into the orchestrator's UI, which differ between Airflow 2 and 3. */
export interface UiLinks {
  dag(dagId: string): string;
  run(dagId: string, runId: string): string;
}

export interface MappingContext {
  orchestrator: string;
  status: StatusMapper;
  links: UiLinks;
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

/** A schedule text as shown to users, or null for Airflow's spellings of "no schedule". */
export function normalizeSchedule(text: string | null | undefined): string | null {
  const summary = text?.trim();
  if (!summary || summary === 'None' || summary === 'null') return null;
  return summary;
}

export function toPipeline(ctx: MappingContext, dag: DagRecord, broken: { error: string } | null): Pipeline {
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: dag.dag_id,
    description: dag.description?.trim() ? dag.description.trim() : null,
    owners: [...dag.owners],
    tags: [...dag.tags],
    schedule: normalizeSchedule(dag.schedule),
    paused: dag.is_paused,
    broken: dag.has_import_errors ? (broken ?? { error: GENERIC_IMPORT_ERROR }) : null,
    url: ctx.links.dag(dag.dag_id),
  };
}

export const GENERIC_IMPORT_ERROR =
  'Airflow reports an import error for this DAG file (the details were not found among the import errors).';

export function toPipelineRun(ctx: MappingContext, run: RunRecord): PipelineRun {
  const started = timestamp(run.start_date);
  const finished = timestamp(run.end_date);
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: run.dag_id,
    run_id: run.dag_run_id,
    status: ctx.status.dagRun(run.state),
    native_status: run.state,
    queued_at: timestamp(run.queued_at) ?? timestamp(run.run_after),
    started_at: started,
    finished_at: finished,
    duration_seconds: duration(run.duration, started, finished),
    trigger: ctx.status.runType(run.run_type),
    error_message: null,
    failed_tasks: [],
    url: ctx.links.run(run.dag_id, run.dag_run_id),
  };
}

/** Airflow's max_tries counts retries; the model counts attempts (retries + the first try). */
export function attemptsAllowed(maxTries: number): number {
  return maxTries + 1;
}

export function toTaskRun(ctx: Pick<MappingContext, 'status'>, ti: TaskInstanceRecord): TaskRun {
  const started = timestamp(ti.start_date);
  const finished = timestamp(ti.end_date);
  return {
    task_id: ti.task_id,
    map_index: ti.map_index >= 0 ? ti.map_index : null,
    try_number: ti.try_number,
    max_tries: attemptsAllowed(ti.max_tries),
    status: ctx.status.taskInstance(ti.state),
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
export function summarizeFailure(tis: readonly TaskInstanceRecord[]): {
  failed_tasks: string[];
  error_message: string;
} {
  const byTask = new Map<string, TaskInstanceRecord[]>();
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
export function summarizeImportError(error: ImportErrorRecord): string {
  const lines = error.stack_trace
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^\^+$/.test(l) && !/^~+$/.test(l));
  const last = lines[lines.length - 1] ?? 'import error';
  const text = last.length > 500 ? `${last.slice(0, 499)}…` : last;
  return `${text} (in ${error.filename})`;
}

/** True when the import error is about this DAG's file (relative to its bundle, or absolute). */
export function importErrorMatchesDag(error: ImportErrorRecord, dag: DagRecord): boolean {
  const file = error.filename;
  if (file.length === 0) return false;
  if (dag.relative_fileloc && file === dag.relative_fileloc) {
    return !error.bundle_name || !dag.bundle_name || error.bundle_name === dag.bundle_name;
  }
  if (file === dag.fileloc) return true;
  return dag.fileloc.endsWith(file.startsWith('/') ? file : `/${file}`);
}
