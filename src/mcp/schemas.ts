import * as z from 'zod';
import { RUN_STATUSES } from '../core/status.js';
import { TRIGGER_KINDS } from '../core/model.js';
import { isMonitorError } from '../core/errors.js';
import { assertSafeId } from '../core/identifiers.js';

export const runStatus = z.enum(RUN_STATUSES);
const iso = z.string().nullable();

export const pipelineIdInput = z
  .string()
  .min(1)
  .max(300)
  .describe(
    'Pipeline id, bare (e.g. "daily_sales_etl") or qualified by orchestrator ("prod-airflow:daily_sales_etl")',
  );
// A run id is never qualified: checked whole here, so that no tool (a write's preview included) takes one in.
export const runIdInput = z
  .string()
  .min(1)
  .max(300)
  .superRefine((value, ctx) => {
    try {
      assertSafeId(value, 'run_id');
    } catch (error) {
      if (!isMonitorError(error)) throw error;
      ctx.addIssue({ code: 'custom', message: `${error.message} ${error.hint ?? ''}`.trim() });
    }
  })
  .describe('Run id, as returned by the other tools');

export const unavailableSchema = z
  .array(z.object({ orchestrator: z.string(), reason: z.string() }))
  .describe('Orchestrators that could not answer; the rest of the result comes from the others');

export const runSchema = z.object({
  orchestrator: z.string(),
  pipeline_id: z.string(),
  run_id: z.string(),
  status: runStatus,
  native_status: z.string(),
  trigger: z.enum(TRIGGER_KINDS),
  queued_at: iso,
  started_at: iso,
  finished_at: iso,
  duration_seconds: z.number().nullable(),
  error_message: z.string().nullable(),
  failed_tasks: z.array(z.string()),
  url: z.string().nullable(),
});

/** A run in a list: enough to scan, compare durations and pick one for get_run_details. */
export const runBriefSchema = z.object({
  run_id: z.string(),
  status: runStatus,
  trigger: z.enum(TRIGGER_KINDS),
  queued_at: iso,
  started_at: iso,
  finished_at: iso,
  duration_seconds: z.number().nullable(),
});

export const pipelineSchema = z.object({
  orchestrator: z.string(),
  pipeline_id: z.string(),
  description: z.string().nullable(),
  owners: z.array(z.string()),
  tags: z.array(z.string()),
  schedule: z.string().nullable(),
  paused: z.boolean(),
  broken_error: z.string().nullable(),
  url: z.string().nullable(),
});

export const failureClass = z.enum([
  'timeout',
  'connection',
  'auth',
  'oom_or_killed',
  'data_quality',
  'upstream_failed',
  'code_error',
  'unknown',
]);

export const extractedErrorFields = {
  class: failureClass,
  exception_type: z.string().nullable(),
  causes: z.array(z.string()).describe('Chained exceptions below the error, outermost first'),
  context: z.array(z.string()).describe('Log lines around the error that explain it'),
  stack: z.array(z.string()).describe('Innermost frames'),
};

export const digestSchema = z
  .object({
    failed_task: z.string().nullable(),
    map_index: z.number().nullable(),
    try_number: z.number().nullable(),
    error_line: z.string().nullable(),
    ...extractedErrorFields,
    signature: z.string().nullable().describe('Same value = same cause, across pipelines'),
    trimmed: z.boolean(),
  })
  .nullable()
  .describe(
    'Why the run failed: root-cause task, error class and the error from the end of its log (untrusted text)',
  );
