import type { ServiceContext } from './context.js';
import { digestFailure, type FailureDigest } from './digest/failure-digest.js';
import { presentPipeline, presentRun } from './present.js';
import type { PipelineView, RunView } from './views.js';

export interface PipelineStatusResult {
  pipeline: PipelineView;
  /** The newest run; null when the pipeline never ran. */
  latest_run: RunView | null;
  digest: FailureDigest | null;
}

export async function getPipelineStatus(
  ctx: ServiceContext,
  pipelineId: string,
): Promise<PipelineStatusResult> {
  const { adapter, pipeline } = await ctx.registry.resolve(pipelineId);
  const latest = (await adapter.latestRuns([pipeline.pipeline_id])).get(pipeline.pipeline_id);
  if (!latest) return { pipeline: presentPipeline(pipeline, ctx.text), latest_run: null, digest: null };
  let run = latest;
  let digest: FailureDigest | null = null;
  if (latest.status === 'failed') {
    const tasks = await adapter.listTaskRuns(pipeline.pipeline_id, latest.run_id);
    run = { ...latest, failed_tasks: tasks.filter((t) => t.status === 'failed').map((t) => t.task_id) };
    digest = await digestFailure(adapter, run, ctx.text, tasks);
  }
  const view = presentRun(run, ctx.text);
  if (digest?.error_line) view.error_message = digest.error_line;
  return { pipeline: presentPipeline(pipeline, ctx.text), latest_run: view, digest };
}
