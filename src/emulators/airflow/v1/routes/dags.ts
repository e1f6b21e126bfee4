import type { Hono } from 'hono';
import type { WorldDag, WorldImportError } from '../../../world/index.js';
import type { EmulatorContext, Env } from '../../context.js';
import { ilikeContains } from '../../like.js';
import { comparatorFor, page } from '../../ordering.js';
import { authorizeV1 } from '../auth.js';
import { notFound } from '../errors.js';
import { checkFields, pick, queryV1 } from '../query.js';
import { DAG_FIELDS, dagV1, importErrorV1, jsonV1 } from '../serializers.js';

const POSTGRES = { nulls: 'postgres' } as const;

/** `GET /dags`, `GET /dags/{dag_id}`, `GET /importErrors`. */
export function dagRoutesV1(app: Hono<Env>, ctx: EmulatorContext): void {
  const { world } = ctx;

  app.get('/api/v1/dags', (c) => {
    const q = queryV1(c, [
      'limit',
      'offset',
      'order_by',
      'tags',
      'only_active',
      'paused',
      'fields',
      'dag_id_pattern',
    ]);
    const limit = q.limit(ctx.maximumPageLimit, ctx.fallbackPageLimit);
    const offset = q.offset();
    const order = q.string('order_by') ?? 'dag_id';
    const tags = q.list('tags');
    const onlyActive = q.bool('only_active') ?? true;
    const paused = q.bool('paused');
    const fields = q.list('fields');
    const pattern = q.string('dag_id_pattern');
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    checkFields(fields, DAG_FIELDS, 'DAGSchema', true, 'DAGCollectionSchema error');
    // Only dag_id may be ordered by; the pattern is `ILIKE %pattern%` (no `~`, no `|` as in Airflow 3).
    const compare = comparatorFor<WorldDag>(
      [order],
      { attrs: { dag_id: (d) => d.dag_id }, primaryKey: (d) => d.dag_id },
      POSTGRES,
    );
    const match = pattern ? ilikeContains(pattern) : null;
    const dags = world.dags.filter(
      (d) =>
        (!onlyActive || !d.stale) &&
        (paused === null || d.paused === paused) &&
        (!match || match(d.dag_id)) &&
        (tags.length === 0 || tags.some((t) => d.tags.includes(t))),
    );
    const items = page(dags, compare, offset, limit).map((d) => dagV1(d, ctx.signer));
    if (fields.length > 0) return jsonV1({ dags: items.map((d) => pick(d, fields)) });
    return jsonV1({ dags: items, total_entries: dags.length });
  });

  app.get('/api/v1/dags/:dag_id', (c) => {
    const q = queryV1(c, ['fields']);
    const fields = q.list('fields');
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    checkFields(fields, DAG_FIELDS, 'DAGSchema', false, 'DAGSchema error');
    const dagId = c.req.param('dag_id');
    const dag = world.dag(dagId);
    if (!dag) throw notFound('DAG not found', `The DAG with dag_id: ${dagId} was not found`);
    const item = dagV1(dag, ctx.signer);
    return jsonV1(fields.length > 0 ? pick(item, fields) : item);
  });

  app.get('/api/v1/importErrors', (c) => {
    const q = queryV1(c, ['limit', 'offset', 'order_by']);
    const limit = q.limit(ctx.maximumPageLimit, ctx.fallbackPageLimit);
    const offset = q.offset();
    const order = q.string('order_by') ?? 'import_error_id';
    q.connexion();
    authorizeV1(ctx, c, 'read');
    q.done();
    const compare = comparatorFor<WorldImportError>(
      [order],
      {
        attrs: {
          import_error_id: (e) => e.import_error_id,
          timestamp: (e) => e.timestamp,
          filename: (e) => e.filename,
        },
        primaryKey: (e) => e.import_error_id,
      },
      POSTGRES,
    );
    const errors = world.importErrors;
    return jsonV1({
      import_errors: page(errors, compare, offset, limit).map((e) => importErrorV1(e, world.dags)),
      total_entries: errors.length,
    });
  });
}
