import * as z from 'zod';
import { pipelineIdInput } from '../schemas.js';
import { defineTool } from '../tool-definition.js';
import {
  confirmationTokenInput,
  reasonInput,
  renderWriteResult,
  waitSecondsInput,
  writeResultSchema,
} from './write-result.js';

const input = z.object({
  pipeline_id: pipelineIdInput,
  conf: z
    .record(z.string(), z.unknown())
    .default({})
    .refine((c) => JSON.stringify(c).length <= 64 * 1024, 'conf must be at most 64 KiB as JSON')
    .describe('Run parameters (Airflow conf, Dagster run config, Prefect parameters); default {}'),
  reason: reasonInput,
  confirmation_token: confirmationTokenInput,
  wait_seconds: waitSecondsInput,
  idempotency_key: z
    .string()
    .min(8)
    .max(200)
    .optional()
    .describe('Optional: the same key never starts a second run'),
});

export const triggerPipeline = defineTool({
  name: 'trigger_pipeline',
  title: 'Start a pipeline run',
  description:
    'Starts a new run of a pipeline — a real job. Only when the user asked for it. Usually two steps: the first call returns a preview and a confirmation token; show the preview to the user and, if they agree, call again with confirmation_token. Refused (with the reason and when it would be allowed) when the pipeline is not allowed by policy, is paused (never unpaused), has a run queued or running, is within its cooldown, or the hourly limit is reached. Every attempt is audited.',
  input,
  output: writeResultSchema,
  annotations: {
    title: 'Trigger pipeline',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  writes: true,
  run: (service, args, call) =>
    service.triggerPipeline({
      ...args,
      progress: call.progress,
      signal: call.signal,
      principal: call.principal?.id ?? null,
    }),
  render: (out) => renderWriteResult('trigger_pipeline', out),
});
