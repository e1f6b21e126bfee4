import type { ServiceContext } from './context.js';
import { analyzeHistory, assessFreshness, type Freshness, type HistoryAnalysis } from './history/index.js';
import { presentPipeline, presentRun } from './present.js';
import type { PipelineView, RunView } from './views.js';

export interface PipelineHistoryResult {
  pipeline: PipelineView;
  /** The newest `limit` runs. */
  runs: RunView[];
  /** Runs of this pipeline on the orchestrator in all, when it reports it. */
  total_runs: number | null;
  truncated: boolean;
  /** Patterns, trend, flakiness and streaks over the analysis window (up to ANALYSIS_RUNS runs of the last ANALYSIS_DAYS days). */
  analysis: HistoryAnalysis;
  freshness: Freshness;
}

export const ANALYSIS_DAYS = 60;
export const ANALYSIS_RUNS = 500;

export async function getPipelineHistory(
  ctx: ServiceContext,
  pipelineId: string,
  limit: number,
): Promise<PipelineHistoryResult> {
  const { adapter, pipeline } = await ctx.registry.resolve(pipelineId);
  const now = ctx.now();
  const recent = await adapter.listRuns({
    pipelineId: pipeline.pipeline_id,
    startedAfter: new Date(now.getTime() - ANALYSIS_DAYS * 86_400_000),
    orderBy: 'started_at',
    limit: Math.max(limit, ANALYSIS_RUNS),
  });
  // A pipeline that ran less than `limit` times in the window: the newest runs come from all of history.
  const shown =
    recent.runs.length >= limit
      ? recent
      : await adapter.listRuns({ pipelineId: pipeline.pipeline_id, orderBy: 'started_at', limit });
  const analysis = analyzeHistory(recent.runs, { now, schedule: pipeline.schedule });
  const freshness = assessFreshness({
    pipeline,
    latestRuns: shown.runs.slice(0, 5),
    typicalDurationSeconds: analysis.duration.median_seconds,
    now,
  });
  const runs = shown.runs.slice(0, limit);
  const total = shown === recent ? null : shown.total;
  return {
    pipeline: presentPipeline(pipeline, ctx.text),
    runs: runs.map((r) => presentRun(r, ctx.text)),
    total_runs: total ?? recent.total,
    truncated: (total ?? recent.total ?? 0) > runs.length || shown.truncated,
    analysis,
    freshness,
  };
}
