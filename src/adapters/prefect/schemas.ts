import { z } from 'zod';

/**
 * The parts of the Prefect 3 REST API responses the adapter reads (2.x servers answer the same shapes,
 * plus the legacy `schedule` / `is_schedule_active` of deployments). Fields we rely on are required;
 * everything else is optional, and extra fields are allowed. State types are plain strings so that a
 * type added by a newer Prefect maps to 'unknown' instead of failing.
 */

const nullableString = z.string().nullish();
const labels = z.record(z.string(), z.unknown()).nullish();

export const CreatedBySchema = z.object({
  id: nullableString,
  type: nullableString,
  display_value: nullableString,
});
export type PrefectCreatedBy = z.infer<typeof CreatedBySchema>;

export const ScheduleSchema = z.union([
  z.looseObject({ cron: z.string(), timezone: nullableString }),
  z.looseObject({ interval: z.number(), timezone: nullableString }),
  z.looseObject({ rrule: z.string(), timezone: nullableString }),
]);
export type PrefectSchedule = z.infer<typeof ScheduleSchema>;

export const DeploymentScheduleSchema = z.object({
  schedule: ScheduleSchema,
  active: z.boolean().nullish(),
});

export const DeploymentSchema = z.object({
  id: z.string(),
  name: z.string(),
  flow_id: z.string(),
  description: nullableString,
  paused: z.boolean().nullish(),
  /** 2.x only. */
  is_schedule_active: z.boolean().nullish(),
  schedules: z.array(DeploymentScheduleSchema).nullish(),
  /** 2.x only (a single schedule). */
  schedule: ScheduleSchema.nullish(),
  tags: z.array(z.string()).nullish(),
  labels,
  created_by: CreatedBySchema.nullish(),
  status: nullableString,
});
export type PrefectDeployment = z.infer<typeof DeploymentSchema>;
export const DeploymentListSchema = z.array(DeploymentSchema);

export const FlowSchema = z.object({ id: z.string(), name: z.string() });
export type PrefectFlow = z.infer<typeof FlowSchema>;
export const FlowListSchema = z.array(FlowSchema);

export const StateSchema = z.object({
  type: z.string(),
  name: nullableString,
  message: nullableString,
  timestamp: nullableString,
});

export const FlowRunSchema = z.object({
  id: z.string(),
  name: nullableString,
  flow_id: z.string(),
  deployment_id: nullableString,
  state_type: nullableString,
  state_name: nullableString,
  state: StateSchema.nullish(),
  created: nullableString,
  expected_start_time: nullableString,
  start_time: nullableString,
  end_time: nullableString,
  total_run_time: z.number().nullish(),
  auto_scheduled: z.boolean().nullish(),
  idempotency_key: nullableString,
  created_by: CreatedBySchema.nullish(),
  parent_task_run_id: nullableString,
  run_count: z.number().nullish(),
});
export type PrefectFlowRun = z.infer<typeof FlowRunSchema>;
export const FlowRunListSchema = z.array(FlowRunSchema);

export const TaskRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  task_key: z.string(),
  dynamic_key: nullableString,
  flow_run_id: nullableString,
  state_type: nullableString,
  state_name: nullableString,
  state: StateSchema.nullish(),
  run_count: z.number().int().nullish(),
  start_time: nullableString,
  end_time: nullableString,
  expected_start_time: nullableString,
  total_run_time: z.number().nullish(),
  empirical_policy: z
    .object({ retries: z.number().int().nullish(), max_retries: z.number().int().nullish() })
    .nullish(),
});
export type PrefectTaskRun = z.infer<typeof TaskRunSchema>;
export const TaskRunListSchema = z.array(TaskRunSchema);

export const LogSchema = z.object({
  id: z.string(),
  name: z.string(),
  level: z.number(),
  message: z.string(),
  timestamp: z.string(),
  flow_run_id: nullableString,
  task_run_id: nullableString,
});
export type PrefectLog = z.infer<typeof LogSchema>;
export const LogListSchema = z.array(LogSchema);

export const CountSchema = z.number().int().nonnegative();

/** OrchestrationResult of `POST /flow_runs/{id}/set_state`. */
export const OrchestrationResultSchema = z.object({
  status: z.enum(['ACCEPT', 'REJECT', 'ABORT', 'WAIT']),
  state: StateSchema.nullable(),
  details: z.looseObject({ type: z.string().optional(), reason: nullableString }),
});
