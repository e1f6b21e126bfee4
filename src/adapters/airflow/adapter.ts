import type {
  AdapterCapabilities,
  LogRequest,
  OrchestratorAdapter,
  PipelineQuery,
  RerunRequest,
  RunList,
  RunQuery,
  TriggerRequest,
} from '../../core/adapter.js';
import type { OrchestratorConfig } from '../../core/config.js';
import { MonitorError, isMonitorError } from '../../core/errors.js';
import { assertSafeId } from '../../core/identifiers.js';
import type { LogSlice, Pipeline, PipelineRun, TaskRun } from '../../core/model.js';
import {
  DEFAULT_MAX_STREAM_BYTES,
  mapWithConcurrency,
  type HttpRequestSpec,
  type HttpStreamSpec,
} from '../http/index.js';
import { AirflowClient, type AirflowClientOptions, type NotFound } from './client.js';
import { DIALECTS, detectDialect } from './detect.js';
import type {
  AirflowDialect,
  ApiVersion,
  DagListFilter,
  ItemRequest,
  LogRequestSpec,
  LogStreamRequest,
} from './dialect.js';
import { readLogTail, StreamedLogTail, type LogTailResult } from './log-reader.js';
import {
  importErrorMatchesDag,
  isFailedTaskState,
  summarizeFailure,
  summarizeImportError,
  toPipeline,
  toPipelineRun,
  toTaskRun,
  type MappingContext,
} from './mapping.js';
import type { DagRecord, ImportErrorRecord, LogChunk, RunRecord, TaskInstanceRecord } from './records.js';

export interface AirflowAdapterOptions extends AirflowClientOptions {
  /** Requests in flight for per-DAG fan-out (latestRuns fallback, DAGs of recent runs on v1). Default 8. */
  concurrency?: number;
  /** Bound on pages followed for one listing. Default 200. */
  maxPages?: number;
  /** Bound on continuation requests for one log. Default 500. */
  maxLogChunks?: number;
  /**
   * Read Airflow 3 logs as one NDJSON stream (one request, bounded memory) rather than through
   * continuation tokens. Default true; a server that does not stream is remembered and read by tokens.
   */
  logStreaming?: boolean;
  /** Bytes of one log stream read at most; the log is then reported truncated. Default 512 MiB. */
  maxLogStreamBytes?: number;
  /** Time spent reading one log stream at most; the log is then reported truncated. Default 120 s. */
  maxLogStreamMs?: number;
  /** Bound on runs one listRuns call returns, whatever the caller asks. Default 10 000. */
  maxRuns?: number;
}

/**
 * latestRuns reads one cross-DAG batch listing (POST …/dags/~/dagRuns/list with the DAG ids) of the requested
 * DAGs' runs, newest first, limited to runs whose logical instant (v2 run_after, v1 execution_date) lies in
 * the last LATEST_RUNS_WINDOW_MS, in pages of LATEST_RUNS_PAGE_SIZE (batch bodies are not capped by
 * maximum_page_limit), and to at most LATEST_RUNS_PER_DAG runs per requested DAG and LATEST_RUNS_MAX_PAGES
 * pages. It stops as soon as every DAG has been seen; the first run seen of a DAG is its latest. DAGs it did
 * not see (no run in the window, or past the bound) get one `limit=1` request each, `concurrency` at a time.
 * So a call costs at most pages + DAGs requests, and usually one per LATEST_RUNS_PAGE_SIZE / (runs per DAG
 * in the window) DAGs. A single DAG is asked for directly.
 */
export const LATEST_RUNS_WINDOW_MS = 7 * 24 * 3600 * 1000;
export const LATEST_RUNS_PAGE_SIZE = 500;
export const LATEST_RUNS_PER_DAG = 3;
export const LATEST_RUNS_MAX_PAGES = 50;
/** Failed task instances of a run sweep: pages followed per listing. */
const FAILED_TASK_MAX_PAGES = 20;

const FIND_DAGS_HINT = 'use list_all_pipelines to find ids';
const FIND_RUNS_HINT = 'use the pipeline run history to find run ids';
const MAX_LOG_BYTES = 16 * 1024 * 1024;
/** One record (line) of a log stream larger than this is left out, with a note: memory stays bounded. */
const MAX_LOG_RECORD_BYTES = 8 * 1024 * 1024;

/** Dag ids are `[\w.-]`; run ids add `:` `+` and so on. A search with other characters matches nothing. */
const SEARCHABLE = /^[\p{L}\p{N}_.\-:+@ ]+$/u;

/**
 * The `dag_id_pattern` for a substring search. `%`, `|` and `\\` never get here (SEARCHABLE), and `_` is left
 * unescaped on purpose: whether `\\_` means a literal underscore depends on the database behind Airflow
 * (PostgreSQL and MySQL yes, SQLite no), while a bare `_` (any one character) matches every id a literal would.
 * Airflow 2 wraps the pattern in `%…%` itself; the extra `%` change nothing. The listing is then filtered
 * exactly on our side.
 */
export function likeSubstring(search: string): string {
  return `%${search}%`;
}

interface Api {
  d: AirflowDialect;
  ctx: MappingContext;
}

const runKey = (dagId: string | null | undefined, runId: string | null | undefined) =>
  `${dagId}\u0000${runId}`;

/**
 * Airflow 2 (stable REST API /api/v1) and Airflow 3 (public API /api/v2) behind the orchestrator-neutral
 * adapter interface. Which API is spoken is configured or detected on first use; the API-specific parts live
 * in the dialects (v1/, v2/) and everything here is shared.
 */
export class AirflowAdapter implements OrchestratorAdapter {
  readonly name: string;
  readonly type = 'airflow' as const;
  readonly capabilities: AdapterCapabilities = {
    crossPipelineRunQuery: true,
    taskLogs: true,
    trigger: true,
    rerunFailed: true,
    cancel: true,
  };
  private readonly client: AirflowClient;
  private readonly baseUrl: string;
  private readonly pinned: ApiVersion | null;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly maxLogChunks: number;
  private readonly maxRuns: number;
  private readonly logStreaming: boolean;
  private readonly maxLogStreamBytes: number;
  private readonly maxLogStreamMs: number;
  /** The server answered a log stream request with 406 or another content type: read logs by tokens. */
  private logStreamUnsupported = false;
  private resolved: Api | null = null;
  private resolving: Promise<Api> | null = null;

  constructor(config: OrchestratorConfig, options: AirflowAdapterOptions = {}) {
    this.name = config.name;
    this.client = new AirflowClient(config, options);
    this.baseUrl = config.url.replace(/\/+$/, '');
    this.pinned = config.api_version === 'v1' || config.api_version === 'v2' ? config.api_version : null;
    this.now = options.now ?? Date.now;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.maxPages = options.maxPages ?? 200;
    this.maxLogChunks = options.maxLogChunks ?? 500;
    this.maxRuns = options.maxRuns ?? 10_000;
    this.logStreaming = options.logStreaming ?? true;
    this.maxLogStreamBytes = Math.max(1, options.maxLogStreamBytes ?? DEFAULT_MAX_STREAM_BYTES);
    this.maxLogStreamMs = Math.max(1, options.maxLogStreamMs ?? 120_000);
  }

  /** The API version in use: the configured one, else the detected one (null until first use). */
  get apiVersion(): ApiVersion | null {
    return this.resolved?.d.version ?? this.pinned;
  }

  async listPipelines(query: PipelineQuery): Promise<Pipeline[]> {
    const search = query.search?.trim() ?? '';
    if (search.length > 0 && !SEARCHABLE.test(search)) return [];
    const finishedAfter = query.hadRun ? isoDate(query.hadRun.finishedAfter, 'finishedAfter') : undefined;
    const { d, ctx } = await this.api();
    let lastRunState: string | undefined;
    if (query.lastRunStatus !== undefined) {
      // Statuses with no DagRun state (cancelled, unknown) cannot be anyone's latest run state.
      lastRunState = d.status.dagRunStatesFor([query.lastRunStatus])[0];
      if (lastRunState === undefined) return [];
    }
    let hadRunStates: string[] | undefined;
    if (query.hadRun && query.hadRun.statuses.length > 0) {
      hadRunStates = d.status.dagRunStatesFor(query.hadRun.statuses);
      if (hadRunStates.length === 0) return [];
    }
    const owner = nonEmpty(query.owner);
    const tag = nonEmpty(query.tag);
    let dags: DagRecord[];
    if (finishedAfter !== undefined && !d.dagFilters.hadRun) {
      dags = await this.dagsWithRuns(d, hadRunStates, query.hadRun?.finishedAfter as Date);
    } else {
      const filter: DagListFilter = {
        owner: d.dagFilters.owners ? owner : undefined,
        tag,
        paused: query.paused,
        pattern: search.length > 0 ? likeSubstring(search) : undefined,
        lastRunState: d.dagFilters.lastRunState ? lastRunState : undefined,
        hadRun: finishedAfter !== undefined ? { states: hadRunStates ?? [], finishedAfter } : undefined,
      };
      const page = await this.client.paginate(d.listDags(filter), {
        maxPages: this.maxPages,
        key: (dag) => dag.dag_id,
      });
      dags = page.items;
    }
    // Whatever the server filtered, checking again keeps the result right (and does what it cannot).
    const ownerLc = owner?.toLowerCase();
    const tagLc = tag?.toLowerCase();
    const needle = search.toLowerCase();
    dags = dags.filter(
      (dag) =>
        !dag.is_stale &&
        (ownerLc === undefined || dag.owners.some((o) => o.toLowerCase() === ownerLc)) &&
        (tagLc === undefined || dag.tags.some((t) => t.toLowerCase() === tagLc)) &&
        (query.paused === undefined || dag.is_paused === query.paused) &&
        (needle.length === 0 || dag.dag_id.toLowerCase().includes(needle)),
    );
    if (lastRunState !== undefined && !d.dagFilters.lastRunState && dags.length > 0) {
      const latest = await this.latestRuns(dags.map((dag) => dag.dag_id));
      dags = dags.filter((dag) => latest.get(dag.dag_id)?.native_status === lastRunState);
    }
    const importErrors = dags.some((dag) => dag.has_import_errors) ? await this.importErrors(d) : [];
    return dags.map((dag) => this.pipelineOf(ctx, dag, importErrors));
  }

  async getPipeline(pipelineId: string): Promise<Pipeline> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const { d, ctx } = await this.api();
    const dag = await this.client.item(d.getDag(dagId), this.dagNotFound(dagId));
    const importErrors = dag.has_import_errors ? await this.importErrors(d) : [];
    return this.pipelineOf(ctx, dag, importErrors);
  }

  async latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>> {
    const ids = [...new Set(pipelineIds)].map((id) => assertSafeId(id, 'pipeline_id'));
    const result = new Map<string, PipelineRun>();
    if (ids.length === 0) return result;
    const { d, ctx } = await this.api();
    const found = new Map<string, RunRecord>();
    if (ids.length > 1) {
      const wanted = new Set(ids);
      const since = new Date(this.now() - LATEST_RUNS_WINDOW_MS).toISOString();
      const maxPages = Math.min(
        LATEST_RUNS_MAX_PAGES,
        Math.max(1, Math.ceil((ids.length * LATEST_RUNS_PER_DAG) / LATEST_RUNS_PAGE_SIZE)),
      );
      await this.client.paginate(d.listRuns({ dagIds: ids, startedAfter: since, orderBy: 'started_at' }), {
        maxPages,
        pageSize: LATEST_RUNS_PAGE_SIZE,
        onPage: (runs) => {
          // Newest first: the first run seen of a DAG is its latest.
          for (const run of runs)
            if (wanted.has(run.dag_id) && !found.has(run.dag_id)) found.set(run.dag_id, run);
          return found.size === wanted.size;
        },
      });
    }
    const missing = ids.filter((id) => !found.has(id));
    const latest = await mapWithConcurrency(missing, this.concurrency, async (dagId) => {
      try {
        const page = await this.client.paginate(d.listRuns({ dagId, orderBy: 'started_at' }), {
          maxItems: 1,
          maxPages: 1,
          notFound: this.dagNotFound(dagId),
        });
        return page.items[0] ?? null;
      } catch (error) {
        if (isMonitorError(error) && error.kind === 'not_found') return null; // unknown DAG: absent, like "never ran"
        throw error;
      }
    });
    missing.forEach((dagId, i) => {
      const run = latest[i];
      if (run) found.set(dagId, run);
    });
    for (const dagId of ids) {
      const run = found.get(dagId);
      if (run) result.set(dagId, toPipelineRun(ctx, run));
    }
    return result;
  }

  async listRuns(query: RunQuery): Promise<RunList> {
    const dagId = query.pipelineId === undefined ? undefined : assertSafeId(query.pipelineId, 'pipeline_id');
    if (!Number.isFinite(query.limit))
      throw new MonitorError('invalid_input', 'limit must be a positive number.');
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), this.maxRuns);
    const finishedAfter = isoDate(query.finishedAfter, 'finishedAfter');
    const startedAfter = isoDate(query.startedAfter, 'startedAfter');
    const { d, ctx } = await this.api();
    let states: string[] | undefined;
    if (query.statuses && query.statuses.length > 0) {
      states = d.status.dagRunStatesFor(query.statuses);
      // Statuses with no DagRun state (cancelled, unknown): nothing on the server can match.
      if (states.length === 0) return { runs: [], total: 0, truncated: false };
    }
    const page = await this.client.paginate(
      d.listRuns({ dagId, states, finishedAfter, startedAfter, orderBy: query.orderBy }),
      {
        maxItems: limit,
        maxPages: this.maxPages,
        notFound: dagId === undefined ? undefined : this.dagNotFound(dagId),
        key: (r) => runKey(r.dag_id, r.dag_run_id),
        accept: finishedAtOrAfter(query.finishedAfter),
      },
    );
    if (dagId !== undefined && page.items.length === 0 && page.rejected === 0 && d.emptyForUnknown) {
      await this.client.item(d.getDag(dagId), this.dagNotFound(dagId)); // an unknown DAG is not_found
    }
    let runs = page.items.map((run) => toPipelineRun(ctx, run));
    if (query.includeFailedTasks) runs = await this.withFailedTasks(d, page.items, runs);
    return {
      runs,
      // Some servers count unfinished runs as ending "now" in end_date filters; those were dropped above,
      // and the server's total then overcounts.
      total: page.rejected === 0 ? page.total : null,
      truncated: !page.exhausted,
    };
  }

  async getRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    const { d, ctx } = await this.api();
    const native = await this.client.item(d.getRun(dagId, dagRunId), this.runNotFound(dagId, dagRunId));
    const run = toPipelineRun(ctx, native);
    if (run.status !== 'failed') return run;
    const failed = await this.taskInstances(d, dagId, dagRunId, ['failed']);
    const summary = summarizeFailure(failed.filter((ti) => isFailedTaskState(ti.state)));
    return { ...run, failed_tasks: summary.failed_tasks, error_message: summary.error_message };
  }

  async listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    const { d, ctx } = await this.api();
    const tis = await this.taskInstances(d, dagId, dagRunId);
    if (tis.length === 0 && d.emptyForUnknown) {
      await this.client.item(d.getRun(dagId, dagRunId), this.runNotFound(dagId, dagRunId)); // unknown run: not_found
    }
    return tis.map((ti) => toTaskRun(ctx, ti));
  }

  async getTaskLog(pipelineId: string, runId: string, request: LogRequest): Promise<LogSlice> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    const taskId = assertSafeId(request.taskId, 'task_id');
    if (!Number.isInteger(request.tryNumber) || request.tryNumber < 0 || request.tryNumber > 10_000) {
      throw new MonitorError('invalid_input', 'try_number must be a whole number ≥ 1.', {
        orchestrator: this.name,
      });
    }
    const mapIndex = request.mapIndex ?? -1;
    if (!Number.isInteger(mapIndex) || mapIndex < -1) {
      throw new MonitorError(
        'invalid_input',
        'map_index must be a whole number ≥ 0 (or null for an unmapped task).',
        { orchestrator: this.name },
      );
    }
    const maxBytes = Math.min(Math.max(1, Math.floor(request.maxBytes)), MAX_LOG_BYTES);
    const { d } = await this.api();
    const notFound: NotFound = {
      message: `no log for task ${taskId}${mapIndex >= 0 ? `[${mapIndex}]` : ''} try ${request.tryNumber} of run ${dagRunId} of DAG ${dagId}.`,
      hint: 'list the run’s task runs to find task ids, map indexes and try numbers',
    };
    const spec: LogRequestSpec = {
      dagId,
      runId: dagRunId,
      taskId,
      tryNumber: request.tryNumber,
      mapIndex,
      token: null,
    };
    let result: LogTailResult | null = null;
    let first: LogChunk | null = null;
    const stream = this.logStreaming && !this.logStreamUnsupported ? d.logStream?.(spec) : undefined;
    if (stream) ({ result, first } = await this.streamLog(d, spec, stream, maxBytes, notFound));
    result ??= await readLogTail(
      async (token) => {
        if (token === null && first !== null) {
          const chunk = first; // the stream request's JSON answer is this request's answer
          first = null;
          return chunk;
        }
        return this.client.item(d.log({ ...spec, token }), notFound);
      },
      { maxBytes, maxChunks: this.maxLogChunks },
    );
    return {
      task_id: taskId,
      try_number: request.tryNumber,
      map_index: request.mapIndex,
      lines: result.lines,
      truncated: result.truncated,
      bytes_read: result.bytes_read,
    };
  }

  /**
   * One request for the whole log, streamed: lines are rendered as they arrive and only the tail is kept.
   * A 406, or a 2xx of another content type, means the server does not stream logs: that is remembered and
   * the caller reads by continuation tokens (a JSON answer is already that path's first chunk).
   */
  private async streamLog(
    d: AirflowDialect,
    spec: LogRequestSpec,
    stream: LogStreamRequest,
    maxBytes: number,
    notFound: NotFound,
  ): Promise<{ result: LogTailResult | null; first: LogChunk | null }> {
    const tail = new StreamedLogTail({ maxBytes, maxLineBytes: MAX_LOG_RECORD_BYTES, render: stream.render });
    const request: HttpStreamSpec = {
      method: stream.method,
      path: stream.path,
      query: stream.query,
      headers: stream.headers,
      maxStreamBytes: this.maxLogStreamBytes,
      streamDeadlineMs: this.maxLogStreamMs,
    };
    const outcome = await this.client.stream(request, {
      accept: (head) => stream.accepts(headerValue(head.headers['content-type'])),
      onChunk: (chunk) => tail.push(chunk),
    });
    if (outcome.streamed) return { result: tail.finish(outcome.stopped), first: null };
    const response = outcome.response;
    if (response.status === 406) {
      this.logStreamUnsupported = true;
      return { result: null, first: null };
    }
    if (response.status < 200 || response.status >= 300) {
      throw this.client.statusError(request, response, notFound);
    }
    this.logStreamUnsupported = true;
    const type = headerValue(response.headers['content-type']) ?? '';
    if (!/^\s*application\/json\s*(;|$)/i.test(type)) return { result: null, first: null };
    const json = d.log(spec);
    return { result: null, first: this.client.http.parse(request, response, json.schema) };
  }

  async triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const runId = request.runId === undefined ? undefined : assertSafeId(request.runId, 'run_id');
    if (typeof request.conf !== 'object' || request.conf === null || Array.isArray(request.conf)) {
      throw new MonitorError('invalid_input', 'conf must be a JSON object.', { orchestrator: this.name });
    }
    const { d, ctx } = await this.api();
    const trigger = d.trigger(dagId, { conf: request.conf, runId, note: request.note });
    // Retried only with a run id: Airflow refuses a second run with the same dag_run_id (409), so a repeat
    // cannot start a second run and the 409 is reconciled as "already started". Never a PATCH: paused DAGs stay paused.
    const spec: HttpRequestSpec = {
      method: trigger.method,
      path: trigger.path,
      json: trigger.json,
      headers: trigger.headers,
      retry: runId !== undefined,
    };
    const response = await this.client.call(spec);
    if (response.status === 200 || response.status === 201) {
      return toPipelineRun(ctx, this.client.http.parse(spec, response, trigger.schema));
    }
    const detail = this.client.http.detailOf(response);
    if (response.status === 409) {
      throw new MonitorError(
        'refused',
        `${this.name}: a run with that id already exists for DAG ${dagId}${runId ? ` (${runId})` : ''}.`,
        {
          orchestrator: this.name,
          hint: 'choose another run id, or look at the existing run instead of triggering again',
        },
      );
    }
    if (response.status === 400) {
      throw new MonitorError(
        'refused',
        `${this.name}: Airflow refused to trigger DAG ${dagId} (HTTP 400)${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint: 'look at the DAG (import errors?) and at conf before trying again' },
      );
    }
    if (response.status === 422) {
      throw new MonitorError(
        'invalid_input',
        `${this.name}: Airflow rejected the trigger request for DAG ${dagId} (HTTP ${response.status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint: 'check conf against the DAG’s params, and the run id’s format' },
      );
    }
    throw this.client.statusError(spec, response, this.dagNotFound(dagId));
  }

  /**
   * Clears the failed (and upstream_failed) task instances of a failed run: the same run goes back to the
   * queue and only what failed runs again. Refused unless the run is failed, so a repeated request (the run
   * is then queued or running again) changes nothing. Never retried.
   */
  async rerunFailed(pipelineId: string, runId: string, request: RerunRequest): Promise<PipelineRun> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    assertSafeId(request.requestId, 'request_id');
    const { d, ctx } = await this.api();
    const current = toPipelineRun(
      ctx,
      await this.client.item(d.getRun(dagId, dagRunId), this.runNotFound(dagId, dagRunId)),
    );
    if (current.status !== 'failed') {
      throw new MonitorError(
        'refused',
        `${this.name}: run ${dagRunId} of DAG ${dagId} is ${current.native_status}, not failed: there is nothing to re-run.`,
        {
          orchestrator: this.name,
          hint:
            current.status === 'pending' || current.status === 'running'
              ? 'the run is already queued or running (perhaps re-run by an earlier request): wait for it'
              : 'only a failed run can have its failed tasks re-run; trigger a new run instead',
        },
      );
    }
    const clear = d.clearFailedTasks(dagId, dagRunId);
    await this.write(
      clear,
      `clear the failed tasks of run ${dagRunId} of DAG ${dagId}`,
      this.runNotFound(dagId, dagRunId),
    );
    return toPipelineRun(
      ctx,
      await this.client.item(d.getRun(dagId, dagRunId), this.runNotFound(dagId, dagRunId)),
    );
  }

  /**
   * Stops a queued or running run by setting its state to failed (Airflow has no cancel verb; the DAG's
   * paused flag is never touched). Refused when the run has already finished. Never retried.
   */
  async cancelRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    const { d, ctx } = await this.api();
    const current = toPipelineRun(
      ctx,
      await this.client.item(d.getRun(dagId, dagRunId), this.runNotFound(dagId, dagRunId)),
    );
    if (current.status !== 'pending' && current.status !== 'running') {
      throw new MonitorError(
        'refused',
        `${this.name}: run ${dagRunId} of DAG ${dagId} has already finished (${current.native_status}): there is nothing to cancel.`,
        { orchestrator: this.name, hint: 'only a queued or running run can be cancelled' },
      );
    }
    const patch = d.markRunFailed(dagId, dagRunId);
    const run = await this.write(
      patch,
      `mark run ${dagRunId} of DAG ${dagId} failed`,
      this.runNotFound(dagId, dagRunId),
    );
    return toPipelineRun(ctx, run);
  }

  /** A write request: sent once (never retried), its 2xx answer parsed, its errors mapped. */
  private async write<T>(request: ItemRequest<T>, what: string, notFound: NotFound): Promise<T> {
    const spec: HttpRequestSpec = {
      method: request.method,
      path: request.path,
      query: request.query,
      json: request.json,
      headers: request.headers,
      retry: false,
    };
    const response = await this.client.call(spec);
    if (response.status >= 200 && response.status < 300) {
      return this.client.http.parse(spec, response, request.schema);
    }
    const detail = this.client.http.detailOf(response);
    const suffix = `(HTTP ${response.status})${detail ? `: ${detail}` : ''}`;
    if (response.status === 409 || response.status === 400) {
      throw new MonitorError('refused', `${this.name}: Airflow refused to ${what} ${suffix}.`, {
        orchestrator: this.name,
        hint: 'look at the run’s current state before trying again',
      });
    }
    if (response.status === 422) {
      throw new MonitorError(
        'invalid_input',
        `${this.name}: Airflow rejected the request to ${what} ${suffix}.`,
        {
          orchestrator: this.name,
        },
      );
    }
    throw this.client.statusError(spec, response, notFound);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The dialect to speak: configured, or detected once (a failed detection is tried again next time). */
  private api(): Promise<Api> {
    if (this.resolved) return Promise.resolve(this.resolved);
    this.resolving ??= (async () => {
      const detected = this.pinned ? null : await detectDialect(this.client);
      const dialect = detected?.dialect ?? DIALECTS[this.pinned ?? 'v2'];
      this.client.use(dialect, detected?.token);
      const api: Api = {
        d: dialect,
        ctx: { orchestrator: this.name, status: dialect.status, links: dialect.links(this.baseUrl) },
      };
      this.resolved = api;
      return api;
    })().finally(() => {
      this.resolving = null;
    });
    return this.resolving;
  }

  private pipelineOf(
    ctx: MappingContext,
    dag: DagRecord,
    importErrors: readonly ImportErrorRecord[],
  ): Pipeline {
    let broken: { error: string } | null = null;
    if (dag.has_import_errors) {
      const match = importErrors.find((e) => importErrorMatchesDag(e, dag));
      if (match) broken = { error: summarizeImportError(match) };
    }
    return toPipeline(ctx, dag, broken);
  }

  /**
   * DAGs with a run in one of the states that finished at or after the instant, for APIs that cannot join
   * DAGs on their runs (v1): one cross-DAG run listing, then only those DAGs, a few at a time. The requests
   * grow with the matching runs and DAGs, not with the DAGs on the server.
   */
  private async dagsWithRuns(
    d: AirflowDialect,
    states: string[] | undefined,
    finishedAfter: Date,
  ): Promise<DagRecord[]> {
    const runs = await this.client.paginate(
      d.listRuns({ states, finishedAfter: finishedAfter.toISOString(), orderBy: 'finished_at' }),
      {
        maxPages: this.maxPages,
        key: (r) => runKey(r.dag_id, r.dag_run_id),
        accept: finishedAtOrAfter(finishedAfter),
      },
    );
    const ids = [...new Set(runs.items.map((r) => r.dag_id))].sort();
    const dags = await mapWithConcurrency(ids, this.concurrency, async (dagId) => {
      try {
        return await this.client.item(d.getDag(dagId), this.dagNotFound(dagId));
      } catch (error) {
        if (isMonitorError(error) && error.kind === 'not_found') return null; // deleted since it ran
        throw error;
      }
    });
    return dags.filter((dag): dag is DagRecord => dag !== null);
  }

  /** All import errors; a server that refuses them degrades to the generic "broken" message. */
  private async importErrors(d: AirflowDialect): Promise<ImportErrorRecord[]> {
    try {
      const page = await this.client.paginate(d.importErrors(), {
        maxPages: 20,
        key: (e) => String(e.import_error_id),
      });
      return page.items;
    } catch (error) {
      if (isMonitorError(error) && (error.kind === 'auth' || error.kind === 'upstream_error')) return [];
      throw error;
    }
  }

  /**
   * Fills failed_tasks / error_message of the failed runs from as few listings as the API allows (v2: the
   * failed task instances of every run in the runs' run_after range; v1: batches of runs by id), matched
   * back by (dag_id, run_id). Requests grow with the failed runs, not with the DAGs. Runs a listing could not
   * cover (page bound) get one request each.
   */
  private async withFailedTasks(
    d: AirflowDialect,
    natives: readonly RunRecord[],
    runs: PipelineRun[],
  ): Promise<PipelineRun[]> {
    const failed = natives.filter((r) => d.status.dagRun(r.state) === 'failed');
    if (failed.length === 0) return runs;
    const wanted = new Set(failed.map((r) => runKey(r.dag_id, r.dag_run_id)));
    const byRun = new Map<string, TaskInstanceRecord[]>();
    const covered = new Set<string>();
    const plans = d.failedTaskInstances(failed);
    await mapWithConcurrency(plans, this.concurrency, async (plan) => {
      const page = await this.client.paginate(plan.request, {
        maxPages: Math.min(this.maxPages, FAILED_TASK_MAX_PAGES),
        key: (ti) => `${ti.dag_id}\u0000${ti.dag_run_id}\u0000${ti.task_id}\u0000${ti.map_index}`,
      });
      for (const ti of page.items) {
        const key = runKey(ti.dag_id, ti.dag_run_id);
        if (!wanted.has(key)) continue;
        const list = byRun.get(key) ?? [];
        list.push(ti);
        byRun.set(key, list);
      }
      if (page.exhausted) for (const run of plan.runs) covered.add(runKey(run.dag_id, run.dag_run_id));
    });
    const missing = failed.filter((r) => {
      const key = runKey(r.dag_id, r.dag_run_id);
      return !covered.has(key) && !byRun.has(key);
    });
    await mapWithConcurrency(missing, this.concurrency, async (run) => {
      const tis = await this.taskInstances(d, run.dag_id, run.dag_run_id, ['failed']);
      byRun.set(runKey(run.dag_id, run.dag_run_id), tis);
    });
    return runs.map((run) => {
      if (run.status !== 'failed') return run;
      const tis = (byRun.get(runKey(run.pipeline_id, run.run_id)) ?? []).filter((ti) =>
        isFailedTaskState(ti.state),
      );
      return { ...run, ...summarizeFailure(tis) };
    });
  }

  /** Every task instance of a run (all pages; one entry per map index), optionally only some states. */
  private async taskInstances(
    d: AirflowDialect,
    dagId: string,
    dagRunId: string,
    states?: string[],
  ): Promise<TaskInstanceRecord[]> {
    const page = await this.client.paginate(d.taskInstances(dagId, dagRunId, states), {
      maxPages: this.maxPages,
      notFound: this.runNotFound(dagId, dagRunId),
      key: (ti) => `${ti.task_id}\u0000${ti.map_index}`,
    });
    return page.items;
  }

  private dagNotFound(dagId: string): NotFound {
    return { message: `DAG ${dagId} not found.`, hint: FIND_DAGS_HINT };
  }

  private runNotFound(dagId: string, runId: string): NotFound {
    return {
      message: `run ${runId} of DAG ${dagId} not found (or the DAG does not exist).`,
      hint: FIND_RUNS_HINT,
    };
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Only runs that have finished, at or after the instant (when one is given). */
function finishedAtOrAfter(instant: Date | undefined): ((run: RunRecord) => boolean) | undefined {
  if (instant === undefined) return undefined;
  const min = instant.getTime();
  return (run) => {
    const end = run.end_date ? Date.parse(run.end_date) : Number.NaN;
    return Number.isFinite(end) && end >= min;
  };
}

function isoDate(value: Date | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new MonitorError('invalid_input', `${field} is not a valid date.`);
  }
  return value.toISOString();
}
