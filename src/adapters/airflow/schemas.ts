import { z } from 'zod';

/**
 * The parts of the Airflow 3 public API (/api/v2) responses the adapter reads.
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

export const DagTagSchema = z.object({ name: z.string() });

export const DagSchema = z.object({
  dag_id: z.string(),
  dag_display_name: nullableString,
  description: nullableString,
  is_paused: z.boolean(),
  is_stale: z.boolean().nullish(),
  owners: z.array(z.string()),
  tags: z.array(DagTagSchema),
  timetable_summary: nullableString,
  timetable_description: nullableString,
  has_import_errors: z.boolean(),
  fileloc: z.string(),
  relative_fileloc: nullableString,
  bundle_name: nullableString,
});
export type AirflowDag = z.infer<typeof DagSchema>;

export const DagCollectionSchema = z.object({
  dags: z.array(DagSchema),
  total_entries: z.number().int().nonnegative(),
});

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
export type AirflowDagRun = z.infer<typeof DagRunSchema>;

export const DagRunCollectionSchema = z.object({
  dag_runs: z.array(DagRunSchema),
  total_entries: z.number().int().nonnegative(),
});

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
export type AirflowTaskInstance = z.infer<typeof TaskInstanceSchema>;

export const TaskInstanceCollectionSchema = z.object({
  task_instances: z.array(TaskInstanceSchema),
  total_entries: z.number().int().nonnegative(),
});

export const ImportErrorSchema = z.object({
  import_error_id: z.number().int(),
  filename: z.string(),
  stack_trace: z.string(),
  bundle_name: nullableString,
  timestamp: nullableString,
});
export type AirflowImportError = z.infer<typeof ImportErrorSchema>;

export const ImportErrorCollectionSchema = z.object({
  import_errors: z.array(ImportErrorSchema),
  total_entries: z.number().int().nonnegative(),
});

/** One structured log event; every key besides these is kept and rendered compactly. */
export const StructuredLogMessageSchema = z.looseObject({
  event: z.string(),
  timestamp: nullableString,
  level: nullableString,
  logger: nullableString,
});
export type StructuredLogMessage = z.infer<typeof StructuredLogMessageSchema>;

export const TaskLogResponseSchema = z.object({
  /** Airflow 3: structured events (or plain strings); Airflow 2 / old 3.0 servers: one string. */
  content: z.union([z.array(z.union([StructuredLogMessageSchema, z.string()])), z.string()]),
  continuation_token: nullableString,
});
export type TaskLogResponse = z.infer<typeof TaskLogResponseSchema>;
