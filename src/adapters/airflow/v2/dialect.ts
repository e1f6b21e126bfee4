import { extractDetail } from '../../http/index.js';
import {
  seg,
  type AirflowDialect,
  type FailedTaskPlan,
  type ListRequest,
  type LogRequestSpec,
  type RunListFilter,
} from '../dialect.js';
import { V2_STATUS } from '../mapping.js';
import type { LogChunk, RunRecord } from '../records.js';
import { renderContent, renderNdjsonLine } from './log-events.js';
import {
  DagPageSchema,
  DagRecordSchema,
  ImportErrorPageSchema,
  RunPageSchema,
  RunRecordSchema,
  TaskInstancePageSchema,
  TaskLogResponseSchema,
  ClearedTaskInstancesSchema,
} from './schemas.js';
import type { z } from 'zod';

/** Airflow 3's public REST API (/api/v2). */

export const V2_PREFIX = '/api/v2';
const P = V2_PREFIX;

const LogChunkSchema: z.ZodType<LogChunk> = TaskLogResponseSchema.transform((r) => ({
  lines: renderContent(r.content),
  continuation_token: r.continuation_token ?? null,
}));

const NDJSON = 'application/x-ndjson';
/** `application/x-ndjson` (Airflow), also the unprefixed `application/ndjson`, with any parameters. */
const NDJSON_TYPE = /^\s*application\/(x-)?ndjson\s*(;|$)/i;

function logPath(spec: LogRequestSpec): string {
  return `${P}/dags/${seg(spec.dagId)}/dagRuns/${seg(spec.runId)}/taskInstances/${seg(spec.taskId)}/logs/${spec.tryNumber}`;
}

function runOrder(orderBy: RunListFilter['orderBy']): string {
  return orderBy === 'finished_at' ? '-end_date' : '-run_after';
}

export const v2Dialect: AirflowDialect = {
  version: 'v2',
  prefix: P,
  status: V2_STATUS,
  passwordAuth: 'jwt-exchange',
  // Airflow 3 filters DAGs by owner, latest run state and (a server-side join on DagRun) recent runs.
  dagFilters: { owners: true, lastRunState: true, hadRun: true },
  emptyForUnknown: false,

  links(baseUrl) {
    const dag = (dagId: string) => `${baseUrl}/dags/${seg(dagId)}`;
    return { dag, run: (dagId, runId) => `${dag(dagId)}/runs/${seg(runId)}` };
  },

  errorDetail: extractDetail,

  listDags(f) {
    return {
      method: 'GET',
      path: `${P}/dags`,
      query: {
        exclude_stale: true,
        owners: f.owner,
        tags: f.tag,
        paused: f.paused,
        dag_id_pattern: f.pattern,
        last_dag_run_state: f.lastRunState,
        dag_run_state: f.hadRun?.states,
        dag_run_end_date_gte: f.hadRun?.finishedAfter,
        order_by: 'dag_id',
      },
      paging: 'query',
      schema: DagPageSchema,
    };
  },

  getDag(dagId) {
    return { method: 'GET', path: `${P}/dags/${seg(dagId)}`, schema: DagRecordSchema };
  },

  listRuns(f): ListRequest<RunRecord> {
    if (f.dagIds !== undefined) {
      // DAGRunsBatchBody: the list of DAG ids goes in a body (no URL length limit); page_limit is not capped.
      return {
        method: 'POST',
        path: `${P}/dags/~/dagRuns/list`,
        body: {
          dag_ids: [...f.dagIds],
          states: f.states ? [...f.states] : undefined,
          end_date_gte: f.finishedAfter,
          run_after_gte: f.startedAfter,
          order_by: runOrder(f.orderBy),
        },
        paging: 'body',
        schema: RunPageSchema,
      };
    }
    return {
      method: 'GET',
      path: `${P}/dags/${f.dagId === undefined ? '~' : seg(f.dagId)}/dagRuns`,
      query: {
        state: f.states,
        end_date_gte: f.finishedAfter,
        run_after_gte: f.startedAfter,
        order_by: runOrder(f.orderBy),
      },
      paging: 'query',
      schema: RunPageSchema,
    };
  },

  getRun(dagId, runId) {
    return {
      method: 'GET',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
      schema: RunRecordSchema,
    };
  },

  taskInstances(dagId, runId, states) {
    return {
      method: 'GET',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances`,
      query: { state: states },
      paging: 'query',
      schema: TaskInstancePageSchema,
    };
  },

  /**
   * One cross-run listing: the failed task instances of every run whose run_after lies between the
   * earliest and the latest of these runs (the servers' own strings: re-formatting would drop microseconds
   * and miss the bounds).
   */
  failedTaskInstances(runs): FailedTaskPlan[] {
    let earliest: RunRecord | undefined;
    let latest: RunRecord | undefined;
    for (const run of runs) {
      const at = run.run_after === null ? Number.NaN : Date.parse(run.run_after);
      if (!Number.isFinite(at)) return [];
      if (earliest === undefined || at < Date.parse(earliest.run_after as string)) earliest = run;
      if (latest === undefined || at > Date.parse(latest.run_after as string)) latest = run;
    }
    if (earliest === undefined || latest === undefined) return [];
    return [
      {
        request: {
          method: 'GET',
          path: `${P}/dags/~/dagRuns/~/taskInstances`,
          query: {
            state: ['failed'],
            run_after_gte: earliest.run_after,
            run_after_lte: latest.run_after,
          },
          paging: 'query',
          schema: TaskInstancePageSchema,
        },
        runs,
      },
    ];
  },

  importErrors() {
    return { method: 'GET', path: `${P}/importErrors`, paging: 'query', schema: ImportErrorPageSchema };
  },

  log(spec) {
    return {
      method: 'GET',
      path: logPath(spec),
      query: { map_index: spec.mapIndex, full_content: true, token: spec.token ?? undefined },
      headers: { accept: 'application/json' },
      schema: LogChunkSchema,
    };
  },

  /**
   * `Accept: application/x-ndjson` with full_content: the whole log in one answer, one structured event per
   * line (a running task's log up to now; its `Airflow-Continuation-Token` header is not followed).
   */
  logStream(spec) {
    return {
      method: 'GET',
      path: logPath(spec),
      query: { map_index: spec.mapIndex, full_content: true },
      headers: { accept: NDJSON },
      accepts: (contentType) => contentType !== undefined && NDJSON_TYPE.test(contentType),
      render: renderNdjsonLine,
    };
  },

  clearFailedTasks(dagId, runId) {
    // dry_run defaults to true: without dry_run false nothing is cleared.
    return {
      method: 'POST',
      path: `${P}/dags/${seg(dagId)}/clearTaskInstances`,
      json: { dag_run_id: runId, only_failed: true, dry_run: false, reset_dag_runs: true },
      schema: ClearedTaskInstancesSchema,
    };
  },

  markRunFailed(dagId, runId) {
    return {
      method: 'PATCH',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
      query: { update_mask: 'state' },
      json: { state: 'failed' },
      schema: RunRecordSchema,
    };
  },

  trigger(dagId, spec) {
    // logical_date is sent explicitly: Airflow 3.0.x requires the key (null = "now").
    const body: Record<string, unknown> = { logical_date: null, conf: spec.conf };
    if (spec.runId !== undefined) body.dag_run_id = spec.runId;
    if (spec.note !== undefined) body.note = spec.note;
    return {
      method: 'POST',
      path: `${P}/dags/${seg(dagId)}/dagRuns`,
      json: body,
      schema: RunRecordSchema,
    };
  },
};
