import { z } from 'zod';
import type { LogChunk } from '../records.js';
import type { PageOf } from '../dialect.js';
import type { DagRecord, ImportErrorRecord, RunRecord, TaskInstanceRecord } from '../records.js';
import { v1LogLines } from './python-repr.js';
import { v1Schedule } from './schedule.js';

/**
 * The parts of the Airflow 2 stable REST API (/api/v1, spec 2.10) responses the adapter reads, parsed into
 * records. Fields we rely on are required; fields the spec marks nullable or that older 2.x servers lack
 * are optional with a safe default.
 */

const nullableString = z.string().nullish();
const total = z.number().int().nonnegative();

export const V1DagSchema = z.object({
  dag_id: z.string(),
  description: nullableString,
  is_paused: z.boolean().nullish(),
  is_active: z.boolean().nullish(),
  owners: z.array(z.string()),
  tags: z.array(z.object({ name: nullableString }).nullable()).nullish(),
  /** {__type: CronExpression|TimeDelta|RelativeDelta, …} or null; rendered leniently. */
  schedule_interval: z.unknown().optional(),
  timetable_description: nullableString,
  has_import_errors: z.boolean().nullish(),
  fileloc: z.string(),
});
export type V1Dag = z.infer<typeof V1DagSchema>;

export function v1DagRecord(dag: V1Dag): DagRecord {
  return {
    dag_id: dag.dag_id,
    description: dag.description ?? null,
    is_paused: dag.is_paused === true,
    is_stale: dag.is_active === false,
    // DagModel keeps owners as one "a, b" string and the API splits it on "," alone: " b".
    owners: dag.owners.map((o) => o.trim()).filter((o) => o.length > 0),
    tags: (dag.tags ?? []).flatMap((t) => (t?.name ? [t.name] : [])),
    schedule: v1Schedule(dag),
    has_import_errors: dag.has_import_errors === true,
    fileloc: dag.fileloc,
    relative_fileloc: null,
    bundle_name: null,
  };
}

export const V1DagRunSchema = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  state: z.string(),
  run_type: z.string(),
  logical_date: nullableString,
  execution_date: nullableString,
  start_date: nullableString,
  end_date: nullableString,
  external_trigger: z.boolean().nullish(),
  note: nullableString,
});
export type V1DagRun = z.infer<typeof V1DagRunSchema>;

/** Airflow 2 has no run_after: runs are ordered by their logical (execution) date. */
export function v1RunRecord(run: V1DagRun): RunRecord {
  return {
    dag_id: run.dag_id,
    dag_run_id: run.dag_run_id,
    state: run.state,
    run_type: run.run_type,
    run_after: run.logical_date ?? run.execution_date ?? run.start_date ?? null,
    queued_at: null,
    start_date: run.start_date ?? null,
    end_date: run.end_date ?? null,
    duration: null,
  };
}

export const V1TaskInstanceSchema = z.object({
  task_id: z.string(),
  dag_id: nullableString,
  dag_run_id: nullableString,
  /** Since 2.3; older servers have no mapped tasks. */
  map_index: z.number().int().nullish(),
  try_number: z.number().int().nonnegative(),
  max_tries: z.number().int().nonnegative(),
  state: nullableString,
  start_date: nullableString,
  end_date: nullableString,
  duration: z.number().nullish(),
});
export type V1TaskInstance = z.infer<typeof V1TaskInstanceSchema>;

export function v1TaskInstanceRecord(ti: V1TaskInstance): TaskInstanceRecord {
  return {
    task_id: ti.task_id,
    dag_id: ti.dag_id ?? null,
    dag_run_id: ti.dag_run_id ?? null,
    map_index: ti.map_index ?? -1,
    try_number: ti.try_number,
    max_tries: ti.max_tries,
    // "none" is how Airflow < 2.7 spells "no state yet".
    state: ti.state === undefined || ti.state === null || ti.state === 'none' ? null : ti.state,
    start_date: ti.start_date ?? null,
    end_date: ti.end_date ?? null,
    duration: ti.duration ?? null,
  };
}

export const V1ImportErrorSchema = z.object({
  import_error_id: z.number().int(),
  filename: z.string(),
  stack_trace: z.string(),
  timestamp: nullableString,
});

export const V1DagPageSchema: z.ZodType<PageOf<DagRecord>> = z
  .object({ dags: z.array(V1DagSchema), total_entries: total })
  .transform((p) => ({ items: p.dags.map(v1DagRecord), total: p.total_entries }));

export const V1DagRecordSchema: z.ZodType<DagRecord> = V1DagSchema.transform(v1DagRecord);

export const V1RunPageSchema: z.ZodType<PageOf<RunRecord>> = z
  .object({ dag_runs: z.array(V1DagRunSchema), total_entries: total })
  .transform((p) => ({ items: p.dag_runs.map(v1RunRecord), total: p.total_entries }));

export const V1RunRecordSchema: z.ZodType<RunRecord> = V1DagRunSchema.transform(v1RunRecord);

export const V1TaskInstancePageSchema: z.ZodType<PageOf<TaskInstanceRecord>> = z
  .object({ task_instances: z.array(V1TaskInstanceSchema), total_entries: total })
  .transform((p) => ({ items: p.task_instances.map(v1TaskInstanceRecord), total: p.total_entries }));

export const V1ImportErrorPageSchema: z.ZodType<PageOf<ImportErrorRecord>> = z
  .object({ import_errors: z.array(V1ImportErrorSchema), total_entries: total })
  .transform((p) => ({
    items: p.import_errors.map((e) => ({
      import_error_id: e.import_error_id,
      filename: e.filename,
      stack_trace: e.stack_trace,
      bundle_name: null,
    })),
    total: p.total_entries,
  }));

/**
 * `{"content": "<python repr of [(host, text)]>", "continuation_token": "<signed token>"}`; a plain-string
 * content (or a JSON array of such pairs) is read as well.
 */
export const V1LogChunkSchema: z.ZodType<LogChunk> = z
  .object({
    content: z.union([z.string(), z.array(z.unknown())]),
    continuation_token: nullableString,
  })
  .transform((r) => ({ lines: v1LogLines(r.content), continuation_token: r.continuation_token ?? null }));

/** TaskInstanceReferenceCollection of clearTaskInstances: only how many were cleared is read. */
export const V1ClearedTaskInstancesSchema = z
  .object({ task_instances: z.array(z.looseObject({ task_id: z.string() })) })
  .transform((p) => ({ cleared: p.task_instances.length }));
