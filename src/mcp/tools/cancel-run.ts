import { runActionTool } from './run-action-tool.js';

export const cancelRun = runActionTool({
  name: 'cancel_run',
  title: 'Cancel a run',
  description:
    'Stops a queued or running run (Airflow: marks it failed; Dagster: terminates it; Prefect: cancels it). Confirmed and audited like trigger_pipeline; refused for a run that already finished.',
  action: 'cancel',
  runIdDescription: 'The queued or running run',
  destructive: true,
});
