import type { Hono } from 'hono';
import type { WorldRun } from '../../../world/index.js';
import { pythonIsoTime } from '../../../world/index.js';
import type { EmulatorContext, Env } from '../../context.js';
import { pageOfRuns } from '../../run-filter.js';
import type { RunFilter, RunOrdering } from '../../run-filter.js';
import type { TimeRange } from '../../params.js';
import { authorizeV1 } from '../auth.js';
import { checkBodySchema, marshmallowLoad, readJsonBody } from '../body.js';
import type { FieldKind, PropSchema } from '../body.js';
import { alreadyExists, badRequest, notFound } from '../errors.js';
import { parsePendulum } from '../params.js';
import { pyRepr } from '../python.js';
import { checkFields, pick, queryV1 } from '../query.js';
import { DAG_RUN_FIELDS, dagRunV1, executionDate, jsonV1 } from '../serializers.js';

/**
 * Airflow 2's `apply_sorting`: one `order_by` among a fixed list, as raw SQL `ORDER BY x [DESC]` (on
 * PostgreSQL: nulls last ascending, first descending). `execution_date` of a run without a logical date
 * is its run_after, as everywhere in v1.
 */
export const V1_RUN_ORDERING: RunOrdering = {
  spec: {
    attrs: {
      id: (r) => r.id,
      state: (r) => r.state,
      dag_id: (r) => r.dag_id,
      execution_date: executionDate,
      run_id: (r) => r.run_id,
      start_date: (r) => r.start_date,
      end_date: (r) => r.end_date,
      updated_at: (r) => r.updated_at,
      external_trigger: (r) => (r.run_type === 'manual' ? 1 : 0),
      conf: (r) => JSON.stringify(r.conf),
    },
    aliases: { dag_run_id: 'run_id' },
    primaryKey: (r) => r.id,
  },
  options: { nulls: 'postgres' },
  presorted: { id: 'id' },
};

/** The v1 range filters of runs: plain SQL comparisons, so a run without an end date never matches end_date_*. */
const RUN_FIELDS: Record<string, (r: WorldRun) => number | null> = {
  execution_date: executionDate,
  start_date: (r) => r.start_date,
  end_date: (r) => r.end_date,
  updated_at: (r) => r.updated_at,
};

function runFilter(
  states: readonly string[] | null,
  ranges: [string, TimeRange][],
  dagIds: Set<string> | null,
): RunFilter {
  return {
    dagIds,
    states: states && states.length > 0 ? states : null,
    runTypes: null,
    ranges: ranges.map(([field, range]) => ({
      value: RUN_FIELDS[field] as (r: WorldRun) => number | null,
      range,
    })),
    predicates: [],
  };
}

const DATE_FIELDS = ['execution_date', 'start_date', 'end_date'] as const;

/** ListDagRunsForm (the OpenAPI schema connexion checks) and DagRunsBatchFormSchema (what the view loads). */
const LIST_FORM: Record<string, PropSchema> = {
  order_by: { type: 'string' },
  page_offset: { type: 'integer', minimum: 0 },
  page_limit: { type: 'integer', minimum: 1 },
  dag_ids: { type: 'array', items: { type: 'string' } },
  states: { type: 'array', items: { type: 'string' } },
  ...Object.fromEntries(
    DATE_FIELDS.flatMap((f) => [`${f}_gte`, `${f}_lte`]).map((k) => [k, { type: 'string' }]),
  ),
};
const LIST_FIELDS: Record<string, FieldKind> = {
  order_by: 'str',
  page_offset: 'int',
  page_limit: 'int',
  dag_ids: 'list',
  states: 'list',
  ...Object.fromEntries(
    DATE_FIELDS.flatMap((f) => [`${f}_gte`, `${f}_lte`]).map((k) => [k, 'datetime' as const]),
  ),
};

/** The DAGRun schema as a request body: connexion rejects read-only properties, marshmallow unknown ones. */
const READ_ONLY: PropSchema = { type: 'string', readOnly: true };
const DAG_RUN_BODY: Record<string, PropSchema> = {
  conf: { type: 'object' },
  dag_id: READ_ONLY,
  dag_run_id: { type: 'string', nullable: true },
  data_interval_end: { type: 'string', nullable: true },
  data_interval_start: { type: 'string', nullable: true },
  end_date: READ_ONLY,
  execution_date: { type: 'string', nullable: true },
  external_trigger: READ_ONLY,
  last_scheduling_decision: READ_ONLY,
  logical_date: { type: 'string', nullable: true },
  note: { type: 'string', nullable: true },
  run_type: READ_ONLY,
  start_date: READ_ONLY,
  state: READ_ONLY,
};
const DAG_RUN_LOAD: Record<string, FieldKind> = {
  dag_run_id: 'str',
  logical_date: 'datetime',
  conf: 'dict',
  note: 'str',
  data_interval_start: 'datetime',
  data_interval_end: 'datetime',
};

export function dagRunRoutesV1(app: Hono<Env>, ctx: EmulatorContext): void {
  const { world } = ctx;
  const collection = (runs: readonly WorldRun[], total: number) => ({
    dag_runs: runs.map(dagRunV1),
    total_entries: total,
  });

  // No 404 for an unknown DAG: Airflow 2 filters by dag_id and answers an empty list.
  app.get('/api/v1/dags/:dag_id/dagRuns', (c) => {
    const q = queryV1(c, [
      'limit',
      'offset',
      ...DATE_FIELDS.flatMap((f) => [`${f}_gte`, `${f}_lte`]),
      'updated_at_gte',
      'updated_at_lte',
      'state',
      'order_by',
      'fields',
    ]);
    const limit = q.limit(ctx.maximumPageLimit, ctx.fallbackPageLimit);
    const offset = q.offset();
    const ranges: [string, TimeRange][] = [...DATE_FIELDS, 'updated_at'].map((f) => [f, q.range(f)]);
    const states = q.list('state');
    const order = q.string('order_by') ?? 'id';
    const fields = q.list('fields');
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    checkFields(fields, DAG_RUN_FIELDS, 'DAGRunSchema', true, 'DAGRunCollectionSchema error');
    const dagId = c.req.param('dag_id');
    const filter = runFilter(states, ranges, null);
    const { runs, total } = pageOfRuns(
      world,
      dagId === '~' ? null : dagId,
      filter,
      [order],
      offset,
      limit,
      V1_RUN_ORDERING,
    );
    if (fields.length > 0) return jsonV1({ dag_runs: runs.map((r) => pick(dagRunV1(r), fields)) });
    return jsonV1(collection(runs, total));
  });

  // page_limit is not capped at maximum_page_limit here (only GET lists go through check_limit).
  app.post('/api/v1/dags/~/dagRuns/list', async (c) => {
    queryV1(c, []).done();
    const raw = checkBodySchema(await readJsonBody(c), LIST_FORM);
    authorizeV1(ctx, c, 'read');
    const body = marshmallowLoad(raw, LIST_FIELDS);
    const num = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : null);
    const ranges: [string, TimeRange][] = DATE_FIELDS.map((f) => [
      f,
      { gte: num(`${f}_gte`), gt: null, lte: num(`${f}_lte`), lt: null },
    ]);
    const dagIds =
      Array.isArray(body.dag_ids) && body.dag_ids.length > 0 ? new Set(body.dag_ids as string[]) : null;
    const states = Array.isArray(body.states) ? (body.states as string[]) : null;
    const order = typeof body.order_by === 'string' ? body.order_by : 'id';
    const limit = num('page_limit') ?? 100;
    const offset = num('page_offset') ?? 0;
    const { runs, total } = pageOfRuns(
      world,
      null,
      runFilter(states, ranges, dagIds),
      [order],
      offset,
      limit,
      V1_RUN_ORDERING,
    );
    return jsonV1(collection(runs, total));
  });

  app.get('/api/v1/dags/:dag_id/dagRuns/:dag_run_id', (c) => {
    const q = queryV1(c, ['fields']);
    const fields = q.list('fields');
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    checkFields(fields, DAG_RUN_FIELDS, 'DAGRunSchema', false, 'DAGRunSchema error');
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const run = world.run(dagId, runId);
    if (!run) {
      throw notFound(
        'DAGRun not found',
        `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`,
      );
    }
    return jsonV1(fields.length > 0 ? pick(dagRunV1(run), fields) : dagRunV1(run));
  });

  /**
   * `POST /dags/{dag_id}/dagRuns`: a queued manual run keyed by its logical date (now when not given, and
   * then `manual__<isoformat>` as its id). A paused DAG accepts it; the emulator never runs it.
   */
  app.post('/api/v1/dags/:dag_id/dagRuns', async (c) => {
    queryV1(c, []).done();
    const raw = checkBodySchema(await readJsonBody(c), DAG_RUN_BODY);
    const user = authorizeV1(ctx, c, 'write');
    const dagId = c.req.param('dag_id');
    const dag = world.dag(dagId);
    if (!dag || dag.stale) throw notFound('DAG not found', `DAG with dag_id: '${dagId}' not found`);
    if (dag.import_error !== undefined) {
      throw badRequest(`DAG with dag_id: '${dagId}' has import errors`, 'DAG cannot be triggered');
    }
    // DAGRunSchema.autogenerate (pre_load).
    const data: Record<string, unknown> = { ...raw };
    const hasLogical = 'logical_date' in data;
    const hasExecution = 'execution_date' in data;
    const execution = data.execution_date;
    delete data.execution_date;
    if (!hasLogical && !hasExecution) data.logical_date = pythonIsoTime(world.now()).replace('T', ' ');
    else if (!hasLogical) data.logical_date = execution;
    else if (hasExecution && data.logical_date !== execution) {
      throw badRequest(
        `${pyRepr(data.logical_date)} != ${pyRepr(execution)}`,
        'logical_date conflicts with execution_date',
      );
    }
    if (!('dag_run_id' in data)) {
      if (typeof data.logical_date !== 'string') {
        throw badRequest(
          "expected string or bytes-like object, got 'NoneType'",
          'Incorrect datetime argument',
        );
      }
      const parsed = parsePendulum(data.logical_date);
      if (typeof parsed !== 'number') throw parsed;
      data.dag_run_id = `manual__${pythonIsoTime(parsed)}`;
    }
    const body = marshmallowLoad(data, DAG_RUN_LOAD, {
      nullable: ['note', 'data_interval_start', 'data_interval_end'],
    });
    const logical = body.logical_date as number;
    const runId = body.dag_run_id as string;
    const existing = world.runsOf(dagId).find((r) => r.run_id === runId || executionDate(r) === logical);
    if (existing) {
      if (executionDate(existing) === logical) {
        throw alreadyExists(
          `DAGRun with DAG ID: '${dagId}' and DAGRun logical date: '${pythonIsoTime(logical).replace('T', ' ')}' already exists`,
        );
      }
      throw alreadyExists(`DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`);
    }
    const now = world.now();
    const interval = (k: string) => (typeof body[k] === 'number' ? (body[k] as number) : null);
    const [start, end] = [interval('data_interval_start'), interval('data_interval_end')];
    const run = world.addRun({
      dag_id: dagId,
      run_id: runId,
      run_type: 'manual',
      state: 'queued',
      logical_date: logical,
      run_after: logical,
      queued_at: now,
      start_date: null,
      end_date: null,
      data_interval_start: start !== null && end !== null ? start : logical,
      data_interval_end: start !== null && end !== null ? end : logical,
      updated_at: now,
      conf: (body.conf as Record<string, unknown> | undefined) ?? {},
      note: typeof body.note === 'string' && body.note !== '' ? body.note : null,
      triggered_by: 'rest_api',
      triggering_user_name: user,
      failure: null,
      running_task: null,
    });
    return jsonV1(dagRunV1(run));
  });
}
