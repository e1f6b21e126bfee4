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
    .describe('Run parameters (Airflow conf); default {}'),
  reason: z.string().max(500).optional().describe('Why this run is started; stored on the run'),
});

const output = z.object({ run: runSchema, message: z.string() });

export const triggerPipeline = defineTool({
  name: 'trigger_pipeline',
  title: 'Start a pipeline run',
  description:
    'Starts a new run of a pipeline. Refused while a run of it is queued or running, and refused for a paused pipeline (it is never unpaused). Starts a real job: only call it when the user asked for a run.',
  input,
  output,
  annotations: {
    title: 'Trigger pipeline',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  writes: true,
  run: (service, args) => service.triggerPipeline(args),
  render: (out) => `${out.message}\nNew run ${runLine(out.run)}`,
});
