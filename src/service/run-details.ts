import { assertSafeId } from '../core/identifiers.js';
import { durationSeconds, type TaskRun } from '../core/model.js';
import type { RunStatus } from '../core/status.js';
import type { ServiceContext } from './context.js';
import { digestFailure, type FailureDigest } from './digest/failure-digest.js';
import { presentPipeline, presentRun } from './present.js';
import type { PipelineView, RunView } from './views.js';

export interface TaskView {
  task_id: string;
  status: RunStatus;
  native_status: string;
  try_number: number;
  max_tries: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  /** For a mapped task: how many instances, by status, and which indexes failed (first 20). */
  mapped: {
    instances: number;
    by_status: Partial<Record<RunStatus, number>>;
    failed_map_indexes: number[];
  } | null;
}

export interface RunDetailsResult {
  pipeline: PipelineView;
  run: RunView;
  tasks: TaskView[];
  task_count: number;
  failed_tasks: string[];
  digest: FailureDigest | null;
  truncated: boolean;
}

/** Tasks shown at most; failed tasks are always kept. */
export const MAX_TASKS_SHOWN = 200;

export async function getRunDetails(
  ctx: ServiceContext,
  pipelineId: string,
  runId: string,
): Promise<RunDetailsResult> {
  assertSafeId(runId, 'run_id');
  const { adapter, pipeline } = await ctx.registry.resolve(pipelineId);
  const [run, tasks] = await Promise.all([
    adapter.getRun(pipeline.pipeline_id, runId),
    adapter.listTaskRuns(pipeline.pipeline_id, runId),
  ]);
  const grouped = groupTasks(tasks);
  const failed = grouped.filter((t) => t.status === 'failed');
  const shown = [...grouped];
  let truncated = false;
  if (shown.length > MAX_TASKS_SHOWN) {
    const kept = new Set([...failed, ...shown.slice(0, MAX_TASKS_SHOWN - failed.length)]);
    truncated = true;
    shown.splice(0, shown.length, ...grouped.filter((t) => kept.has(t)));
  }
  const digest = run.status === 'failed' ? await digestFailure(adapter, run, ctx.text, tasks) : null;
  const view = presentRun({ ...run, failed_tasks: failed.map((t) => t.task_id) }, ctx.text);
  if (digest?.error_line) view.error_message = digest.error_line;
  return {
    pipeline: presentPipeline(pipeline, ctx.text),
    run: view,
    tasks: shown,
    task_count: grouped.length,
    failed_tasks: failed.map((t) => t.task_id),
    digest,
    truncated,
  };
}

// A mapped task is as bad as its worst instance.
const STATUS_PRECEDENCE: RunStatus[] = ['failed', 'running', 'pending', 'success', 'cancelled', 'unknown'];

/** One entry per task; a mapped task's instances are summarized instead of listed. */
export function groupTasks(tasks: readonly TaskRun[]): TaskView[] {
  const byId = new Map<string, TaskRun[]>();
  for (const t of tasks) byId.set(t.task_id, [...(byId.get(t.task_id) ?? []), t]);
  const views: TaskView[] = [];
  for (const [taskId, instances] of byId) {
    const first = instances[0] as TaskRun;
    if (instances.length === 1 && first.map_index === null) {
      views.push({ ...pick(first), mapped: null });
      continue;
    }
    const byStatus: Partial<Record<RunStatus, number>> = {};
    for (const i of instances) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
    const failedIdx = instances.filter((i) => i.status === 'failed').map((i) => i.map_index ?? -1);
    const starts = instances
      .map((i) => i.started_at)
      .filter((s): s is string => !!s)
      .sort();
    const ends = instances
      .map((i) => i.finished_at)
      .filter((s): s is string => !!s)
      .sort();
    const status = STATUS_PRECEDENCE.find((s) => byStatus[s]) ?? 'unknown';
    const started = starts[0] ?? null;
    const finished = status === 'running' || status === 'pending' ? null : (ends[ends.length - 1] ?? null);
    views.push({
      task_id: taskId,
      status,
      native_status: instances.find((i) => i.status === status)?.native_status ?? first.native_status,
      try_number: Math.max(...instances.map((i) => i.try_number)),
      max_tries: first.max_tries,
      started_at: started,
      finished_at: finished,
      duration_seconds: durationSeconds(started, finished),
      mapped: {
        instances: instances.length,
        by_status: byStatus,
        failed_map_indexes: failedIdx.slice(0, 20),
      },
    });
  }
  return views;
}

function pick(t: TaskRun): Omit<TaskView, 'mapped'> {
  return {
    task_id: t.task_id,
    status: t.status,
    native_status: t.native_status,
    try_number: t.try_number,
    max_tries: t.max_tries,
    started_at: t.started_at,
    finished_at: t.finished_at,
    duration_seconds: t.duration_seconds,
  };
}
