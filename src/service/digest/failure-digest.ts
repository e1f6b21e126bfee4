import type { OrchestratorAdapter } from '../../core/adapter.js';
import { isMonitorError } from '../../core/errors.js';
import type { PipelineRun, TaskRun } from '../../core/model.js';
import type { UntrustedText } from '../text/untrusted.js';
import { extractError } from './extract-error.js';
import { rootCauseTask } from './root-cause-task.js';

export interface FailureDigest {
  failed_task: string | null;
  map_index: number | null;
  try_number: number | null;
  error_line: string | null;
  exception_type: string | null;
  stack: string[];
}

const DIGEST_LOG_BYTES = 32 * 1024;

/** Why a run failed: the root-cause task and the meaningful error line from the end of its latest try's log. */
export async function digestFailure(
  adapter: OrchestratorAdapter,
  run: PipelineRun,
  text: UntrustedText,
  knownTasks?: TaskRun[],
): Promise<FailureDigest> {
  const tasks = knownTasks ?? (await adapter.listTaskRuns(run.pipeline_id, run.run_id));
  const task = rootCauseTask(tasks);
  const digest: FailureDigest = {
    failed_task: task?.task_id ?? run.failed_tasks[0] ?? null,
    map_index: task?.map_index ?? null,
    try_number: task?.try_number ?? null,
    error_line: task?.error ? text.line(task.error, 500) : null,
    exception_type: null,
    stack: [],
  };
  if (!task || !adapter.capabilities.taskLogs) return digest;
  try {
    const log = await adapter.getTaskLog(run.pipeline_id, run.run_id, {
      taskId: task.task_id,
      tryNumber: task.try_number,
      mapIndex: task.map_index,
      maxBytes: DIGEST_LOG_BYTES,
    });
    const found = extractError(log.lines);
    if (found) {
      digest.error_line = text.line(found.error_line, 500);
      digest.exception_type = found.exception_type;
      digest.stack = text.lines(found.stack, 300);
    }
  } catch (error) {
    // A missing log leaves the digest at task level; the caller still gets the failed task.
    if (!isMonitorError(error)) throw error;
  }
  return digest;
}
