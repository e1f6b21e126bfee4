import type { Hono } from 'hono';
import type { WorldRun, WorldTask } from '../../../world/index.js';
import type { EmulatorContext, Env } from '../../context.js';
import { TI_STATES } from '../../context.js';
import { comparatorFor, page } from '../../ordering.js';
import type { SortSpec } from '../../ordering.js';
import { inRange, rangeIsSet } from '../../params.js';
import type { TimeRange } from '../../params.js';
import { durationSeconds } from '../../serializers.js';
import { authorizeV1 } from '../auth.js';
import { checkBodySchema, marshmallowLoad, readJsonBody } from '../body.js';
import type { FieldKind, PropSchema } from '../body.js';
import { badRequest } from '../errors.js';
import { queryV1 } from '../query.js';
import { executionDate, jsonV1, taskInstanceV1 } from '../serializers.js';

interface Row {
  ti: WorldTask;
  run: WorldRun;
}

/** Airflow 2.10 orders task instances by map_index only (ties in table order: creation order here). */
const TI_ORDER: SortSpec<Row> = { attrs: { map_index: (r) => r.ti.map_index }, primaryKey: (r) => r.ti.id };

/** The v1 TaskState enum, in the spec's order (connexion prints it in its error). */
const TASK_STATE_ENUM = [
  null,
  'success',
  'running',
  'failed',
  'upstream_failed',
  'skipped',
  'up_for_retry',
  'up_for_reschedule',
  'queued',
  'none',
  'scheduled',
  'deferred',
  'removed',
  'restarting',
] as const;

/** Thrown for what Airflow 2 does not handle (an unknown TI state is a ValueError): the webserver's HTML 500. */
export class UnhandledServerError extends Error {}

/** `_convert_ti_states`: `none` (or null) means no state; any other unknown value is a ValueError. */
function tiStates(values: readonly (string | null)[] | null): (string | null)[] | null {
  if (!values || values.length === 0) return null;
  return values.map((v) => {
    if (v === null || v === 'none') return null;
    if (!(TI_STATES as readonly string[]).includes(v)) {
      throw new UnhandledServerError(`'${v}' is not a valid TaskInstanceState`);
    }
    return v;
  });
}

interface TiFilter {
  dagIds: ReadonlySet<string> | null;
  runIds: ReadonlySet<string> | null;
  taskIds: ReadonlySet<string> | null;
  executionDate: TimeRange;
  startDate: TimeRange;
  endDate: TimeRange;
  updatedAt: TimeRange;
  duration: TimeRange;
  states: (string | null)[] | null;
  pools: readonly string[] | null;
  queues: readonly string[] | null;
  executors: readonly string[] | null;
}

/** Plain SQL filters: a task instance without a start or end date never matches a range on it. */
function selectRows(runs: readonly WorldRun[], f: TiFilter, world: EmulatorContext['world']): Row[] {
  const rows: Row[] = [];
  const byExecution = rangeIsSet(f.executionDate);
  for (const run of runs) {
    if (f.dagIds && !f.dagIds.has(run.dag_id)) continue;
    if (f.runIds && !f.runIds.has(run.run_id)) continue;
    if (byExecution && !inRange(executionDate(run), f.executionDate)) continue;
    for (const ti of world.tasks(run)) {
      if (f.taskIds && !f.taskIds.has(ti.task_id)) continue;
      if (f.states && !f.states.includes(ti.state)) continue;
      if (f.pools && !f.pools.includes(ti.pool)) continue;
      if (f.queues && !f.queues.includes(ti.queue)) continue;
      // Every emulated task runs on the default executor (TI.executor is NULL).
      if (f.executors) continue;
      if (!inRange(ti.start_date, f.startDate) || !inRange(ti.end_date, f.endDate)) continue;
      if (!inRange(ti.updated_at, f.updatedAt)) continue;
      if (!inRange(durationSeconds(ti.start_date, ti.end_date), f.duration)) continue;
      rows.push({ ti, run });
    }
  }
  return rows;
}

const LIST_FORM: Record<string, PropSchema> = {
  dag_ids: { type: 'array', items: { type: 'string' } },
  dag_run_ids: { type: 'array', items: { type: 'string' } },
  duration_gte: { type: 'number' },
  duration_lte: { type: 'number' },
  end_date_gte: { type: 'string' },
  end_date_lte: { type: 'string' },
  execution_date_gte: { type: 'string' },
  execution_date_lte: { type: 'string' },
  executor: { type: 'array', items: { type: 'string' } },
  pool: { type: 'array', items: { type: 'string' } },
  queue: { type: 'array', items: { type: 'string' } },
  start_date_gte: { type: 'string' },
  start_date_lte: { type: 'string' },
  state: { type: 'array', items: { type: 'string', nullable: true, enum: TASK_STATE_ENUM } },
  task_ids: { type: 'array', items: { type: 'string' } },
};

/** TaskInstanceBatchFormSchema: page_offset/page_limit are accepted (and validated) but never applied. */
const LIST_FIELDS: Record<string, FieldKind> = {
  page_offset: 'int',
  page_limit: 'int',
  dag_ids: 'list',
  dag_run_ids: 'list',
  task_ids: 'list',
  execution_date_gte: 'datetime',
  execution_date_lte: 'datetime',
  start_date_gte: 'datetime',
  start_date_lte: 'datetime',
  end_date_gte: 'datetime',
  end_date_lte: 'datetime',
  duration_gte: 'int',
  duration_lte: 'int',
  state: 'list',
  pool: 'list',
  queue: 'list',
  executor: 'list',
};

const NO_RANGE: TimeRange = { gte: null, gt: null, lte: null, lt: null };

export function taskInstanceRoutesV1(app: Hono<Env>, ctx: EmulatorContext): void {
  const { world } = ctx;
  const respond = (rows: readonly Row[], total: number) =>
    jsonV1({ task_instances: rows.map((r) => taskInstanceV1(r.ti, r.run)), total_entries: total });

  /** Either id may be `~`; unknown DAGs and runs give an empty list, not a 404. */
  app.get('/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances', (c) => {
    const q = queryV1(c, [
      'limit',
      'offset',
      ...['execution_date', 'start_date', 'end_date', 'updated_at', 'duration'].flatMap((f) => [
        `${f}_gte`,
        `${f}_lte`,
      ]),
      'state',
      'pool',
      'queue',
      'executor',
    ]);
    const limit = q.limit(ctx.maximumPageLimit, ctx.fallbackPageLimit);
    const offset = q.offset();
    const list = (name: string) => {
      const values = q.list(name);
      return values.length > 0 ? values : null;
    };
    const filter: TiFilter = {
      dagIds: null,
      runIds: null,
      taskIds: null,
      executionDate: q.range('execution_date'),
      startDate: q.range('start_date'),
      endDate: q.range('end_date'),
      updatedAt: q.range('updated_at'),
      duration: q.numberRange('duration'),
      states: null,
      pools: list('pool'),
      queues: list('queue'),
      executors: list('executor'),
    };
    const states = list('state');
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    filter.states = tiStates(states);
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    let runs: readonly WorldRun[];
    if (runId !== '~') {
      const run = dagId === '~' ? null : world.run(dagId, runId);
      runs = run ? [run] : dagId === '~' ? world.runs.filter((r) => r.run_id === runId) : [];
    } else runs = dagId === '~' ? world.runs : world.runsOf(dagId);
    const rows = selectRows(runs, filter, world);
    return respond(page(rows, comparatorFor(['map_index'], TI_ORDER), offset, limit), rows.length);
  });

  /** Not paginated in Airflow 2.10: every matching task instance comes back. */
  app.post('/api/v1/dags/~/dagRuns/~/taskInstances/list', async (c) => {
    queryV1(c, []).done();
    const raw = checkBodySchema(await readJsonBody(c), LIST_FORM);
    authorizeV1(ctx, c, 'read');
    const body = marshmallowLoad(raw, LIST_FIELDS, { nullable: [] });
    for (const [name, min] of [['page_offset', 0] as const, ['page_limit', 1] as const]) {
      const value = body[name];
      if (typeof value === 'number' && value < min) {
        throw badRequest(`{'${name}': ['Must be greater than or equal to ${min}.']}`);
      }
    }
    const set = (k: string) =>
      Array.isArray(body[k]) && (body[k] as unknown[]).length > 0 ? new Set(body[k] as string[]) : null;
    // An empty list filters nothing (SQLAlchemy drops an empty or_()).
    const arr = (k: string) =>
      Array.isArray(body[k]) && (body[k] as unknown[]).length > 0 ? (body[k] as string[]) : null;
    const num = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : null);
    const range = (f: string): TimeRange => ({
      gte: num(`${f}_gte`),
      gt: null,
      lte: num(`${f}_lte`),
      lt: null,
    });
    const dagIds = set('dag_ids');
    const filter: TiFilter = {
      dagIds,
      runIds: set('dag_run_ids'),
      taskIds: set('task_ids'),
      executionDate: range('execution_date'),
      startDate: range('start_date'),
      endDate: range('end_date'),
      updatedAt: NO_RANGE,
      duration: range('duration'),
      states: tiStates(arr('state')),
      pools: arr('pool'),
      queues: arr('queue'),
      executors: arr('executor'),
    };
    let runs: readonly WorldRun[] = world.runs;
    if (dagIds) runs = [...dagIds].flatMap((d) => world.runsOf(d));
    const rows = selectRows(runs, filter, world);
    const sorted = page(rows, comparatorFor(['map_index'], TI_ORDER), 0, rows.length);
    return respond(sorted, rows.length);
  });
}
