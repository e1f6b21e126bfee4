import type { Hono } from 'hono';
import type { WorldRun, WorldTask } from '../../../world/index.js';
import type { EmulatorContext, Env } from '../../context.js';
import { setRunState } from '../../routes/run-actions.js';
import { authorizeV1 } from '../auth.js';
import { checkBodySchema, marshmallowLoad, readJsonBody } from '../body.js';
import type { FieldKind, PropSchema } from '../body.js';
import { badRequest, notFound } from '../errors.js';
import { queryV1 } from '../query.js';
import { dagRunV1, executionDate, iso, jsonV1 } from '../serializers.js';

/** The spec's ClearTaskInstances (connexion's check) and ClearTaskInstanceFormSchema (marshmallow's load). */
const CLEAR_BODY: Record<string, PropSchema> = {
  dry_run: { type: 'boolean' },
  start_date: { type: 'string' },
  end_date: { type: 'string' },
  only_failed: { type: 'boolean' },
  only_running: { type: 'boolean' },
  include_subdags: { type: 'boolean' },
  include_parentdag: { type: 'boolean' },
  reset_dag_runs: { type: 'boolean' },
  dag_run_id: { type: 'string', nullable: true },
  include_upstream: { type: 'boolean' },
  include_downstream: { type: 'boolean' },
  include_future: { type: 'boolean' },
  include_past: { type: 'boolean' },
  task_ids: { type: 'array', items: { type: 'string' } },
};
const CLEAR_LOAD: Record<string, FieldKind> = {
  dry_run: 'bool',
  start_date: 'datetime',
  end_date: 'datetime',
  only_failed: 'bool',
  only_running: 'bool',
  include_subdags: 'bool',
  include_parentdag: 'bool',
  reset_dag_runs: 'bool',
  dag_run_id: 'str',
  include_upstream: 'bool',
  include_downstream: 'bool',
  include_future: 'bool',
  include_past: 'bool',
  task_ids: 'list',
};

const UPDATE_STATES = ['success', 'failed', 'queued'] as const;
const UPDATE_BODY: Record<string, PropSchema> = { state: { type: 'string', enum: UPDATE_STATES } };

/**
 * Airflow 2.10's `POST /dags/{dag_id}/clearTaskInstances` (dry_run by default; answers
 * TaskInstanceReferenceCollection) and `PATCH /dags/{dag_id}/dagRuns/{dag_run_id}` (UpdateDagRunState).
 */
export function runActionRoutesV1(app: Hono<Env>, ctx: EmulatorContext): void {
  const { world } = ctx;

  app.post('/api/v1/dags/:dag_id/clearTaskInstances', async (c) => {
    queryV1(c, []).done();
    const raw = checkBodySchema(await readJsonBody(c), CLEAR_BODY);
    authorizeV1(ctx, c, 'write');
    const dagId = c.req.param('dag_id');
    const dag = world.dag(dagId);
    if (!dag) throw notFound(`Dag id ${dagId} not found`);
    const body = marshmallowLoad(raw, CLEAR_LOAD, { nullable: ['dag_run_id'] });
    const flag = (name: string, fallback: boolean) =>
      typeof body[name] === 'boolean' ? (body[name] as boolean) : fallback;
    const dryRun = flag('dry_run', true);
    const onlyFailed = flag('only_failed', true);
    const onlyRunning = flag('only_running', false);
    const resetDagRuns = flag('reset_dag_runs', false);
    let runs: readonly WorldRun[];
    if (typeof body.dag_run_id === 'string') {
      const run = world.run(dagId, body.dag_run_id);
      if (!run) throw notFound(`Dag Run id ${body.dag_run_id} not found in dag ${dagId}`);
      runs = [run];
    } else {
      const from = typeof body.start_date === 'number' ? body.start_date : null;
      const to = typeof body.end_date === 'number' ? body.end_date : null;
      runs = world
        .runsOf(dagId)
        .filter(
          (r) => (from === null || executionDate(r) >= from) && (to === null || executionDate(r) <= to),
        );
    }
    const taskIds = Array.isArray(body.task_ids) ? (body.task_ids as string[]) : null;
    const states = onlyFailed ? ['failed', 'upstream_failed'] : onlyRunning ? ['running'] : null;
    const selected: { ti: WorldTask; run: WorldRun }[] = [];
    for (const run of runs) {
      for (const ti of world.tasks(run)) {
        if (taskIds !== null && !taskIds.includes(ti.task_id)) continue;
        if (states === null || (ti.state !== null && states.includes(ti.state))) selected.push({ ti, run });
      }
    }
    if (!dryRun) {
      // Without reset_dag_runs Airflow 2 leaves the run's state alone; the world only models the reset.
      for (const run of new Set(selected.map((s) => s.run))) {
        if (run.state === 'failed' && resetDagRuns) world.clearFailedTasks(run);
      }
    }
    return jsonV1({
      task_instances: selected.map(({ ti, run }) => ({
        dag_id: ti.dag_id,
        dag_run_id: ti.run_id,
        execution_date: iso(executionDate(run)),
        task_id: ti.task_id,
      })),
    });
  });

  app.patch('/api/v1/dags/:dag_id/dagRuns/:dag_run_id', async (c) => {
    queryV1(c, []).done();
    const raw = checkBodySchema(await readJsonBody(c), UPDATE_BODY);
    authorizeV1(ctx, c, 'write');
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const run = world.run(dagId, runId);
    if (!run) {
      throw notFound(
        'DAGRun not found',
        `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`,
      );
    }
    const body = marshmallowLoad(raw, { state: 'str' });
    if (typeof body.state !== 'string') throw badRequest("{'state': ['Missing data for required field.']}");
    setRunState(ctx, run, body.state as (typeof UPDATE_STATES)[number]);
    return jsonV1(dagRunV1(run));
  });
}
