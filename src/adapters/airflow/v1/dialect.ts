import {
  seg,
  type AirflowDialect,
  type FailedTaskPlan,
  type ListRequest,
  type RunListFilter,
} from '../dialect.js';
import { V1_STATUS } from '../mapping.js';
import type { RunRecord } from '../records.js';
import { problemDetail } from './problem.js';
import {
  V1DagPageSchema,
  V1DagRecordSchema,
  V1ImportErrorPageSchema,
  V1LogChunkSchema,
  V1RunPageSchema,
  V1RunRecordSchema,
  V1TaskInstancePageSchema,
  V1ClearedTaskInstancesSchema,
} from './schemas.js';

/** Airflow 2's stable REST API (/api/v1, as of 2.10). */

export const V1_PREFIX = '/api/v1';
const P = V1_PREFIX;

/** Runs per failed-task-instance batch request (ListTaskInstanceForm has no paging: keep answers small). */
export const V1_TI_BATCH_RUNS = 50;

function runOrder(orderBy: RunListFilter['orderBy']): string {
  return orderBy === 'finished_at' ? '-end_date' : '-execution_date';
}

export const v1Dialect: AirflowDialect = {
  version: 'v1',
  prefix: P,
  status: V1_STATUS,
  passwordAuth: 'basic',
  // GET /dags has only tags, paused, dag_id_pattern and only_active: owners, latest-run state and recent
  // runs are worked out by the adapter.
  dagFilters: { owners: false, lastRunState: false, hadRun: false },
  // GET …/dagRuns and …/taskInstances answer an empty list for an unknown DAG or run.
  emptyForUnknown: true,

  links(baseUrl) {
    // The Airflow 2 UI's grid view.
    const dag = (dagId: string) => `${baseUrl}/dags/${seg(dagId)}/grid`;
    return { dag, run: (dagId, runId) => `${dag(dagId)}?dag_run_id=${seg(runId)}` };
  },

  errorDetail: problemDetail,

  listDags(f) {
    return {
      method: 'GET',
      path: `${P}/dags`,
      query: {
        only_active: true,
        tags: f.tag,
        paused: f.paused,
        dag_id_pattern: f.pattern,
        order_by: 'dag_id',
      },
      paging: 'query',
      schema: V1DagPageSchema,
    };
  },

  getDag(dagId) {
    return { method: 'GET', path: `${P}/dags/${seg(dagId)}`, schema: V1DagRecordSchema };
  },

  listRuns(f): ListRequest<RunRecord> {
    if (f.dagId !== undefined && f.dagIds === undefined) {
      return {
        method: 'GET',
        path: `${P}/dags/${seg(f.dagId)}/dagRuns`,
        query: {
          state: f.states,
          end_date_gte: f.finishedAfter,
          execution_date_gte: f.startedAfter,
          order_by: runOrder(f.orderBy),
        },
        paging: 'query',
        schema: V1RunPageSchema,
      };
    }
    // Across DAGs: ListDagRunsForm (POST, page_limit/page_offset in the body).
    return {
      method: 'POST',
      path: `${P}/dags/~/dagRuns/list`,
      body: {
        dag_ids: f.dagIds ? [...f.dagIds] : undefined,
        states: f.states ? [...f.states] : undefined,
        end_date_gte: f.finishedAfter,
        execution_date_gte: f.startedAfter,
        order_by: runOrder(f.orderBy),
      },
      paging: 'body',
      schema: V1RunPageSchema,
    };
  },

  getRun(dagId, runId) {
    return {
      method: 'GET',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
      schema: V1RunRecordSchema,
    };
  },

  taskInstances(dagId, runId, states) {
    return {
      method: 'GET',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}/taskInstances`,
      query: { state: states },
      paging: 'query',
      schema: V1TaskInstancePageSchema,
    };
  },

  /** ListTaskInstanceForm by dag_ids + dag_run_ids, a bounded number of runs per request. */
  failedTaskInstances(runs): FailedTaskPlan[] {
    const plans: FailedTaskPlan[] = [];
    for (let i = 0; i < runs.length; i += V1_TI_BATCH_RUNS) {
      const chunk = runs.slice(i, i + V1_TI_BATCH_RUNS);
      plans.push({
        request: {
          method: 'POST',
          path: `${P}/dags/~/dagRuns/~/taskInstances/list`,
          body: {
            dag_ids: [...new Set(chunk.map((r) => r.dag_id))],
            dag_run_ids: [...new Set(chunk.map((r) => r.dag_run_id))],
            state: ['failed'],
          },
          paging: 'none',
          schema: V1TaskInstancePageSchema,
        },
        runs: chunk,
      });
    }
    return plans;
  },

  importErrors() {
    return { method: 'GET', path: `${P}/importErrors`, paging: 'query', schema: V1ImportErrorPageSchema };
  },

  /**
   * JSON (text/plain would be one unbounded body), without full_content: that makes Airflow 2 answer
   * everything from the position on at once, where chunks let the adapter keep a bounded tail.
   */
  log(spec) {
    return {
      method: 'GET',
      path: `${P}/dags/${seg(spec.dagId)}/dagRuns/${seg(spec.runId)}/taskInstances/${seg(spec.taskId)}/logs/${spec.tryNumber}`,
      query: { map_index: spec.mapIndex, token: spec.token ?? undefined },
      headers: { accept: 'application/json' },
      schema: V1LogChunkSchema,
    };
  },

  clearFailedTasks(dagId, runId) {
    // dry_run defaults to true: without dry_run false nothing is cleared. (v1's dagRuns/{id}/clear would
    // clear every task of the run.)
    return {
      method: 'POST',
      path: `${P}/dags/${seg(dagId)}/clearTaskInstances`,
      json: { dag_run_id: runId, only_failed: true, dry_run: false, reset_dag_runs: true },
      schema: V1ClearedTaskInstancesSchema,
    };
  },

  markRunFailed(dagId, runId) {
    return {
      method: 'PATCH',
      path: `${P}/dags/${seg(dagId)}/dagRuns/${seg(runId)}`,
      json: { state: 'failed' },
      schema: V1RunRecordSchema,
    };
  },

  trigger(dagId, spec) {
    // No logical_date: Airflow 2 then uses "now".
    const body: Record<string, unknown> = { conf: spec.conf };
    if (spec.runId !== undefined) body.dag_run_id = spec.runId;
    if (spec.note !== undefined) body.note = spec.note;
    return {
      method: 'POST',
      path: `${P}/dags/${seg(dagId)}/dagRuns`,
      json: body,
      schema: V1RunRecordSchema,
    };
  },
};
