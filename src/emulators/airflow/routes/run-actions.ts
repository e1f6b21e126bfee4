import type { Hono, MiddlewareHandler } from 'hono';
import type { WorldRun, WorldTask } from '../../world/index.js';
import { parseJsonBody, validateBody } from '../body.js';
import type { FieldSpec } from '../body.js';
import type { EmulatorContext, Env } from '../context.js';
import { queryOf } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { dagRunResponse, taskInstanceResponse } from '../serializers.js';
import { runNotFound } from './dag-runs.js';

/** Airflow 3.2's ClearTaskInstancesBody (extra="forbid"); note dry_run defaults to true. */
const CLEAR_FIELDS: Record<string, FieldSpec> = {
  dry_run: { type: 'boolean' },
  start_date: { type: 'datetime', nullable: true },
  end_date: { type: 'datetime', nullable: true },
  only_failed: { type: 'boolean' },
  only_running: { type: 'boolean' },
  reset_dag_runs: { type: 'boolean' },
  task_ids: { type: 'array', nullable: true },
  dag_run_id: { type: 'string', nullable: true },
  include_upstream: { type: 'boolean' },
  include_downstream: { type: 'boolean' },
  include_future: { type: 'boolean' },
  include_past: { type: 'boolean' },
  run_on_latest_version: { type: 'boolean' },
  prevent_running_task: { type: 'boolean' },
};

const PATCH_STATES = ['queued', 'success', 'failed'] as const;
const PATCH_FIELDS: Record<string, FieldSpec> = {
  state: { type: 'enum', nullable: true, values: PATCH_STATES },
  note: { type: 'string', nullable: true },
};

/** A task_ids item: a task id, or a `[task_id, map_index]` pair. */
function taskMatcher(taskIds: unknown[] | null | undefined): (t: WorldTask) => boolean {
  if (!taskIds) return () => true;
  const matchers = taskIds.map((item) =>
    Array.isArray(item)
      ? (t: WorldTask) => t.task_id === item[0] && t.map_index === item[1]
      : (t: WorldTask) => t.task_id === item,
  );
  return (t) => matchers.some((m) => m(t));
}

/**
 * Applies a state to a DAG run the way Airflow's set_dag_run_state_to_* do in the emulator's world:
 * failed stops it (a running task fails, the rest is skipped), success finishes it, queued re-queues it.
 */
export function setRunState(
  ctx: EmulatorContext,
  run: WorldRun,
  state: 'queued' | 'success' | 'failed',
): void {
  const { world } = ctx;
  if (run.state === state) return;
  if (state === 'failed') {
    world.markRunFailed(run);
    return;
  }
  const now = world.now();
  if (state === 'success') {
    world.updateRun(run, {
      state: 'success',
      failure: null,
      running_task: null,
      cleared: null,
      start_date: run.start_date ?? now,
      end_date: now,
      updated_at: now,
    });
  } else {
    world.updateRun(run, {
      state: 'queued',
      start_date: null,
      end_date: null,
      queued_at: now,
      updated_at: now,
    });
  }
}

/**
 * `POST /dags/{dag_id}/clearTaskInstances` (dry_run by default: answers what it would clear) and
 * `PATCH /dags/{dag_id}/dagRuns/{dag_run_id}` (state and note, optionally restricted by `update_mask`).
 */
export function runActionRoutes(app: Hono<Env>, ctx: EmulatorContext, auth: MiddlewareHandler<Env>): void {
  const { world } = ctx;

  app.post('/api/v2/dags/:dag_id/clearTaskInstances', auth, async (c) => {
    const dagId = c.req.param('dag_id');
    const body = validateBody(parseJsonBody(await c.req.text()), CLEAR_FIELDS);
    const dag = world.dag(dagId);
    if (!dag) throw notFound(`DAG ${dagId} not found`);
    const flag = (name: string, fallback: boolean) =>
      typeof body[name] === 'boolean' ? (body[name] as boolean) : fallback;
    const dryRun = flag('dry_run', true);
    const onlyFailed = flag('only_failed', true);
    const onlyRunning = flag('only_running', false);
    const resetDagRuns = flag('reset_dag_runs', true);
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
        .filter((r) => (from === null || r.run_after >= from) && (to === null || r.run_after <= to));
    }
    const wanted = taskMatcher(body.task_ids as unknown[] | null | undefined);
    const states = onlyFailed ? ['failed', 'upstream_failed'] : onlyRunning ? ['running'] : null;
    const selected: { ti: WorldTask; run: WorldRun }[] = [];
    for (const run of runs) {
      for (const ti of world.tasks(run)) {
        if (wanted(ti) && (states === null || (ti.state !== null && states.includes(ti.state)))) {
          selected.push({ ti, run });
        }
      }
    }
    if (!dryRun) {
      // The emulator's world models clearing a failed run's failed tasks (the run queued again when reset).
      for (const run of new Set(selected.map((s) => s.run))) {
        if (run.state === 'failed' && resetDagRuns) world.clearFailedTasks(run);
      }
    }
    return c.json({
      task_instances: selected.map(({ ti, run }) => taskInstanceResponse(ti, run, dag)),
      total_entries: selected.length,
    });
  });

  app.patch('/api/v2/dags/:dag_id/dagRuns/:dag_run_id', auth, async (c) => {
    const dagId = c.req.param('dag_id');
    const runId = c.req.param('dag_run_id');
    const mask = queryOf(c).list('update_mask');
    const raw = parseJsonBody(await c.req.text());
    const body = validateBody(raw, PATCH_FIELDS);
    const dag = world.dag(dagId);
    if (!dag) throw notFound(`The Dag with ID: \`${dagId}\` was not found`);
    const run = world.run(dagId, runId);
    if (!run) throw runNotFound(dagId, runId);
    let fields = Object.keys(body).filter((k) => body[k] !== undefined);
    if (mask.length > 0) {
      const invalid = mask.filter((m) => !(m in PATCH_FIELDS));
      if (invalid.length > 0) throw badRequest(`Invalid fields in update mask: ${invalid.join(', ')}`);
      fields = mask;
    }
    for (const field of fields) {
      if (field === 'state') {
        const state = body.state;
        if (typeof state === 'string') setRunState(ctx, run, state as (typeof PATCH_STATES)[number]);
      } else if (field === 'note') {
        world.updateRun(run, { note: typeof body.note === 'string' ? body.note : null });
      }
    }
    return c.json(dagRunResponse(run, dag));
  });
}
