import type { OrchestratorAdapter } from '../../core/adapter.js';
import { isMonitorError } from '../../core/errors.js';
import type { PipelineRun, TaskRun } from '../../core/model.js';
import type { UntrustedText } from '../text/untrusted.js';
import { classifyText, type FailureClass } from './classify.js';
import { extractError, splitLogRecords } from './extract-error.js';
import { rootCauseTask } from './root-cause-task.js';
import { failureSignature } from './signature.js';

export type { FailureClass } from './classify.js';

/** Why a run failed, small enough to put many in one answer (≤ DIGEST_BUDGET_CHARS as JSON). */
export interface FailureDigest {
  failed_task: string | null;
  map_index: number | null;
  try_number: number | null;
  class: FailureClass;
  exception_type: string | null;
  error_line: string | null;
  /** Chained exceptions below the error, outermost first, `Type: message` (at most 3). */
  causes: string[];
  /** Up to 3 log lines around the error that explain it (tool output such as SQL error details). */
  context: string[];
  /** Innermost frames of the error's traceback (at most 8). */
  stack: string[];
  /** Groups the same cause across runs and pipelines (`class/type/hash`); null when nothing is known. */
  signature: string | null;
  /** True when stack, context, causes or the error line were cut to fit the size budget. */
  trimmed: boolean;
}

const DIGEST_LOG_BYTES = 32 * 1024;
/** ≈ 600 tokens. */
export const DIGEST_BUDGET_CHARS = 2400;
const MIN_ERROR_LINE = 160;
const MIN_CAUSE = 100;

/** Why a run failed: the root-cause task and the meaningful error from the end of its latest try's log. */
export async function digestFailure(
  adapter: OrchestratorAdapter,
  run: PipelineRun,
  text: UntrustedText,
  knownTasks?: TaskRun[],
): Promise<FailureDigest> {
  const tasks = knownTasks ?? (await adapter.listTaskRuns(run.pipeline_id, run.run_id));
  const task = rootCauseTask(tasks);
  const taskError = task?.error ? text.line(task.error, 500) : null;
  const fallback = taskError ?? (run.error_message ? text.line(run.error_message, 500) : null);
  const upstreamOnly = task !== null && /upstream/i.test(task.native_status);
  const fallbackClass: FailureClass = upstreamOnly
    ? 'upstream_failed'
    : ((fallback ? classifyText(fallback)?.class : undefined) ?? 'unknown');
  const digest: FailureDigest = {
    failed_task: task?.task_id ?? run.failed_tasks[0] ?? null,
    map_index: task?.map_index ?? null,
    try_number: task?.try_number ?? null,
    class: fallbackClass,
    exception_type: null,
    error_line: taskError,
    causes: [],
    context: [],
    stack: [],
    signature: fallback ? failureSignature(fallbackClass, null, fallback) : null,
    trimmed: false,
  };
  if (!task || !adapter.capabilities.taskLogs) return fitDigest(digest);
  try {
    const log = await adapter.getTaskLog(run.pipeline_id, run.run_id, {
      taskId: task.task_id,
      tryNumber: task.try_number,
      mapIndex: task.map_index,
      maxBytes: DIGEST_LOG_BYTES,
    });
    const found = extractError(text.lines(splitLogRecords(log.lines), 1000));
    if (found) {
      digest.class = upstreamOnly && found.class === 'unknown' ? 'upstream_failed' : found.class;
      digest.exception_type = found.exception_type;
      digest.error_line = found.error_line;
      digest.causes = found.causes;
      digest.context = found.context;
      digest.stack = found.stack;
      digest.signature = found.signature;
    }
  } catch (error) {
    // A missing log leaves the digest at task level; the caller still gets the failed task.
    if (!isMonitorError(error)) throw error;
  }
  return fitDigest(digest);
}

function size(digest: FailureDigest): number {
  return JSON.stringify(digest).length;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/**
 * Keeps a digest within DIGEST_BUDGET_CHARS: drops the outermost stack frames first, then the context
 * lines farthest from the error, then the deepest causes, then shortens the causes and the error line.
 */
export function fitDigest(digest: FailureDigest, budget = DIGEST_BUDGET_CHARS): FailureDigest {
  if (size(digest) <= budget) return digest;
  const d: FailureDigest = { ...digest, trimmed: true };
  d.stack = [...d.stack];
  d.context = [...d.context];
  d.causes = [...d.causes];
  while (size(d) > budget && d.stack.length > 0) d.stack.shift();
  while (size(d) > budget && d.context.length > 0) d.context.shift();
  while (size(d) > budget && d.causes.length > 1) d.causes.pop();
  if (size(d) > budget) d.causes = d.causes.map((c) => cut(c, MIN_CAUSE));
  while (size(d) > budget && d.error_line && d.error_line.length > MIN_ERROR_LINE) {
    const over = size(d) - budget;
    d.error_line = cut(d.error_line, Math.max(MIN_ERROR_LINE, d.error_line.length - over - 1));
  }
  if (size(d) > budget) d.causes = [];
  return d;
}
