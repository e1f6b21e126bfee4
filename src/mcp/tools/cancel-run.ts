import * as z from 'zod';
import { pipelineIdInput, runIdInput } from '../schemas.js';
import { defineTool } from '../tool-definition.js';
import { confirmationTokenInput, reasonInput, renderWriteResult, writeResultSchema } from './write-result.js';

const input = z.object({
  pipeline_id: pipelineIdInput,
  run_id: runIdInput.describe('The queued or running run'),
  reason: reasonInput,
  confirmation_token: confirmationTokenInput,
});

export const cancelRun = defineTool({
  name: 'cancel_run',
  title: 'Cancel a run',
  description:
    'Stops a queued or running run (Airflow: marks it failed; Dagster: terminates it; Prefect: cancels it). Confirmed and audited like trigger_pipeline; refused for a run that already finished.',
  input,
  output: writeResultSchema,
  annotations: {
    title: 'Cancel run',
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: true,
  },
  writes: true,
  run: (service, args, call) =>
    service.triggerPipeline({
      ...args,
      conf: {},
      action: 'cancel',
      progress: call.progress,
      signal: call.signal,
    }),
  render: (out) => renderWriteResult('cancel_run', out),
});
