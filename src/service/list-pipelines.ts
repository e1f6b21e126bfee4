import type { PipelineQuery } from '../core/adapter.js';
import type { Pipeline, PipelineRun } from '../core/model.js';
import type { RunStatus } from '../core/status.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { fanOut, type Unavailable } from './fan-out.js';
import { presentPipeline, presentRun } from './present.js';
import type { TtlCache } from './ttl-cache.js';
import type { PipelineView, RunView } from './views.js';

export const PIPELINE_STATUS_FILTERS = [
  'failed',
  'success',
  'running',
  'pending',
  'cancelled',
  'paused',
] as const;
export type PipelineStatusFilter = (typeof PIPELINE_STATUS_FILTERS)[number];

export interface ListPipelinesInput {
  owner?: string;
  status?: PipelineStatusFilter;
  orchestrator?: string;
  tag?: string;
  search?: string;
  limit: number;
  cursor?: string;
}

export interface PipelineSummary extends PipelineView {
  /** Status of the latest run; `never_run` when there is none. */
  status: RunStatus | 'never_run';
  last_run: RunView | null;
}

export interface ListPipelinesResult {
  pipelines: PipelineSummary[];
  total: number;
  truncated: boolean;
  next_cursor: string | null;
  unavailable: Unavailable[];
}

export type CatalogCache = TtlCache<{ pipelines: Pipeline[]; unavailable: Unavailable[] }>;

/** A listing missing an orchestrator is not reused: the next call asks the orchestrator again. */
const complete = (listing: { unavailable: readonly Unavailable[] }) => listing.unavailable.length === 0;

export async function listPipelines(
  ctx: ServiceContext,
  catalog: CatalogCache,
  input: ListPipelinesInput,
): Promise<ListPipelinesResult> {
  const filters = {
    owner: input.owner,
    status: input.status,
    orchestrator: input.orchestrator,
    tag: input.tag,
    search: input.search,
  };
  const offset = decodeCursor(input.cursor, filters);
  const adapters = ctx.registry.select(input.orchestrator);
  const query: PipelineQuery = {
    ...(input.owner ? { owner: input.owner } : {}),
    ...(input.tag ? { tag: input.tag } : {}),
    ...(input.search ? { search: input.search } : {}),
    ...(input.status === 'paused' ? { paused: true } : input.status ? { lastRunStatus: input.status } : {}),
  };
  const merged = await catalog.get(
    JSON.stringify(filters),
    async () => {
      const { results, unavailable } = await fanOut(adapters, (adapter) => adapter.listPipelines(query));
      const pipelines = results
        .flatMap((r) => r.value)
        .sort(
          (a, b) =>
            a.pipeline_id.localeCompare(b.pipeline_id) || a.orchestrator.localeCompare(b.orchestrator),
        );
      return { pipelines, unavailable };
    },
    complete,
  );

  const page = merged.pipelines.slice(offset, offset + input.limit);
  const latest = await latestRunsOf(ctx, page);
  const pipelines = page.map((p): PipelineSummary => {
    const run = latest.runs.get(`${p.orchestrator}\u0000${p.pipeline_id}`);
    return {
      ...presentPipeline(p, ctx.text),
      status: run ? run.status : 'never_run',
      last_run: run ? presentRun(run, ctx.text) : null,
    };
  });
  const end = offset + page.length;
  const more = end < merged.pipelines.length;
  return {
    pipelines,
    total: merged.pipelines.length,
    truncated: more,
    next_cursor: more ? encodeCursor(end, filters) : null,
    unavailable: [...merged.unavailable, ...latest.unavailable],
  };
}

async function latestRunsOf(ctx: ServiceContext, page: Pipeline[]) {
  const byOrchestrator = new Map<string, string[]>();
  for (const p of page)
    byOrchestrator.set(p.orchestrator, [...(byOrchestrator.get(p.orchestrator) ?? []), p.pipeline_id]);
  const adapters = ctx.registry.adapters.filter((a) => byOrchestrator.has(a.name));
  const { results, unavailable } = await fanOut(adapters, (a) =>
    a.latestRuns(byOrchestrator.get(a.name) ?? []),
  );
  const runs = new Map<string, PipelineRun>();
  for (const { adapter, value } of results) {
    for (const [id, run] of value) runs.set(`${adapter.name}\u0000${id}`, run);
  }
  return { runs, unavailable };
}
