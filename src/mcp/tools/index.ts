import type { ToolDefinition } from '../tool-definition.js';
import { getHealthSummary } from './get-health-summary.js';
import { getPipelineHistory } from './get-pipeline-history.js';
import { getPipelineStatus } from './get-pipeline-status.js';
import { getRunDetails } from './get-run-details.js';
import { getTaskLogs } from './get-task-logs.js';
import { listAllPipelines } from './list-all-pipelines.js';
import { listFailedPipelines } from './list-failed-pipelines.js';
import { cancelRun } from './cancel-run.js';
import { rerunFailedTasks } from './rerun-failed-tasks.js';
import { triggerPipeline } from './trigger-pipeline.js';

/** Every tool, in the order clients list them. */
export const TOOLS: readonly ToolDefinition[] = [
  listAllPipelines,
  listFailedPipelines,
  getHealthSummary,
  getPipelineStatus,
  getPipelineHistory,
  getRunDetails,
  getTaskLogs,
  triggerPipeline,
  rerunFailedTasks,
  cancelRun,
];
