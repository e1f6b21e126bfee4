import { runActionTool } from './run-action-tool.js';

export const rerunFailedTasks = runActionTool({
  name: 'rerun_failed_tasks',
  title: 'Re-run only what failed',
  description:
    'Re-runs only the failed tasks of a failed run (Airflow: clears the failed task instances of that run; Dagster: re-executes from failure as a new run; Prefect: retries the flow run). Same guard, confirmation and audit as trigger_pipeline; refused for a run that did not fail.',
  action: 'rerun',
  runIdDescription: 'The failed run',
  destructive: false,
});
