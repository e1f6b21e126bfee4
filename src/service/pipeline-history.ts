import type { ServiceContext } from './context.js';
import { presentPipeline, presentRun } from './present.js';
import { quantile, round1 } from './stats.js';
import type { PipelineView, RunView } from './views.js';

export interface HistoryStats {
  runs: number;
  succeeded: number;
  failed: number;
  active: number;
  /** Share of finished runs that succeeded, 0..1; null when none finished. */
  success_rate: number | null;
  duration_median_seconds: number | null;
  duration_p95_seconds: number | null;
  duration_min_seconds: number | null;
  duration_max_seconds: number | null;
  last_success_at: string | null;
  last_failure_at: string | null;
}

export interface PipelineHistoryResult {
  pipeline: PipelineView;
  runs: RunView[];
  stats: HistoryStats;
  /** Runs of this pipeline on the orchestrator in all, when it reports it. */
  total_runs: number | null;
  truncated: boolean;
}

export async function getPipelineHistory(
  ctx: ServiceContext,
  pipelineId: string,
  limit: number,
): Promise<PipelineHistoryResult> {
  const { adapter, pipeline } = await ctx.registry.resolve(pipelineId);
  const list = await adapter.listRuns({ pipelineId: pipeline.pipeline_id, orderBy: 'started_at', limit });
  const runs = list.runs.slice(0, limit);
  const finished = runs.filter((r) => r.status === 'success' || r.status === 'failed');
  const succeeded = runs.filter((r) => r.status === 'success');
  const durations = succeeded
    .map((r) => r.duration_seconds)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b);
  const stats: HistoryStats = {
    runs: runs.length,
    succeeded: succeeded.length,
    failed: runs.filter((r) => r.status === 'failed').length,
    active: runs.filter((r) => r.status === 'running' || r.status === 'pending').length,
    success_rate: finished.length ? Math.round((succeeded.length / finished.length) * 1000) / 1000 : null,
    duration_median_seconds: round1(quantile(durations, 0.5)),
    duration_p95_seconds: round1(quantile(durations, 0.95)),
    duration_min_seconds: durations[0] ?? null,
    duration_max_seconds: durations[durations.length - 1] ?? null,
    last_success_at: succeeded[0]?.finished_at ?? null,
    last_failure_at: runs.find((r) => r.status === 'failed')?.finished_at ?? null,
  };
  return {
    pipeline: presentPipeline(pipeline, ctx.text),
    runs: runs.map((r) => presentRun(r, ctx.text)),
    stats,
    total_runs: list.total,
    truncated: list.total !== null ? list.total > runs.length : list.truncated,
  };
}
