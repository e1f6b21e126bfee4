import type { OrchestratorAdapter } from '../core/adapter.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { isMonitorError } from '../core/errors.js';
import type { Pipeline, PipelineRun } from '../core/model.js';
import type { ServiceContext } from './context.js';
import { fanOut, type Unavailable } from './fan-out.js';
import { analyzeHistory, assessFreshness, FRESHNESS_THRESHOLDS } from './history/index.js';
import {
  listFailures,
  type FailedPipelineCount,
  type FailureCause,
  type SweepCache,
} from './list-failures.js';

export interface AttentionItem {
  orchestrator: string;
  pipeline_id: string;
  owners: string[];
  status: 'late' | 'missing' | 'long_running' | 'slow_latest_run';
  summary: string;
  run_id: string | null;
}

export interface HealthSummaryResult {
  window_hours: number;
  owner: string | null;
  total_failures: number;
  failed_pipelines: FailedPipelineCount[];
  /** Failures grouped by cause, largest group first. */
  causes: FailureCause[];
  /** Late or missing scheduled runs, runs running far longer than usual, unusually slow latest runs. */
  attention: AttentionItem[];
  /** Scheduled pipelines checked for freshness; more are not checked when `freshness_truncated`. */
  checked_pipelines: number;
  freshness_truncated: boolean;
  unavailable: Unavailable[];
}

/** Scheduled pipelines whose freshness one summary checks at most. */
export const MAX_FRESHNESS_CHECKS = 1000;
/** Running or just-finished pipelines whose history is read for long-running and duration-anomaly checks. */
export const MAX_HISTORY_CHECKS = 20;

/** "What needs my attention?" in one call: failures by cause, late/missing runs, long-running runs, anomalies. */
export async function getHealthSummary(
  ctx: ServiceContext,
  input: { hours: number; owner?: string; orchestrator?: string },
  sweeps?: SweepCache,
): Promise<HealthSummaryResult> {
  const adapters = ctx.registry.select(input.orchestrator);
  const [failures, catalog] = await Promise.all([
    listFailures(ctx, { ...input, limit: 1, digests: 10 }, sweeps),
    fanOut(adapters, async (adapter) => {
      const pipelines = await adapter.listPipelines(input.owner ? { owner: input.owner } : {});
      const scheduled = pipelines.filter((p) => p.schedule && !p.paused && !p.broken);
      const checked = scheduled.slice(0, MAX_FRESHNESS_CHECKS);
      const latest = await adapter.latestRuns(checked.map((p) => p.pipeline_id));
      return { checked, latest, truncated: scheduled.length > checked.length };
    }),
  ]);
  const now = ctx.now();
  const attention: AttentionItem[] = [];
  const toInspect: { adapter: OrchestratorAdapter; pipeline: Pipeline; run: PipelineRun }[] = [];
  for (const { adapter, value } of catalog.results) {
    for (const pipeline of value.checked) {
      const run = value.latest.get(pipeline.pipeline_id);
      const freshness = assessFreshness({
        pipeline,
        latestRuns: run ? [run] : [],
        typicalDurationSeconds: null,
        now,
      });
      if (freshness.status === 'late' || freshness.status === 'missing') {
        attention.push(item(pipeline, freshness.status, freshness.summary, run?.run_id ?? null));
      } else if (run && stuckInQueue(run, now)) {
        const minutes = Math.round((now.getTime() - Date.parse(run.queued_at as string)) / 60_000);
        const summary = `Late: run ${run.run_id} was due ${run.queued_at} and has not started after ${minutes} min (${run.native_status}).`;
        attention.push(item(pipeline, 'late', summary, run.run_id));
      }
      if (run && (run.status === 'running' || finishedWithin(run, now, input.hours)))
        toInspect.push({ adapter, pipeline, run });
    }
  }
  // Running first (a stuck run matters most), then the most recently finished.
  toInspect.sort(
    (a, b) => rank(a.run) - rank(b.run) || (b.run.finished_at ?? '').localeCompare(a.run.finished_at ?? ''),
  );
  const inspected = await mapWithConcurrency(toInspect.slice(0, MAX_HISTORY_CHECKS), 4, (x) =>
    inspect(ctx, x),
  );
  attention.push(...inspected.flat());
  return {
    window_hours: input.hours,
    owner: input.owner ?? null,
    total_failures: failures.total_failures,
    failed_pipelines: failures.failed_pipelines,
    causes: failures.causes,
    attention,
    checked_pipelines: catalog.results.reduce((n, r) => n + r.value.checked.length, 0),
    freshness_truncated: catalog.results.some((r) => r.value.truncated),
    unavailable: [
      ...failures.unavailable,
      ...catalog.unavailable.filter(
        (u) => !failures.unavailable.some((f) => f.orchestrator === u.orchestrator),
      ),
    ],
  };
}

/** A run waiting to start for longer than the lateness grace (a queued Airflow run, a Late Prefect run). */
function stuckInQueue(run: PipelineRun, now: Date): boolean {
  if (run.status !== 'pending' || run.started_at || !run.queued_at) return false;
  // Prefect already judged it: its own `Late` state (a scheduled run past its start time).
  if (/^late$/i.test(run.native_status)) return true;
  return now.getTime() - Date.parse(run.queued_at) > FRESHNESS_THRESHOLDS.graceMinSeconds * 1000;
}

function rank(run: PipelineRun): number {
  return run.status === 'running' ? 0 : 1;
}

function finishedWithin(run: PipelineRun, now: Date, hours: number): boolean {
  return (
    run.status === 'success' &&
    !!run.finished_at &&
    now.getTime() - Date.parse(run.finished_at) <= hours * 3600_000
  );
}

function item(
  pipeline: Pipeline,
  status: AttentionItem['status'],
  summary: string,
  runId: string | null,
): AttentionItem {
  return {
    orchestrator: pipeline.orchestrator,
    pipeline_id: pipeline.pipeline_id,
    owners: pipeline.owners,
    status,
    summary,
    run_id: runId,
  };
}

async function inspect(
  ctx: ServiceContext,
  { adapter, pipeline, run }: { adapter: OrchestratorAdapter; pipeline: Pipeline; run: PipelineRun },
): Promise<AttentionItem[]> {
  try {
    const history = await adapter.listRuns({
      pipelineId: pipeline.pipeline_id,
      orderBy: 'started_at',
      limit: 60,
    });
    const analysis = analyzeHistory(history.runs, { now: ctx.now(), schedule: pipeline.schedule });
    if (run.status === 'running') {
      const freshness = assessFreshness({
        pipeline,
        latestRuns: [run],
        typicalDurationSeconds: analysis.duration.median_seconds,
        now: ctx.now(),
      });
      return freshness.status === 'long_running'
        ? [item(pipeline, 'long_running', freshness.summary, run.run_id)]
        : [];
    }
    const anomaly = analysis.latest_anomaly;
    if (anomaly?.is_outlier && anomaly.direction === 'slower' && anomaly.run_id === run.run_id) {
      const minutes = (s: number) => `${Math.round(s / 60)} min`;
      return [
        item(
          pipeline,
          'slow_latest_run',
          `Latest run took ${minutes(anomaly.duration_seconds)}, usually ${minutes(anomaly.baseline_median_seconds)}.`,
          run.run_id,
        ),
      ];
    }
    return [];
  } catch (error) {
    if (!isMonitorError(error)) throw error;
    return [];
  }
}
