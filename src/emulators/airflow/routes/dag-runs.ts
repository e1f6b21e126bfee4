import type { Hono, MiddlewareHandler } from 'hono';
import type { WorldRun } from '../../world/index.js';
import { validateBody, parseJsonBody } from '../body.js';
import type { BodyValue, FieldSpec } from '../body.js';
import type { EmulatorContext, Env } from '../context.js';
import { orderBy, pagination, queryOf, RUN_STATES } from '../context.js';
import { notFound, ValidationFailure } from '../errors.js';
import type { ValidationIssue } from '../errors.js';
import type { TimeRange } from '../params.js';
import { searchMatcher } from '../like.js';
import { pageOfRuns, runDateGetters, runStatesParam, runTypesParam } from '../run-filter.js';
import type { RunFilter } from '../run-filter.js';
import { dagRunResponse } from '../serializers.js';
import { dagNotFound } from './dags.js';
import { triggerRoute } from './trigger.js';

export function runNotFound(dagId: string, runId: string) {
  return notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
}

const RANGE_FIELDS = ['run_after', 'logical_date', 'start_date', 'end_date', 'duration'] as const;

function batchFields(): Record<string, FieldSpec> {
  const fields: Record<string, FieldSpec> = {
    order_by: { type: 'string', nullable: true },
    page_offset: { type: 'integer', min: 0 },
    page_limit: { type: 'integer', min: 0 },
    dag_ids: { type: 'string[]', nullable: true },
    states: { type: 'enum[]', nullable: true, values: RUN_STATES, nullableItems: true },
    conf_contains: { type: 'string', nullable: true },
  };
  for (const field of RANGE_FIELDS) {
    for (const op of ['gte', 'gt', 'lte', 'lt']) {
      fields[`${field}_${op}`] = { type: field === 'duration' ? 'number' : 'datetime', nullable: true };
    }
  }
  return fields;
}

function bodyRange(body: Record<string, BodyValue | undefined>, field: string): TimeRange {
  const n = (op: string) => {
    const v = body[`${field}_${op}`];
    return typeof v === 'number' ? v : null;
  };
  return { gte: n('gte'), gt: n('gt'), lte: n('lte'), lt: n('lt') };
}

export function dagRunRoutes(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;
  const respond = (runs: readonly WorldRun[], total: number) => ({
    dag_runs: runs.map((r) => dagRunResponse(r, world.dag(r.dag_id))),
    total_entries: total,
  });

  app.get('/api/v2/dags/:dag_id/dagRuns', auth, (c) => {
    const dagId = c.req.param('dag_id');
    const q = queryOf(c);
    const { limit, offset } = pagination(q, ctx.maximumPageLimit);
    const ranges = ['run_after', 'logical_date', 'start_date', 'end_date', 'updated_at'].map(
      (f) => [f, q.range(f)] as const,
    );
    const duration = q.numberRange('duration');
    const confContains = q.string('conf_contains');
    const states = runStatesParam(q.list('state'));
    const runTypes = runTypesParam(q.list('run_type'));
    const order = orderBy(q, 'id');
    const patterns = [
      'run_id_pattern',
      'triggering_user_name_pattern',
      'dag_id_pattern',
      'partition_key_pattern',
    ].map((p) => q.string(p));
    q.intList('dag_version');
    q.done();
    if (dagId !== '~' && !world.dag(dagId)) throw dagNotFound(dagId);

    // Like Airflow's GET filters, unfinished runs count as ending (and starting) "now".
    const get = runDateGetters(world.now());
    const [runIdP, userP, dagIdP, partitionP] = patterns.map((p) => (p === null ? null : searchMatcher(p)));
    const predicates: ((r: WorldRun) => boolean)[] = [];
    if (runIdP) predicates.push((r) => runIdP(r.run_id));
    if (userP) predicates.push((r) => r.triggering_user_name !== null && userP(r.triggering_user_name));
    if (dagIdP) predicates.push((r) => dagIdP(r.dag_id));
    if (partitionP) predicates.push(() => false);
    if (confContains !== null) predicates.push((r) => JSON.stringify(r.conf).includes(confContains));
    const filter: RunFilter = {
      dagIds: null,
      states,
      runTypes,
      ranges: [
        ...ranges.map(([f, range]) => ({ value: get[f] as (r: WorldRun) => number | null, range })),
        { value: get.duration as (r: WorldRun) => number | null, range: duration },
      ],
      predicates,
    };
    const { runs, total } = pageOfRuns(world, dagId === '~' ? null : dagId, filter, order, offset, limit);
    return c.json(respond(runs, total));
  });

  app.post('/api/v2/dags/:dag_id/dagRuns/list', auth, async (c) => {
    const dagId = c.req.param('dag_id');
    const issues: ValidationIssue[] =
      dagId === '~'
        ? []
        : [
            {
              type: 'literal_error',
              loc: ['path', 'dag_id'],
              msg: "Input should be '~'",
              input: dagId,
              ctx: { expected: "'~'" },
            },
          ];
    let body: Record<string, BodyValue | undefined> = {};
    try {
      body = validateBody(parseJsonBody(await c.req.text()), batchFields());
    } catch (e) {
      if (!(e instanceof ValidationFailure)) throw e;
      issues.push(...e.issues);
    }
    if (issues.length > 0) throw new ValidationFailure(issues);

    const get = runDateGetters(null);
    const predicates: ((r: WorldRun) => boolean)[] = [];
    const confContains = body.conf_contains;
    if (typeof confContains === 'string')
      predicates.push((r) => JSON.stringify(r.conf).includes(confContains));
    const filter: RunFilter = {
      dagIds: Array.isArray(body.dag_ids) ? new Set(body.dag_ids as string[]) : null,
      states: Array.isArray(body.states) ? (body.states as (string | null)[]) : null,
      runTypes: null,
      ranges: RANGE_FIELDS.map((f) => ({
        value: get[f] as (r: WorldRun) => number | null,
        range: bodyRange(body, f),
      })),
      predicates,
    };
    const order = typeof body.order_by === 'string' ? [body.order_by] : ['id'];
    const limit = typeof body.page_limit === 'number' ? body.page_limit : 100;
    const offset = typeof body.page_offset === 'number' ? body.page_offset : 0;
    const { runs, total } = pageOfRuns(world, null, filter, order, offset, limit);
    return c.json(respond(runs, total));
  });

  app.get('/api/v2/dags/:dag_id/dagRuns/:dag_run_id', auth, (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const run = world.run(dagId, runId);
    if (!run) throw runNotFound(dagId, runId);
    return c.json(dagRunResponse(run, world.dag(dagId)));
  });

  triggerRoute(app, ctx, auth);
}
