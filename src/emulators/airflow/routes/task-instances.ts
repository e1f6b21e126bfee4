import type { Hono, MiddlewareHandler } from 'hono';
import type { WorldRun, WorldTask } from '../../world/index.js';
import type { EmulatorContext, Env } from '../context.js';
import { orderBy, pagination, queryOf, TI_STATES } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import { searchMatcher } from '../like.js';
import { comparatorFor, page } from '../ordering.js';
import type { SortSpec } from '../ordering.js';
import { inRange } from '../params.js';
import type { TimeRange } from '../params.js';
import { durationSeconds, taskInstanceResponse } from '../serializers.js';
import { dagNotFound } from './dags.js';

interface Row {
  ti: WorldTask;
  run: WorldRun;
}

const TI_SORT: SortSpec<Row> = {
  attrs: {
    id: (r) => r.ti.id,
    state: (r) => r.ti.state,
    duration: (r) => durationSeconds(r.ti.start_date, r.ti.end_date),
    start_date: (r) => r.ti.start_date,
    end_date: (r) => r.ti.end_date,
    map_index: (r) => r.ti.map_index,
    try_number: (r) => r.ti.try_number,
    logical_date: (r) => r.run.logical_date,
    run_after: (r) => r.run.run_after,
    data_interval_start: (r) => r.run.data_interval_start,
    data_interval_end: (r) => r.run.data_interval_end,
    rendered_map_index: () => null,
    operator: (r) => r.ti.operator,
  },
  primaryKey: (r) => r.ti.id,
};

/** `state=` values for task instances; `none` / `no_status` mean "no state yet". */
function tiStates(values: readonly string[]): (string | null)[] | null {
  if (values.length === 0) return null;
  if (
    values.some((v) => !['none', 'no_status'].includes(v) && !(TI_STATES as readonly string[]).includes(v))
  ) {
    throw new HttpError(422, `Invalid value for state. Valid values are ${TI_STATES.join(', ')}`);
  }
  return values.map((v) => (v === 'none' || v === 'no_status' ? null : v));
}

/** `GET /dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances` (either may be `~`); mapped instances once per map_index. */
export function taskInstanceRoutes(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;
  app.get('/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances', auth, (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const q = queryOf(c);
    const { limit, offset } = pagination(q, ctx.maximumPageLimit);
    const taskId = q.string('task_id');
    const ranges: [string, TimeRange][] = [
      'start_date',
      'end_date',
      'updated_at',
      'logical_date',
      'run_after',
    ].map((f) => [f, q.range(f)]);
    const duration = q.numberRange('duration');
    const states = tiStates(q.list('state'));
    const [pools, queues, operators] = [q.list('pool'), q.list('queue'), q.list('operator')];
    const [mapIndexes, tries] = [q.intList('map_index'), q.intList('try_number')];
    const patterns = ['dag_id_pattern', 'run_id_pattern', 'task_display_name_pattern'].map((p) =>
      q.string(p),
    );
    const order = orderBy(q, 'map_index');
    q.done();
    if (dagId !== '~' && !world.dag(dagId)) throw dagNotFound(dagId);
    let runs: readonly WorldRun[];
    if (runId === '~') {
      runs = dagId === '~' ? world.runs : world.runsOf(dagId);
    } else {
      const run = dagId === '~' ? world.runs.find((r) => r.run_id === runId) : world.run(dagId, runId);
      // Airflow looks the run up by run_id alone: a run id of another DAG gives an empty list, not a 404.
      if (!run && !world.runs.some((r) => r.run_id === runId))
        throw notFound(`DagRun with run_id: \`${runId}\` was not found`);
      runs = dagId === '~' ? world.runs.filter((r) => r.run_id === runId) : run ? [run] : [];
    }
    const now = world.now();
    const [dagP, runP, taskP] = patterns.map((p) => (p === null ? null : searchMatcher(p)));
    const value: Record<string, (r: Row) => number | null> = {
      start_date: (r) => r.ti.start_date ?? now,
      end_date: (r) => r.ti.end_date ?? now,
      updated_at: (r) => r.ti.updated_at,
      logical_date: (r) => r.run.logical_date,
      run_after: (r) => r.run.run_after,
    };
    const keep = (r: Row): boolean =>
      (taskId === null || r.ti.task_id === taskId) &&
      (!states || states.includes(r.ti.state)) &&
      (pools.length === 0 || pools.includes(r.ti.pool)) &&
      (queues.length === 0 || queues.includes(r.ti.queue)) &&
      (operators.length === 0 || operators.includes(r.ti.operator)) &&
      (mapIndexes.length === 0 || mapIndexes.includes(r.ti.map_index)) &&
      (tries.length === 0 || tries.includes(r.ti.try_number)) &&
      (!dagP || dagP(r.ti.dag_id)) &&
      (!runP || runP(r.ti.run_id)) &&
      (!taskP || taskP(r.ti.task_id)) &&
      ranges.every(([f, range]) => inRange((value[f] as (r: Row) => number | null)(r), range)) &&
      inRange(durationSeconds(r.ti.start_date, r.ti.end_date), duration);
    const rows: Row[] = [];
    for (const run of runs) for (const ti of world.tasks(run)) if (keep({ ti, run })) rows.push({ ti, run });
    const compare = comparatorFor(order, TI_SORT);
    const task_instances = page(rows, compare, offset, limit).map((r) =>
      taskInstanceResponse(r.ti, r.run, world.dag(r.ti.dag_id)),
    );
    return c.json({ task_instances, total_entries: rows.length });
  });
}
