import * as z from 'zod';
import { runLine } from '../render.js';
import { pipelineIdInput, runSchema } from '../schemas.js';
import { defineTool } from '../tool-definition.js';

const input = z.object({
  pipeline_id: pipelineIdInput,
  conf: z
    .record(z.string(), z.unknown())
    .default({})
    .refine((c) => JSON.stringify(c).length <= 64 * 1024, 'conf must be at most 64 KiB as JSON')
    .describe('Run parameters (Airflow conf, Dagster run config, Prefect parameters); default {}'),
  reason: z
    .string()
    .max(500)
    .optional()
    .describe('Why this run is started; stored on the run and in the audit log'),
  confirmation_token: z
    .string()
    .max(1000)
    .optional()
    .describe('From the previous call’s confirmation, after the user agreed to the preview'),
  idempotency_key: z
    .string()
    .min(8)
    .max(200)
    .optional()
    .describe('Optional: the same key never starts a second run'),
});

const output = z.object({
  status: z.enum(['started', 'already_started', 'confirmation_required']),
  message: z.string(),
  run: runSchema.nullable(),
  confirmation: z
    .object({
      token: z.string(),
      expires_at: z.string(),
      orchestrator: z.string(),
      pipeline_id: z.string(),
      conf: z.record(z.string(), z.unknown()),
      reason: z.string().nullable(),
    })
    .nullable()
    .describe('What will be started; pass token back as confirmation_token once the user agrees'),
});

export const triggerPipeline = defineTool({
  name: 'trigger_pipeline',
  title: 'Start a pipeline run',
  description:
    'Starts a new run of a pipeline — a real job. Only when the user asked for it. Usually two steps: the first call returns a preview and a confirmation token; show the preview to the user and, if they agree, call again with confirmation_token. Refused (with the reason and when it would be allowed) when the pipeline is not allowed by policy, is paused (never unpaused), has a run queued or running, is within its cooldown, or the hourly limit is reached. Every attempt is audited.',
  input,
  output,
  annotations: {
    title: 'Trigger pipeline',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  writes: true,
  run: (service, args) => service.triggerPipeline(args),
  render: (out) => {
    if (out.confirmation) {
      const c = out.confirmation;
      return [
        `Confirmation needed before starting a real run:`,
        `  orchestrator: ${c.orchestrator}`,
        `  pipeline: ${c.pipeline_id}`,
        `  parameters: ${JSON.stringify(c.conf)}`,
        `  reason: ${c.reason ?? '-'}`,
        `Ask the user; if they agree, call trigger_pipeline again with the same arguments and confirmation_token="${c.token}" (valid until ${c.expires_at}).`,
      ].join('\n');
    }
    return `${out.message}${out.run ? `\nRun ${runLine(out.run)}` : ''}`;
  },
});
