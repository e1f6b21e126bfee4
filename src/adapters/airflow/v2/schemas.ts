import { z } from 'zod';
import type { PageOf } from '../dialect.js';
import type { DagRecord, ImportErrorRecord, RunRecord, TaskInstanceRecord } from '../records.js';

/**
 * The parts of the Airflow 3 public API (/api/v2) responses the adapter reads, parsed into records.
 * Fields we rely on are required; everything else is optional or ignored (extra fields are allowed).
 * States are plain strings so that a state added by a newer Airflow maps to 'unknown' instead of failing.
 */

const nullableString = z.string().nullish();

export const TokenResponseSchema = z
  .object({ access_token: z.string().min(1).optional(), jwt_token: z.string().min(1).optional() })
  .refine((v) => v.access_token !== undefined || v.jwt_token !== undefined, {
    message: 'expected access_token (or jwt_token)',
    path: ['access_token'],
  });
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const VersionInfoSchema = z.object({ version: z.string().min(1), git_version: nullableString });

export const DagSchema = z.object({
  dag_id: z.string(),
  dag_display_name: nullableString,
  description: nullableString,
  is_paused: z.boolean(),
  is_stale: z.boolean().nullish(),
  owners: z.array(z.string()),
  tags: z.array(z.object({ name: z.string() })),
  timetable_summary: nullableString,
  timetable_description: nullableString,
  has_import_errors: z.boolean(),
  fileloc: z.string(),
  relative_fileloc: nullableString,
  bundle_name: nullableString,
});
export type V2Dag = z.infer<typeof DagSchema>;

export function dagRecord(dag: V2Dag): DagRecord {
  return {
    dag_id: dag.dag_id,
    description: dag.description ?? null,
    is_paused: dag.is_paused,
    is_stale: dag.is_stale === true,
    owners: dag.owners,
    tags: dag.tags.map((t) => t.name),
    schedule: dag.timetable_summary ?? null,
    has_import_errors: dag.has_import_errors,
    fileloc: dag.fileloc,
    relative_fileloc: dag.relative_fileloc ?? null,
    bundle_name: dag.bundle_name ?? null,
  };
}

export const DagRunSchema = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  state: z.string(),
  run_type: z.string(),
  run_after: z.string(),
  logical_date: nullableString,
  queued_at: nullableString,
  start_date: nullableString,
  end_date: nullableString,
  duration: z.number().nullish(),
  note: nullableString,
  triggered_by: nullableString,
  conf: z.record(z.string(), z.unknown()).nullish(),
});
export type V2DagRun = z.infer<typeof DagRunSchema>;

export function runRecord(run: V2DagRun): RunRecord {
  return {
    dag_id: run.dag_id,
    dag_run_id: run.dag_run_id,
    state: run.state,
    run_type: run.run_type,
    run_after: run.run_after,
    queued_at: run.queued_at ?? null,
    start_date: run.start_date ?? null,
    end_date: run.end_date ?? null,
    duration: run.duration ?? null,
  };
}

export const TaskInstanceSchema = z.object({
  task_id: z.string(),
  dag_id: nullableString,
  dag_run_id: nullableString,
  map_index: z.number().int(),
  try_number: z.number().int().nonnegative(),
  max_tries: z.number().int().nonnegative(),
  state: nullableString,
  start_date: nullableString,
  end_date: nullableString,
  duration: z.number().nullish(),
  operator: nullableString,
  rendered_map_index: nullableString,
});
export type V2TaskInstance = z.infer<typeof TaskInstanceSchema>;

export function taskInstanceRecord(ti: V2TaskInstance): TaskInstanceRecord {
  return {
    task_id: ti.task_id,
    dag_id: ti.dag_id ?? null,
    dag_run_id: ti.dag_run_id ?? null,
    map_index: ti.map_index,
    try_number: ti.try_number,
    max_tries: ti.max_tries,
    state: ti.state === undefined || ti.state === null || ti.state === 'none' ? null : ti.state,
    start_date: ti.start_date ?? null,
    end_date: ti.end_date ?? null,
    duration: ti.duration ?? null,
  };
}

export const ImportErrorSchema = z.object({
  import_error_id: z.number().int(),
  filename: z.string(),
  stack_trace: z.string(),
  bundle_name: nullableString,
  timestamp: nullableString,
});

const total = z.number().int().nonnegative();

export const DagPageSchema: z.ZodType<PageOf<DagRecord>> = z
  .object({ dags: z.array(DagSchema), total_entries: total })
  .transform((p) => ({ items: p.dags.map(dagRecord), total: p.total_entries }));

export const DagRecordSchema: z.ZodType<DagRecord> = DagSchema.transform(dagRecord);

export const RunPageSchema: z.ZodType<PageOf<RunRecord>> = z
  .object({ dag_runs: z.array(DagRunSchema), total_entries: total })
  .transform((p) => ({ items: p.dag_runs.map(runRecord), total: p.total_entries }));

export const RunRecordSchema: z.ZodType<RunRecord> = DagRunSchema.transform(runRecord);

export const TaskInstancePageSchema: z.ZodType<PageOf<TaskInstanceRecord>> = z
  .object({ task_instances: z.array(TaskInstanceSchema), total_entries: total })
  .transform((p) => ({ items: p.task_instances.map(taskInstanceRecord), total: p.total_entries }));

export const ImportErrorPageSchema: z.ZodType<PageOf<ImportErrorRecord>> = z
  .object({ import_errors: z.array(ImportErrorSchema), total_entries: total })
  .transform((p) => ({
    items: p.import_errors.map((e) => ({
      import_error_id: e.import_error_id,
      filename: e.filename,
      stack_trace: e.stack_trace,
      bundle_name: e.bundle_name ?? null,
    })),
    total: p.total_entries,
  }));

/** One structured log event; every key besides these is kept and rendered compactly. */
export const StructuredLogMessageSchema = z.looseObject({
  event: z.string(),
  timestamp: nullableString,
  level: nullableString,
  logger: nullableString,
});
export type StructuredLogMessage = z.infer<typeof StructuredLogMessageSchema>;

export const TaskLogResponseSchema = z.object({
  /** Airflow 3: structured events (or plain strings); old 3.0 servers: one string. */
  content: z.union([z.array(z.union([StructuredLogMessageSchema, z.string()])), z.string()]),
  continuation_token: nullableString,
});
export type TaskLogResponse = z.infer<typeof TaskLogResponseSchema>;

/** TaskInstanceCollectionResponse of clearTaskInstances: only how many were cleared is read. */
export const ClearedTaskInstancesSchema = z
  .object({ task_instances: z.array(z.looseObject({ task_id: z.string() })), total_entries: total })
  .transform((p) => ({ cleared: p.task_instances.length }));
