import { MonitorError } from '../core/errors.js';
import { assertSafeId } from '../core/identifiers.js';
import type { TaskRun } from '../core/model.js';
import type { ServiceContext } from './context.js';
import { extractError, type ExtractedError } from './digest/extract-error.js';
import { rootCauseTask } from './digest/root-cause-task.js';

export interface TaskLogsInput {
  pipeline_id: string;
  run_id: string;
  task_id?: string;
  try_number?: number;
  map_index?: number;
  tail_lines: number;
  /** Most bytes of log lines returned (from the end). */
  max_bytes: number;
}

export interface TaskLogsResult {
  orchestrator: string;
  pipeline_id: string;
  run_id: string;
  task_id: string;
  map_index: number | null;
  try_number: number;
  latest_try_number: number;
  task_status: string;
  /** The last `tail_lines` lines, cleaned and redacted. */
  lines: string[];
  /** True when earlier lines exist that are not shown. */
  truncated: boolean;
  bytes_read: number;
  error: ExtractedError | null;
}

/** Bytes of log read from the orchestrator's end at most. */
export const LOG_READ_BYTES = 256 * 1024;

export async function getTaskLogs(ctx: ServiceContext, input: TaskLogsInput): Promise<TaskLogsResult> {
  assertSafeId(input.run_id, 'run_id');
  if (input.task_id !== undefined) assertSafeId(input.task_id, 'task_id');
  const { adapter, pipeline } = await ctx.registry.resolve(input.pipeline_id);
  if (!adapter.capabilities.taskLogs) {
    throw new MonitorError('unsupported', `${adapter.name} does not expose task logs.`, {
      orchestrator: adapter.name,
    });
  }
  const tasks = await adapter.listTaskRuns(pipeline.pipeline_id, input.run_id);
  const task = pickTask(tasks, input);
  const tryNumber = input.try_number ?? task.try_number;
  if (tryNumber > task.try_number) {
    throw new MonitorError(
      'invalid_input',
      `Task ${task.task_id} has only ${task.try_number} tr${task.try_number === 1 ? 'y' : 'ies'}.`,
      {
        hint: `use try_number 1..${task.try_number}, or omit it for the latest`,
      },
    );
  }
  const log = await adapter.getTaskLog(pipeline.pipeline_id, input.run_id, {
    taskId: task.task_id,
    tryNumber,
    mapIndex: task.map_index,
    maxBytes: LOG_READ_BYTES,
  });
  const clean = ctx.text.lines(log.lines, 1000);
  const shown = tailWithin(clean.slice(-input.tail_lines), input.max_bytes);
  return {
    orchestrator: adapter.name,
    pipeline_id: pipeline.pipeline_id,
    run_id: input.run_id,
    task_id: task.task_id,
    map_index: task.map_index,
    try_number: tryNumber,
    latest_try_number: task.try_number,
    task_status: task.native_status,
    lines: shown,
    truncated: log.truncated || shown.length < clean.length,
    bytes_read: log.bytes_read,
    error: extractError(clean),
  };
}

function pickTask(tasks: TaskRun[], input: TaskLogsInput): TaskRun {
  if (input.task_id === undefined) {
    const root = input.map_index === undefined ? rootCauseTask(tasks) : null;
    if (root) return root;
    throw new MonitorError('invalid_input', 'No failed task in this run; say which task_id to read.', {
      hint: `tasks: ${[...new Set(tasks.map((t) => t.task_id))].slice(0, 30).join(', ')}`,
    });
  }
  const matches = tasks.filter((t) => t.task_id === input.task_id);
  if (matches.length === 0) {
    throw new MonitorError('not_found', `No task "${input.task_id}" in run ${input.run_id}.`, {
      hint: 'use get_run_details to list the tasks of a run',
    });
  }
  if (input.map_index !== undefined) {
    const m = matches.find((t) => t.map_index === input.map_index);
    if (!m) throw new MonitorError('not_found', `Task ${input.task_id} has no map_index ${input.map_index}.`);
    return m;
  }
  return rootCauseTask(matches) ?? (matches[0] as TaskRun);
}

/** The last lines whose UTF-8 size fits in `maxBytes` (at least one line, cut from its start if it alone is too big). */
function tailWithin(lines: readonly string[], maxBytes: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string;
    const size = Buffer.byteLength(line) + 1;
    if (used + size > maxBytes) {
      if (out.length === 0) out.push(`…${line.slice(-Math.max(1, maxBytes - 4))}`);
      break;
    }
    out.push(line);
    used += size;
  }
  return out.reverse();
}
