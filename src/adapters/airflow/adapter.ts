import type {
  AdapterCapabilities,
  LogRequest,
  OrchestratorAdapter,
  PipelineQuery,
  RunList,
  RunQuery,
  TriggerRequest,
} from '../../core/adapter.js';
import type { OrchestratorConfig } from '../../core/config.js';
import { MonitorError, isMonitorError } from '../../core/errors.js';
import { assertSafeId } from '../../core/identifiers.js';
import type { LogSlice, Pipeline, PipelineRun, TaskRun } from '../../core/model.js';
import { mapWithConcurrency } from '../http/index.js';
import { API_PREFIX, AirflowClient, seg, type AirflowClientOptions, type NotFound } from './client.js';
import { readLogTail } from './log-reader.js';
import {
  dagRunStatesFor,
  importErrorMatchesDag,
  isFailedTaskState,
  mapDagRunState,
  summarizeFailure,
  summarizeImportError,
  toPipeline,
  toPipelineRun,
  toTaskRun,
  type MappingContext,
} from './mapping.js';
import {
  DagCollectionSchema,
  DagRunCollectionSchema,
  DagRunSchema,
  DagSchema,
  ImportErrorCollectionSchema,
  TaskInstanceCollectionSchema,
  TaskLogResponseSchema,
  type AirflowDag,
  type AirflowDagRun,
  type AirflowImportError,
  type AirflowTaskInstance,
} from './schemas.js';

export interface AirflowAdapterOptions extends AirflowClientOptions {
  /** Requests in flight for per-DAG fan-out (latestRuns). Default 8. */
  concurrency?: number;
  /** Bound on pages followed for one listing. Default 200. */
  maxPages?: number;
  /** Bound on continuation requests for one log. Default 500. */
  maxLogChunks?: number;
  /** Bound on runs one listRuns call returns, whatever the caller asks. Default 10 000. */
  maxRuns?: number;
}

/**
 * `includeFailedTasks` is being added to core's RunQuery; spelled out here so this file compiles with and
 * without it.
 */
type RunQueryWithFailures = RunQuery & { includeFailedTasks?: boolean };

const FIND_DAGS_HINT = 'use list_all_pipelines to find ids';
const FIND_RUNS_HINT = 'use the pipeline run history to find run ids';
const MAX_LOG_BYTES = 16 * 1024 * 1024;

/** Dag ids are `[\w.-]`; run ids add `:` `+` and so on. A search with other characters matches nothing. */
const SEARCHABLE = /^[\p{L}\p{N}_.\-:+@ ]+$/u;

/**
 * The `dag_id_pattern` for a substring search. `%`, `|` and `\\` never get here (SEARCHABLE), and `_` is left
 * unescaped on purpose: whether `\\_` means a literal underscore depends on the database behind Airflow
 * (PostgreSQL and MySQL yes, SQLite no), while a bare `_` (any one character) matches every id a literal would.
 * The listing is then filtered exactly on our side.
 */
export function likeSubstring(search: string): string {
  return `%${search}%`;
}

/** Airflow 3 (public API /api/v2) behind the orchestrator-neutral adapter interface. */
export class AirflowAdapter implements OrchestratorAdapter {
  readonly name: string;
  readonly type = 'airflow' as const;
  readonly capabilities: AdapterCapabilities = { crossPipelineRunQuery: true, taskLogs: true, trigger: true };
  private readonly client: AirflowClient;
  private readonly ctx: MappingContext;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly maxLogChunks: number;
  private readonly maxRuns: number;

  constructor(config: OrchestratorConfig, options: AirflowAdapterOptions = {}) {
    this.name = config.name;
    this.client = new AirflowClient(config, options);
    this.ctx = { orchestrator: config.name, baseUrl: config.url.replace(/\/+$/, '') };
    this.concurrency = options.concurrency ?? 8;
    this.maxPages = options.maxPages ?? 200;
    this.maxLogChunks = options.maxLogChunks ?? 500;
    this.maxRuns = options.maxRuns ?? 10_000;
  }

  async listPipelines(query: PipelineQuery): Promise<Pipeline[]> {
    const search = query.search?.trim() ?? '';
    if (search.length > 0 && !SEARCHABLE.test(search)) return [];
    let lastRunState: string | undefined;
    if (query.lastRunStatus !== undefined) {
      // Statuses with no DagRun state (cancelled, unknown) cannot be anyone's latest run state.
      lastRunState = dagRunStatesFor([query.lastRunStatus])[0];
      if (lastRunState === undefined) return [];
    }
    let hadRunStates: string[] | undefined;
    if (query.hadRun && query.hadRun.statuses.length > 0) {
      hadRunStates = dagRunStatesFor(query.hadRun.statuses);
      if (hadRunStates.length === 0) return [];
    }
    const page = await this.client.paginate(
      '/dags',
      {
        exclude_stale: true,
        owners: nonEmpty(query.owner),
        tags: nonEmpty(query.tag),
        paused: query.paused,
        dag_id_pattern: search.length > 0 ? likeSubstring(search) : undefined,
        last_dag_run_state: lastRunState,
        // Server-side join on DagRun: only DAGs with such a run, in one paged query (Airflow 3).
        dag_run_state: query.hadRun ? hadRunStates : undefined,
        dag_run_end_date_gte: query.hadRun ? isoDate(query.hadRun.finishedAfter, 'finishedAfter') : undefined,
        order_by: 'dag_id',
      },
      DagCollectionSchema,
      (p) => p.dags,
      { maxPages: this.maxPages, key: (d) => d.dag_id },
    );
    // The server filtered already; checking again keeps the result right on servers that ignore a filter.
    const owner = nonEmpty(query.owner)?.toLowerCase();
    const tag = nonEmpty(query.tag)?.toLowerCase();
    const needle = search.toLowerCase();
    const dags = page.items.filter(
      (d) =>
        (owner === undefined || d.owners.some((o) => o.toLowerCase() === owner)) &&
        (tag === undefined || d.tags.some((t) => t.name.toLowerCase() === tag)) &&
        (query.paused === undefined || d.is_paused === query.paused) &&
        (needle.length === 0 || d.dag_id.toLowerCase().includes(needle)),
    );
    const importErrors = dags.some((d) => d.has_import_errors) ? await this.importErrors() : [];
    return dags.map((dag) => this.pipelineOf(dag, importErrors));
  }

  async getPipeline(pipelineId: string): Promise<Pipeline> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dag = await this.client.get(`/dags/${seg(dagId)}`, {}, DagSchema, this.dagNotFound(dagId));
    const importErrors = dag.has_import_errors ? await this.importErrors() : [];
    return this.pipelineOf(dag, importErrors);
  }

  async latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>> {
    const ids = [...new Set(pipelineIds)].map((id) => assertSafeId(id, 'pipeline_id'));
    const latest = await mapWithConcurrency(ids, this.concurrency, async (dagId) => {
      try {
        const page = await this.client.get(
          `/dags/${seg(dagId)}/dagRuns`,
          { order_by: '-run_after', limit: 1 },
          DagRunCollectionSchema,
          this.dagNotFound(dagId),
        );
        return page.dag_runs[0] ?? null;
      } catch (error) {
        if (isMonitorError(error) && error.kind === 'not_found') return null; // unknown DAG: absent, like "never ran"
        throw error;
      }
    });
    const result = new Map<string, PipelineRun>();
    ids.forEach((dagId, i) => {
      const run = latest[i];
      if (run) result.set(dagId, toPipelineRun(this.ctx, run));
    });
    return result;
  }

  async listRuns(query: RunQueryWithFailures): Promise<RunList> {
    const dagId = query.pipelineId === undefined ? undefined : assertSafeId(query.pipelineId, 'pipeline_id');
    if (!Number.isFinite(query.limit))
      throw new MonitorError('invalid_input', 'limit must be a positive number.');
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), this.maxRuns);
    let states: string[] | undefined;
    if (query.statuses && query.statuses.length > 0) {
      states = dagRunStatesFor(query.statuses);
      // Statuses with no DagRun state (cancelled, unknown): nothing on the server can match.
      if (states.length === 0) return { runs: [], total: 0, truncated: false };
    }
    const page = await this.client.paginate(
      dagId === undefined ? '/dags/~/dagRuns' : `/dags/${seg(dagId)}/dagRuns`,
      {
        state: states,
        end_date_gte: isoDate(query.finishedAfter, 'finishedAfter'),
        run_after_gte: isoDate(query.startedAfter, 'startedAfter'),
        order_by: query.orderBy === 'finished_at' ? '-end_date' : '-run_after',
      },
      DagRunCollectionSchema,
      (p) => p.dag_runs,
      {
        maxItems: limit,
        maxPages: this.maxPages,
        notFound: dagId === undefined ? undefined : this.dagNotFound(dagId),
        key: (r) => `${r.dag_id}\u0000${r.dag_run_id}`,
        accept: finishedAtOrAfter(query.finishedAfter),
      },
    );
    let runs = page.items.map((run) => toPipelineRun(this.ctx, run));
    if (query.includeFailedTasks) runs = await this.withFailedTasks(page.items, runs);
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
    const native = await this.client.get(
      `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}`,
      {},
      DagRunSchema,
      this.runNotFound(dagId, dagRunId),
    );
    const run = toPipelineRun(this.ctx, native);
    if (run.status !== 'failed') return run;
    const failed = await this.taskInstances(dagId, dagRunId, ['failed']);
    const summary = summarizeFailure(failed.filter((ti) => isFailedTaskState(ti.state)));
    return { ...run, failed_tasks: summary.failed_tasks, error_message: summary.error_message };
  }

  async listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const dagRunId = assertSafeId(runId, 'run_id');
    const tis = await this.taskInstances(dagId, dagRunId);
    return tis.map(toTaskRun);
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
        {
          orchestrator: this.name,
        },
      );
    }
    const maxBytes = Math.min(Math.max(1, Math.floor(request.maxBytes)), MAX_LOG_BYTES);
    const path = `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}/taskInstances/${seg(taskId)}/logs/${request.tryNumber}`;
    const notFound: NotFound = {
      message: `no log for task ${taskId}${mapIndex >= 0 ? `[${mapIndex}]` : ''} try ${request.tryNumber} of run ${dagRunId} of DAG ${dagId}.`,
      hint: 'list the run’s task runs to find task ids, map indexes and try numbers',
    };
    const result = await readLogTail(
      (token) =>
        this.client.get(
          path,
          { map_index: mapIndex, full_content: true, token: token ?? undefined },
          TaskLogResponseSchema,
          notFound,
          { accept: 'application/json' },
        ),
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

  async triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun> {
    const dagId = assertSafeId(pipelineId, 'pipeline_id');
    const runId = request.runId === undefined ? undefined : assertSafeId(request.runId, 'run_id');
    if (typeof request.conf !== 'object' || request.conf === null || Array.isArray(request.conf)) {
      throw new MonitorError('invalid_input', 'conf must be a JSON object.', { orchestrator: this.name });
    }
    const body: Record<string, unknown> = { logical_date: null, conf: request.conf };
    if (runId !== undefined) body.dag_run_id = runId;
    if (request.note !== undefined) body.note = request.note;
    // Never retried: a repeated POST could create a second run.
    const spec = {
      method: 'POST' as const,
      path: `${API_PREFIX}/dags/${seg(dagId)}/dagRuns`,
      json: body,
      retry: false,
    };
    const response = await this.client.call(spec);
    if (response.status === 200 || response.status === 201) {
      return toPipelineRun(this.ctx, this.client.http.parse(spec, response, DagRunSchema));
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

  async close(): Promise<void> {
    await this.client.close();
  }

  private pipelineOf(dag: AirflowDag, importErrors: readonly AirflowImportError[]): Pipeline {
    let broken: { error: string } | null = null;
    if (dag.has_import_errors) {
      const match = importErrors.find((e) => importErrorMatchesDag(e, dag));
      if (match) broken = { error: summarizeImportError(match) };
    }
    return toPipeline(this.ctx, dag, broken);
  }

  /**
   * DAG ids with a run in one of the states that finished at or after `finishedAfter`: one cross-DAG
   * listing, so the requests grow with the matching runs, not with the DAGs.
   */
  /** All import errors; a server that refuses them degrades to the generic "broken" message. */
  private async importErrors(): Promise<AirflowImportError[]> {
    try {
      const page = await this.client.paginate(
        '/importErrors',
        {},
        ImportErrorCollectionSchema,
        (p) => p.import_errors,
        { maxPages: 20, key: (e) => String(e.import_error_id) },
      );
      return page.items;
    } catch (error) {
      if (isMonitorError(error) && (error.kind === 'auth' || error.kind === 'upstream_error')) return [];
      throw error;
    }
  }

  /**
   * Fills failed_tasks / error_message of the failed runs with one cross-run task-instance listing:
   * failed TIs of every run whose run_after lies between the earliest and latest of these runs, matched
   * back by (dag_id, run_id). Requests grow with the failed task instances in that window, not with the
   * DAGs. Runs it could not cover (page bound) get one request each.
   */
  private async withFailedTasks(
    natives: readonly AirflowDagRun[],
    runs: PipelineRun[],
  ): Promise<PipelineRun[]> {
    const keyOf = (dagId: string | null | undefined, runId: string | null | undefined) =>
      `${dagId}\u0000${runId}`;
    const failed = natives.filter((r) => mapDagRunState(r.state) === 'failed');
    if (failed.length === 0) return runs;
    const wanted = new Set(failed.map((r) => keyOf(r.dag_id, r.dag_run_id)));
    const byRun = new Map<string, AirflowTaskInstance[]>();
    let earliest = failed[0] as AirflowDagRun;
    let latest = earliest;
    for (const run of failed) {
      if (Date.parse(run.run_after) < Date.parse(earliest.run_after)) earliest = run;
      if (Date.parse(run.run_after) > Date.parse(latest.run_after)) latest = run;
    }
    let covered = false;
    if (Number.isFinite(Date.parse(earliest.run_after)) && Number.isFinite(Date.parse(latest.run_after))) {
      const page = await this.client.paginate(
        '/dags/~/dagRuns/~/taskInstances',
        // The servers' own strings: re-formatting would drop microseconds and miss the bounds.
        { state: ['failed'], run_after_gte: earliest.run_after, run_after_lte: latest.run_after },
        TaskInstanceCollectionSchema,
        (p) => p.task_instances,
        {
          maxPages: Math.min(this.maxPages, 20),
          key: (ti) => `${ti.dag_id}\u0000${ti.dag_run_id}\u0000${ti.task_id}\u0000${ti.map_index}`,
        },
      );
      for (const ti of page.items) {
        const key = keyOf(ti.dag_id, ti.dag_run_id);
        if (!wanted.has(key)) continue;
        const list = byRun.get(key) ?? [];
        list.push(ti);
        byRun.set(key, list);
      }
      covered = page.exhausted;
    }
    const missing = covered ? [] : failed.filter((r) => !byRun.has(keyOf(r.dag_id, r.dag_run_id)));
    await mapWithConcurrency(missing, this.concurrency, async (run) => {
      const tis = await this.taskInstances(run.dag_id, run.dag_run_id, ['failed']);
      byRun.set(keyOf(run.dag_id, run.dag_run_id), tis);
    });
    return runs.map((run) => {
      if (run.status !== 'failed') return run;
      const tis = (byRun.get(keyOf(run.pipeline_id, run.run_id)) ?? []).filter((ti) =>
        isFailedTaskState(ti.state),
      );
      return { ...run, ...summarizeFailure(tis) };
    });
  }

  /** Every task instance of a run (all pages; one entry per map index), optionally only some states. */
  private async taskInstances(
    dagId: string,
    dagRunId: string,
    states?: string[],
  ): Promise<AirflowTaskInstance[]> {
    const page = await this.client.paginate(
      `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}/taskInstances`,
      { state: states },
      TaskInstanceCollectionSchema,
      (p) => p.task_instances,
      {
        maxPages: this.maxPages,
        notFound: this.runNotFound(dagId, dagRunId),
        key: (ti) => `${ti.task_id}\u0000${ti.map_index}`,
      },
    );
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

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Only runs that have finished, at or after the instant (when one is given). */
function finishedAtOrAfter(instant: Date | undefined): ((run: AirflowDagRun) => boolean) | undefined {
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
