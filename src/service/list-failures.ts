import type { OrchestratorAdapter } from '../core/adapter.js';
import { isMonitorError } from '../core/errors.js';
import { READ_CACHE_TTL_MS } from './cached-adapter.js';
import type { Pipeline, PipelineRun } from '../core/model.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { digestFailure, type FailureDigest } from './digest/failure-digest.js';
import { fanOut, type Unavailable } from './fan-out.js';
import { presentRun } from './present.js';
import type { RunView } from './views.js';

export interface ListFailuresInput {
  hours: number;
  owner?: string;
  orchestrator?: string;
  limit: number;
  cursor?: string;
}

export interface FailureEntry extends RunView {
  owners: string[];
  failed_at: string | null;
  digest: FailureDigest | null;
}

export interface FailedPipelineCount {
  orchestrator: string;
  pipeline_id: string;
  failures: number;
  last_failed_at: string | null;
}

export interface ListFailuresResult {
  window_hours: number;
  since: string;
  total_failures: number;
  /** Every pipeline with a failure in the window, even when `failures` was cut to `limit`. */
  failed_pipelines: FailedPipelineCount[];
  failures: FailureEntry[];
  truncated: boolean;
  next_cursor: string | null;
  /** True when an orchestrator had more failed runs than the sweep reads; the counts are then lower bounds. */
  incomplete: boolean;
  unavailable: Unavailable[];
}

const WINDOW_GRANULARITY_MS = READ_CACHE_TTL_MS;

/** Upper bound on failed runs read per orchestrator in one sweep. */
export const MAX_FAILED_RUNS_PER_ORCHESTRATOR = 5000;
/** How many of the newest failures get a log-based digest (each costs one log read). */
export const DIGESTED_FAILURES = 10;

export async function listFailures(
  ctx: ServiceContext,
  input: ListFailuresInput,
): Promise<ListFailuresResult> {
  // Rounded down to the read cache's granularity so repeated questions share one sweep.
  const since = new Date(
    Math.floor((ctx.now().getTime() - input.hours * 3600_000) / WINDOW_GRANULARITY_MS) *
      WINDOW_GRANULARITY_MS,
  );
  const filters = { hours: input.hours, owner: input.owner, orchestrator: input.orchestrator };
  const offset = decodeCursor(input.cursor, filters);
  const adapters = ctx.registry.select(input.orchestrator);

  const { results, unavailable } = await fanOut(adapters, (adapter) => sweep(adapter, since, input.owner));
  const rows: { adapter: OrchestratorAdapter; run: PipelineRun; owners: string[] }[] = [];
  let incomplete = false;
  for (const { adapter, value } of results) {
    incomplete ||= value.truncated;
    for (const run of value.runs) {
      const pipeline = value.pipelines.get(run.pipeline_id);
      if (input.owner && !pipeline) continue;
      rows.push({ adapter, run, owners: pipeline?.owners ?? [] });
    }
  }
  rows.sort((a, b) => (b.run.finished_at ?? '').localeCompare(a.run.finished_at ?? ''));

  const counts = new Map<string, FailedPipelineCount>();
  for (const { run } of rows) {
    const key = `${run.orchestrator}\u0000${run.pipeline_id}`;
    const entry = counts.get(key) ?? {
      orchestrator: run.orchestrator,
      pipeline_id: run.pipeline_id,
      failures: 0,
      last_failed_at: run.finished_at,
    };
    entry.failures += 1;
    counts.set(key, entry);
  }

  const page = rows.slice(offset, offset + input.limit);
  const failures = await Promise.all(
    page.map(async ({ adapter, run, owners }, i): Promise<FailureEntry> => {
      const digest = i < DIGESTED_FAILURES ? await safeDigest(ctx, adapter, run) : null;
      const view = presentRun(run, ctx.text);
      if (digest?.error_line) view.error_message = digest.error_line;
      return { ...view, owners, failed_at: run.finished_at, digest };
    }),
  );
  const end = offset + page.length;
  return {
    window_hours: input.hours,
    since: since.toISOString(),
    total_failures: rows.length,
    failed_pipelines: [...counts.values()],
    failures,
    truncated: end < rows.length,
    next_cursor: end < rows.length ? encodeCursor(end, filters) : null,
    incomplete,
    unavailable,
  };
}

async function sweep(adapter: OrchestratorAdapter, since: Date, owner: string | undefined) {
  const [runs, pipelines] = await Promise.all([
    adapter.listRuns({
      statuses: ['failed'],
      finishedAfter: since,
      orderBy: 'finished_at',
      limit: MAX_FAILED_RUNS_PER_ORCHESTRATOR,
      includeFailedTasks: true,
    }),
    adapter.listPipelines({
      ...(owner ? { owner } : {}),
      hadRun: { statuses: ['failed'], finishedAfter: since },
    }),
  ]);
  return {
    runs: runs.runs,
    truncated: runs.truncated,
    pipelines: new Map<string, Pipeline>(pipelines.map((p) => [p.pipeline_id, p])),
  };
}

async function safeDigest(ctx: ServiceContext, adapter: OrchestratorAdapter, run: PipelineRun) {
  try {
    return await digestFailure(adapter, run, ctx.text);
  } catch (error) {
    if (!isMonitorError(error)) throw error;
    ctx.logger.warn({ orchestrator: adapter.name, reason: error.message }, 'failure digest unavailable');
    return null;
  }
}
