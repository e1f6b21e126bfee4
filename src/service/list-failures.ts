import type { OrchestratorAdapter } from '../core/adapter.js';
import { isMonitorError } from '../core/errors.js';
import type { TtlCache } from './ttl-cache.js';
import type { Pipeline, PipelineRun } from '../core/model.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { digestFailure, type FailureClass, type FailureDigest } from './digest/failure-digest.js';
import { groupFailures } from './digest/group-failures.js';
import { mapWithConcurrency } from '../core/concurrency.js';
import { fanOut, type Unavailable } from './fan-out.js';

export interface ListFailuresInput {
  hours: number;
  /** How many failures get a log-based digest (newest failure of each pipeline first). */
  digests: number;
  owner?: string;
  orchestrator?: string;
  limit: number;
  cursor?: string;
}

/** One failed run, compact: the cause details live once per cause in `causes`. */
export interface FailureEntry {
  orchestrator: string;
  pipeline_id: string;
  run_id: string;
  failed_at: string | null;
  duration_seconds: number | null;
  owners: string[];
  failed_tasks: string[];
  /** The error line (from the log when this failure was digested, else what the orchestrator says). */
  error: string | null;
  error_class: FailureClass | null;
  /** Index into `causes` when this failure was digested. */
  cause: number | null;
}

export interface FailedPipelineCount {
  orchestrator: string;
  pipeline_id: string;
  failures: number;
  last_failed_at: string | null;
}

export interface FailureCause {
  signature: string | null;
  class: FailureClass;
  error_line: string | null;
  exception_type: string | null;
  /** First chained cause and up to two explaining log lines of a representative failure. */
  caused_by: string | null;
  context: string[];
  /** Where a representative failure happened. */
  example: { orchestrator: string; pipeline_id: string; run_id: string; failed_task: string | null };
  failures: number;
  /** `<orchestrator>:<pipeline_id>` of every pipeline in the group (at most MAX_LISTED). */
  pipelines: string[];
}

export interface ListFailuresResult {
  window_hours: number;
  since: string;
  total_failures: number;
  failed_pipeline_count: number;
  /** Pipelines with failures in the window, most failures first (at most MAX_LISTED; see the count). */
  failed_pipelines: FailedPipelineCount[];
  failures: FailureEntry[];
  /** Digested failures grouped by cause, largest group first: one cause breaking many pipelines shows as one line. */
  causes: FailureCause[];
  /** How many failures were digested (read from logs) to find causes. */
  digested: number;
  truncated: boolean;
  next_cursor: string | null;
  /** True when an orchestrator had more failed runs than the sweep reads; the counts are then lower bounds. */
  incomplete: boolean;
  unavailable: Unavailable[];
}

const DIGEST_CONCURRENCY = 6;

/** Pipelines listed at most in `failed_pipelines` and per cause; counts always cover all. */
export const MAX_LISTED = 10;

/** Upper bound on failed runs read per orchestrator in one sweep. */
export const MAX_FAILED_RUNS_PER_ORCHESTRATOR = 5000;

export interface Sweep {
  since: Date;
  rows: Row[];
  incomplete: boolean;
  unavailable: Unavailable[];
}

/** Reuses a sweep for the read cache's TTL, keyed by its question (not by the clock), so repeats cost nothing. */
export type SweepCache = TtlCache<Sweep>;

export async function listFailures(
  ctx: ServiceContext,
  input: ListFailuresInput,
  cache?: SweepCache,
): Promise<ListFailuresResult> {
  const filters = { hours: input.hours, owner: input.owner, orchestrator: input.orchestrator };
  const offset = decodeCursor(input.cursor, filters);
  const adapters = ctx.registry.select(input.orchestrator);
  const run = () => sweepAll(ctx, adapters, input);
  const { since, rows, incomplete, unavailable } = await (cache
    ? cache.get(JSON.stringify(filters), run, (sweep) => sweep.unavailable.length === 0)
    : run());

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

  const digests = await digestFailures(ctx, pickForDigest(rows, input.digests));
  const page = rows.slice(offset, offset + input.limit);
  const groups = groupFailures(
    [...digests].flatMap(([key, d]) =>
      d ? [{ key, signature: d.signature, class: d.class, error_line: d.error_line }] : [],
    ),
  );
  const causeOf = new Map<string, number>();
  groups.forEach((g, i) => g.keys.forEach((k) => causeOf.set(k, i)));
  const causes: FailureCause[] = groups.map((g) => {
    const key = g.keys[0] as string;
    const d = digests.get(key) as FailureDigest;
    const [orchestrator = '', pipeline_id = '', run_id = ''] = key.split('\u0000');
    return {
      signature: g.signature,
      class: g.class,
      error_line: g.error_line,
      exception_type: d.exception_type,
      caused_by: d.causes[0] ?? null,
      context: d.context.slice(0, 2),
      example: { orchestrator, pipeline_id, run_id, failed_task: d.failed_task },
      failures: g.count,
      pipelines: [...new Set(g.keys.map((k) => k.split('\u0000').slice(0, 2).join(':')))].slice(
        0,
        MAX_LISTED,
      ),
    };
  });
  const failures = page.map(({ run, owners }): FailureEntry => {
    const key = runKey(run);
    const digest = digests.get(key) ?? null;
    return {
      orchestrator: run.orchestrator,
      pipeline_id: run.pipeline_id,
      run_id: run.run_id,
      failed_at: run.finished_at,
      duration_seconds: run.duration_seconds,
      owners,
      failed_tasks: run.failed_tasks.slice(0, 5),
      error: digest?.error_line ?? ctx.text.optional(run.error_message, 300),
      error_class: digest?.class ?? null,
      cause: causeOf.get(key) ?? null,
    };
  });
  const end = offset + page.length;
  return {
    window_hours: input.hours,
    since: since.toISOString(),
    total_failures: rows.length,
    failed_pipeline_count: counts.size,
    failed_pipelines: [...counts.values()].sort((a, b) => b.failures - a.failures).slice(0, MAX_LISTED),
    failures,
    causes,
    digested: [...digests.values()].filter(Boolean).length,
    truncated: end < rows.length,
    next_cursor: end < rows.length ? encodeCursor(end, filters) : null,
    incomplete,
    unavailable,
  };
}

async function sweepAll(
  ctx: ServiceContext,
  adapters: OrchestratorAdapter[],
  input: ListFailuresInput,
): Promise<Sweep> {
  const since = new Date(ctx.now().getTime() - input.hours * 3600_000);
  const { results, unavailable } = await fanOut(adapters, (adapter) => sweep(adapter, since, input.owner));
  const rows: Row[] = [];
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
  return { since, rows, incomplete, unavailable };
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

function runKey(run: PipelineRun): string {
  return `${run.orchestrator}\u0000${run.pipeline_id}\u0000${run.run_id}`;
}

type Row = { adapter: OrchestratorAdapter; run: PipelineRun; owners: string[] };

/** The newest failure of each pipeline first (causes across pipelines matter most), then older ones. */
function pickForDigest(rows: readonly Row[], count: number): Row[] {
  const seen = new Set<string>();
  const firsts: Row[] = [];
  const rest: Row[] = [];
  for (const row of rows) {
    const pipeline = `${row.run.orchestrator}\u0000${row.run.pipeline_id}`;
    (seen.has(pipeline) ? rest : firsts).push(row);
    seen.add(pipeline);
  }
  return [...firsts, ...rest].slice(0, count);
}

async function digestFailures(ctx: ServiceContext, rows: Row[]): Promise<Map<string, FailureDigest | null>> {
  const out = new Map<string, FailureDigest | null>();
  const results = await mapWithConcurrency(rows, DIGEST_CONCURRENCY, (row) =>
    safeDigest(ctx, row.adapter, row.run),
  );
  rows.forEach((row, i) => out.set(runKey(row.run), results[i] ?? null));
  return out;
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
