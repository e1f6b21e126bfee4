import * as z from 'zod';
import { pipelineIdInput, runIdInput } from '../schemas.js';
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
  run_id: runIdInput.describe('The failed run'),
  reason: reasonInput,
  confirmation_token: confirmationTokenInput,
  wait_seconds: waitSecondsInput,
});

export const rerunFailedTasks = defineTool({
  name: 'rerun_failed_tasks',
  title: 'Re-run only what failed',
  description:
    'Re-runs only the failed tasks of a failed run (Airflow: clears the failed task instances of that run; Dagster: re-executes from failure as a new run; Prefect: retries the flow run). Same guard, confirmation and audit as trigger_pipeline; refused for a run that did not fail.',
  input,
  output: writeResultSchema,
  annotations: {
    title: 'Re-run failed tasks',
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  writes: true,
  run: (service, args, call) =>
    service.triggerPipeline({
      ...args,
      conf: {},
      action: 'rerun',
      progress: call.progress,
      signal: call.signal,
    }),
  render: (out) => renderWriteResult('rerun_failed_tasks', out),
});
