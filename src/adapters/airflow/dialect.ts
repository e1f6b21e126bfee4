import type { z } from 'zod';
import type { HttpMethod, QueryValue } from '../http/index.js';
import type { StatusMapper, UiLinks } from './mapping.js';
import type { DagRecord, ImportErrorRecord, LogChunk, RunRecord, TaskInstanceRecord } from './records.js';

/**
 * The one internal interface behind which the two Airflow REST APIs differ. A dialect only describes
 * requests (paths, query names, bodies) and how to read their answers into records; it performs no I/O.
 * Everything else (pagination, bounds, fan-out, failure sweep, log tail, trigger answers) is shared in
 * AirflowAdapter and AirflowClient.
 */

export type ApiVersion = 'v1' | 'v2';

/** One page of a listing, already read into records. */
export interface PageOf<T> {
  items: T[];
  total: number;
}

/** A request answered by one entity. */
export interface ItemRequest<T> {
  method: HttpMethod;
  /** Full path below the base URL (API prefix included), segments encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  headers?: Record<string, string>;
  schema: z.ZodType<T>;
}

/**
 * A listing. `paging` says where the page window goes: `query` (limit/offset), `body`
 * (page_limit/page_offset of a POST batch endpoint) or `none` (the endpoint has no paging: one request).
 */
export interface ListRequest<T> {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  body?: Record<string, unknown>;
  paging: 'query' | 'body' | 'none';
  schema: z.ZodType<PageOf<T>>;
}

export interface DagListFilter {
  owner?: string;
  tag?: string;
  paused?: boolean;
  /** SQL LIKE pattern on dag_id. */
  pattern?: string;
  /** Only when `filters.lastRunState`. */
  lastRunState?: string;
  /** Only when `filters.hadRun`: DAGs with a run in one of these states that ended at or after the instant. */
  hadRun?: { states: string[]; finishedAfter: string };
}

export interface RunListFilter {
  /** One DAG, or every DAG when absent. */
  dagId?: string;
  /** Only some DAGs (cross-DAG listings only). */
  dagIds?: readonly string[];
  states?: readonly string[];
  /** ISO instants. */
  finishedAfter?: string;
  startedAfter?: string;
  /** Newest first by the end date, or by the run's logical instant (v2 run_after, v1 execution_date). */
  orderBy: 'finished_at' | 'started_at';
}

export interface LogRequestSpec {
  dagId: string;
  runId: string;
  taskId: string;
  tryNumber: number;
  /** -1 for an unmapped task. */
  mapIndex: number;
  token: string | null;
}

/**
 * A whole task log in one streamed answer, one record per line (Airflow 3's NDJSON). Reading it keeps only
 * a bounded tail; servers that do not stream (`accepts` says no to the answer's content type) are read
 * through `log` and continuation tokens instead.
 */
export interface LogStreamRequest {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  headers: Record<string, string>;
  /** Whether an answer of this content type is the stream (and not, say, JSON from a server ignoring Accept). */
  accepts(contentType: string | undefined): boolean;
  /** One line of the stream → its rendered lines (as `log` renders the same records). */
  render(line: string): string[];
}

export interface TriggerSpec {
  conf: Record<string, unknown>;
  runId?: string;
  note?: string;
}

export interface FailedTaskPlan {
  request: ListRequest<TaskInstanceRecord>;
  /** The runs whose failed task instances are all in the listing once it is read to the end. */
  runs: readonly RunRecord[];
}

export interface AirflowDialect {
  readonly version: ApiVersion;
  /** `/api/v1` or `/api/v2`. */
  readonly prefix: string;
  readonly status: StatusMapper;
  /** A configured username/password is exchanged for a JWT (v2) or sent as HTTP Basic on each request (v1). */
  readonly passwordAuth: 'jwt-exchange' | 'basic';
  /** The DAG listing filters the server applies itself; the adapter does the rest. */
  readonly dagFilters: { owners: boolean; lastRunState: boolean; hadRun: boolean };
  /** Per-DAG / per-run listings answer an empty list, not a 404, for an unknown DAG or run. */
  readonly emptyForUnknown: boolean;

  links(baseUrl: string): UiLinks;
  /** A short human message out of an error body. */
  errorDetail(body: string): string | null;

  listDags(filter: DagListFilter): ListRequest<DagRecord>;
  getDag(dagId: string): ItemRequest<DagRecord>;
  listRuns(filter: RunListFilter): ListRequest<RunRecord>;
  getRun(dagId: string, runId: string): ItemRequest<RunRecord>;
  /** Every task instance of one run, optionally only in some states. */
  taskInstances(dagId: string, runId: string, states?: readonly string[]): ListRequest<TaskInstanceRecord>;
  /**
   * Listings that hold the failed task instances of these runs (and possibly of other runs, which the
   * caller drops), each with the runs it covers; runs left out get one listing each from the caller.
   */
  failedTaskInstances(runs: readonly RunRecord[]): FailedTaskPlan[];
  importErrors(): ListRequest<ImportErrorRecord>;
  log(spec: LogRequestSpec): ItemRequest<LogChunk>;
  /** The whole log as one stream, when the API can send it so (Airflow 3); `spec.token` is not used. */
  logStream?(spec: LogRequestSpec): LogStreamRequest;
  /**
   * Clears the failed and upstream_failed task instances of one run (never a dry run) and puts the run back
   * in the queue; the 2xx answer says how many task instances were cleared.
   */
  clearFailedTasks(dagId: string, runId: string): ItemRequest<{ cleared: number }>;
  /** Sets a run's state to failed (Airflow's only way to stop a run); its 2xx answer is the run. */
  markRunFailed(dagId: string, runId: string): ItemRequest<RunRecord>;
  /** The trigger POST (never retried); its 2xx answer is a run. */
  trigger(dagId: string, spec: TriggerSpec): ItemRequest<RunRecord>;
}

/** Encodes one id as a URL path segment. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
