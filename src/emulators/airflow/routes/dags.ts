import type { Hono, MiddlewareHandler } from 'hono';
import type { WorldDag, WorldImportError, WorldRun } from '../../world/index.js';
import type { EmulatorContext, Env } from '../context.js';
import { orderBy, pagination, queryOf, RUN_STATES } from '../context.js';
import { notFound } from '../errors.js';
import { ilikeContains, searchMatcher } from '../like.js';
import { comparatorFor, page } from '../ordering.js';
import { inRange, rangeIsSet as isSet } from '../params.js';
import { runStatesParam } from '../run-filter.js';
import { dagResponse, importErrorResponse } from '../serializers.js';

export function dagNotFound(dagId: string) {
  return notFound(`The Dag with ID: \`${dagId}\` was not found`);
}

/** The DAG's "last run" as Airflow 3 computes it for /dags: the run with the latest start_date. */
function lastStartedRun(runs: readonly WorldRun[]): WorldRun | undefined {
  let latest: WorldRun | undefined;
  for (const run of runs) {
    if (run.start_date !== null && (!latest || run.start_date > (latest.start_date as number))) latest = run;
  }
  return latest;
}

export function dagRoutes(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;

  app.get('/api/v2/dags', auth, (c) => {
    const q = queryOf(c);
    const { limit, offset } = pagination(q, ctx.maximumPageLimit);
    const tags = q.list('tags');
    const tagsMode = q.literal('tags_match_mode', ['any', 'all']);
    const owners = q.list('owners').map(ilikeContains);
    const idPattern = q.string('dag_id_pattern');
    const namePattern = q.string('dag_display_name_pattern');
    const excludeStale = q.bool('exclude_stale') ?? true;
    const paused = q.bool('paused');
    const hasImportErrors = q.bool('has_import_errors');
    const lastState = q.literal('last_dag_run_state', RUN_STATES, 'enum');
    const runStates = runStatesParam(q.list('dag_run_state'));
    const runStart = q.range('dag_run_start_date');
    const runEnd = q.range('dag_run_end_date');
    const order = orderBy(q, 'dag_id');
    q.done();

    const idMatch = idPattern === null ? null : searchMatcher(idPattern);
    const nameMatch = namePattern === null ? null : searchMatcher(namePattern);
    const last = new Map<string, WorldRun | undefined>();
    const lastRun = (dag: WorldDag) => {
      if (!last.has(dag.dag_id)) last.set(dag.dag_id, lastStartedRun(world.runsOf(dag.dag_id)));
      return last.get(dag.dag_id);
    };
    const matches = world.dags.filter((dag) => {
      if (excludeStale && dag.stale) return false;
      if (paused !== null && dag.paused !== paused) return false;
      if (hasImportErrors !== null && (dag.import_error !== undefined) !== hasImportErrors) return false;
      if (idMatch && !idMatch(dag.dag_id)) return false;
      if (nameMatch && !nameMatch(dag.dag_id)) return false;
      if (tags.length > 0) {
        const ok =
          tagsMode === 'all'
            ? tags.every((t) => dag.tags.includes(t))
            : tags.some((t) => dag.tags.includes(t));
        if (!ok) return false;
      }
      // Airflow keeps owners as one comma-separated string and matches each filter value with ILIKE %owner%.
      if (owners.length > 0 && !owners.some((m) => m(dag.owners.join(', ')))) return false;
      if (lastState !== null && lastRun(dag)?.state !== lastState) return false;
      // dag_run_* filters join DagRun: the DAG matches when one of its runs passes all of them.
      if (runStates || isSet(runStart) || isSet(runEnd)) {
        const hit = world
          .runsOf(dag.dag_id)
          .some(
            (r) =>
              (!runStates || runStates.includes(r.state)) &&
              (!isSet(runStart) || inRange(r.start_date, runStart)) &&
              (!isSet(runEnd) || inRange(r.end_date, runEnd)),
          );
        if (!hit) return false;
      }
      return true;
    });
    const compare = comparatorFor<WorldDag>(order, {
      attrs: {
        dag_id: (d) => d.dag_id,
        dag_display_name: (d) => d.dag_id,
        next_dagrun: (d) => d.next_dagrun,
        state: (d) => lastRun(d)?.state ?? null,
        start_date: (d) => lastRun(d)?.start_date ?? null,
        last_run_state: (d) => lastRun(d)?.state ?? null,
        last_run_start_date: (d) => lastRun(d)?.start_date ?? null,
      },
      primaryKey: (d) => d.dag_id,
    });
    const dags = page(matches, compare, offset, limit).map((d) => dagResponse(d, ctx.signer));
    return c.json({ dags, total_entries: matches.length });
  });

  app.get('/api/v2/dags/:dag_id', auth, (c) => {
    const dagId = c.req.param('dag_id');
    const dag = world.dag(dagId);
    if (!dag) throw dagNotFound(dagId);
    return c.json(dagResponse(dag, ctx.signer));
  });

  app.get('/api/v2/importErrors', auth, (c) => {
    const q = queryOf(c);
    const { limit, offset } = pagination(q, ctx.maximumPageLimit);
    const order = orderBy(q, 'id');
    const pattern = q.string('filename_pattern');
    q.done();
    const match = pattern === null ? null : searchMatcher(pattern);
    const errors = world.importErrors.filter((e) => !match || match(e.filename));
    const compare = comparatorFor<WorldImportError>(order, {
      attrs: {
        id: (e) => e.import_error_id,
        timestamp: (e) => e.timestamp,
        filename: (e) => e.filename,
        bundle_name: (e) => e.bundle_name,
        stacktrace: (e) => e.stack_trace,
      },
      aliases: { import_error_id: 'id' },
      primaryKey: (e) => e.import_error_id,
    });
    return c.json({
      import_errors: page(errors, compare, offset, limit).map(importErrorResponse),
      total_entries: errors.length,
    });
  });
}
