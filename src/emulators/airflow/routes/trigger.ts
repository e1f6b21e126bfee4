import { randomInt } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';
import { pythonIsoTime } from '../../world/index.js';
import { parseJsonBody, validateBody } from '../body.js';
import type { FieldSpec } from '../body.js';
import type { EmulatorContext, Env } from '../context.js';
import { badRequest, HttpError, notFound, ValidationFailure } from '../errors.js';
import { dagRunResponse } from '../serializers.js';

const TRIGGER_FIELDS: Record<string, FieldSpec> = {
  dag_run_id: { type: 'string', nullable: true },
  data_interval_start: { type: 'datetime', nullable: true },
  data_interval_end: { type: 'datetime', nullable: true },
  logical_date: { type: 'datetime', nullable: true },
  run_after: { type: 'datetime', nullable: true },
  conf: { type: 'object', nullable: true },
  note: { type: 'string', nullable: true },
  partition_key: { type: 'string', nullable: true },
};

/** Airflow's get_random_string(): letters and digits. */
function randomString(length: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
}

/** What Airflow answers when the database rejects a duplicate (dag_id, run_id) or (dag_id, logical_date). */
function uniqueViolation(): HttpError {
  return new HttpError(409, {
    reason: 'Unique constraint violation',
    statement: 'hidden',
    orig_error: 'hidden',
    message: `Serious error when handling your request. Check logs for more details - you will find it in api server when you look for ID ${randomString(8)}`,
  });
}

/** `POST /dags/{dag_id}/dagRuns`: a new manual run, queued (and left queued: the emulator runs nothing). */
export function triggerRoute(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;
  app.post('/api/v2/dags/:dag_id/dagRuns', auth, async (c) => {
    const dagId = c.req.param('dag_id');
    const raw = parseJsonBody(await c.req.text());
    const body = validateBody(raw, TRIGGER_FIELDS);
    const num = (name: string) => (typeof body[name] === 'number' ? (body[name] as number) : null);
    const [intervalStart, intervalEnd] = [num('data_interval_start'), num('data_interval_end')];
    if ((intervalStart === null) !== (intervalEnd === null)) {
      throw new ValidationFailure([
        {
          type: 'value_error',
          loc: ['body'],
          msg: 'Value error, Either both data_interval_start and data_interval_end must be provided or both must be None',
          input: raw,
          ctx: { error: {} },
        },
      ]);
    }
    const dag = world.dag(dagId);
    if (!dag || dag.stale) throw notFound(`DAG with dag_id: '${dagId}' not found`);
    if (dag.import_error !== undefined)
      throw badRequest(`DAG with dag_id: '${dagId}' has import errors and cannot be triggered`);

    const now = world.now();
    const logicalDate = num('logical_date');
    const runAfter = num('run_after') ?? logicalDate ?? now;
    const suffix =
      logicalDate === null ? `${pythonIsoTime(runAfter)}_${randomString(8)}` : pythonIsoTime(runAfter);
    const runId = typeof body.dag_run_id === 'string' ? body.dag_run_id : `manual__${suffix}`;
    if (
      world.run(dagId, runId) ||
      (logicalDate !== null && world.hasRunWithLogicalDate(dagId, logicalDate))
    ) {
      throw uniqueViolation();
    }
    const run = world.addRun({
      dag_id: dagId,
      run_id: runId,
      run_type: 'manual',
      state: 'queued',
      logical_date: logicalDate,
      run_after: runAfter,
      queued_at: now,
      start_date: null,
      end_date: null,
      data_interval_start: logicalDate === null ? null : (intervalStart ?? logicalDate),
      data_interval_end: logicalDate === null ? null : (intervalEnd ?? logicalDate),
      updated_at: now,
      conf: (body.conf as Record<string, unknown> | null | undefined) ?? {},
      note: typeof body.note === 'string' && body.note !== '' ? body.note : null,
      triggered_by: 'rest_api',
      triggering_user_name: c.get('user'),
      failure: null,
      running_task: null,
    });
    return c.json(dagRunResponse(run, dag), 200);
  });
}
