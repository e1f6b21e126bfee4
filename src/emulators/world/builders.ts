import { cronTimesBetween, describeCron, nextCronTime, parseCron } from './cron.js';
import type { Rng } from './random.js';
import { DAY, MINUTE, pythonIsoTime, SECOND } from './time.js';
import type { NewWorldRun, RunType, TriggeredBy, WorldDag, WorldFailure, WorldTaskDef } from './types.js';

/** Helpers to declare DAGs and runs with consistent timestamps. */

const DAGS_FOLDER = '/opt/airflow/dags';
/** Shared by the runs that have no conf, so that big worlds do not hold one empty object per run. */
const EMPTY_CONF: Record<string, unknown> = Object.freeze({});

export function taskDef(
  task_id: string,
  operator = 'PythonOperator',
  options: Partial<WorldTaskDef> = {},
): WorldTaskDef {
  return {
    task_id,
    operator,
    operator_name: operator === '_PythonDecoratedOperator' ? '@task' : operator,
    retries: 0,
    weight: 1,
    pool: 'default_pool',
    queue: 'default',
    log_lines: 12,
    ...options,
  };
}

export interface DagInput {
  dag_id: string;
  owners: string[];
  tags: string[];
  schedule: string | null;
  description?: string;
  tasks: WorldTaskDef[];
  now: number;
  paused?: boolean;
  /** When the DAG was paused (freezes next_dagrun). */
  pausedAt?: number;
  stale?: boolean;
  import_error?: string;
  max_active_runs?: number;
  /** For DAGs triggered by assets rather than a clock. */
  assetTriggered?: boolean;
  lastParsedAgoMs?: number;
}

export function makeDag(input: DagInput): WorldDag {
  const relative = `${input.dag_id}.py`;
  const cron = input.schedule === null ? null : parseCron(input.schedule);
  const frozenAt = input.paused ? (input.pausedAt ?? input.now) : input.now;
  return {
    dag_id: input.dag_id,
    description: input.description ?? null,
    owners: input.owners,
    tags: input.tags,
    schedule: input.schedule,
    timetable_summary: input.assetTriggered ? 'Asset' : input.schedule,
    timetable_description: input.assetTriggered
      ? 'Triggered by assets'
      : input.schedule === null
        ? 'Never, external triggers only'
        : describeCron(input.schedule),
    paused: input.paused ?? false,
    stale: input.stale ?? false,
    ...(input.import_error === undefined ? {} : { import_error: input.import_error }),
    fileloc: `${DAGS_FOLDER}/${relative}`,
    relative_fileloc: relative,
    max_active_runs: input.max_active_runs ?? 16,
    max_active_tasks: 16,
    tasks: input.tasks,
    last_parsed_time: input.now - (input.lastParsedAgoMs ?? 2 * MINUTE),
    created_at: input.now - 45 * DAY,
    next_dagrun: cron ? nextCronTime(cron, frozenAt) : null,
  };
}

/** What happens in one run. */
export interface RunPlan {
  state: 'success' | 'failed' | 'running';
  /** Start to end; for a running run, ignored. */
  durationMs: number;
  failure?: WorldFailure;
  running_task?: string;
}

interface RunOptions {
  run_type: RunType;
  run_id: string;
  logical_date: number | null;
  run_after: number;
  triggered_by: TriggeredBy;
  triggering_user_name?: string | null;
  conf?: Record<string, unknown>;
  note?: string | null;
  /** When the run was created (defaults to just after run_after). */
  queued_at?: number;
}

export function makeRun(dag: WorldDag, plan: RunPlan, options: RunOptions, rng: Rng): NewWorldRun {
  const queued = options.queued_at ?? options.run_after + rng.int(300, 4000);
  const start = queued + rng.int(1500, 9000);
  const end = plan.state === 'running' ? null : start + Math.max(SECOND, Math.round(plan.durationMs));
  const interval = options.logical_date;
  return {
    id: 0,
    dag_id: dag.dag_id,
    run_id: options.run_id,
    run_type: options.run_type,
    state: plan.state,
    logical_date: options.logical_date,
    run_after: options.run_after,
    queued_at: queued,
    start_date: start,
    end_date: end,
    data_interval_start: interval,
    data_interval_end: interval,
    updated_at: end ?? start,
    conf: options.conf ?? EMPTY_CONF,
    note: options.note ?? null,
    triggered_by: options.triggered_by,
    triggering_user_name: options.triggering_user_name ?? null,
    failure: plan.state === 'failed' ? (plan.failure ?? null) : null,
    running_task: plan.state === 'running' ? (plan.running_task ?? dag.tasks[0]?.task_id ?? null) : null,
  };
}

/** A run created by the cron timetable: logical date = run after = the fire time (CronTriggerTimetable). */
export function scheduledRun(dag: WorldDag, slot: number, plan: RunPlan, rng: Rng): NewWorldRun {
  return makeRun(
    dag,
    plan,
    {
      run_type: 'scheduled',
      run_id: `scheduled__${pythonIsoTime(slot)}`,
      logical_date: slot,
      run_after: slot,
      triggered_by: 'timetable',
    },
    rng,
  );
}

/** A manual run without a logical date, as Airflow 3's UI and API create by default. */
export function manualRun(
  dag: WorldDag,
  at: number,
  plan: RunPlan,
  rng: Rng,
  options: { user: string; triggered_by?: TriggeredBy; conf?: Record<string, unknown>; note?: string },
): NewWorldRun {
  return makeRun(
    dag,
    plan,
    {
      run_type: 'manual',
      run_id: `manual__${pythonIsoTime(at)}_${rng.alnum(8)}`,
      logical_date: null,
      run_after: at,
      triggered_by: options.triggered_by ?? 'ui',
      triggering_user_name: options.user,
      conf: options.conf ?? EMPTY_CONF,
      note: options.note ?? null,
    },
    rng,
  );
}

export function assetTriggeredRun(dag: WorldDag, at: number, plan: RunPlan, rng: Rng): NewWorldRun {
  return makeRun(
    dag,
    plan,
    {
      run_type: 'asset_triggered',
      run_id: `asset_triggered__${pythonIsoTime(at)}_${rng.alnum(8)}`,
      logical_date: null,
      run_after: at,
      triggered_by: 'asset',
    },
    rng,
  );
}

export function backfillRun(
  dag: WorldDag,
  slot: number,
  createdAt: number,
  plan: RunPlan,
  rng: Rng,
): NewWorldRun {
  return makeRun(
    dag,
    plan,
    {
      run_type: 'backfill',
      run_id: `backfill__${pythonIsoTime(slot)}`,
      logical_date: slot,
      run_after: slot,
      triggered_by: 'backfill',
      triggering_user_name: 'admin',
      queued_at: createdAt,
    },
    rng,
  );
}

export interface PlanContext {
  /** True while looking for the latest run (the newest slot whose run has ended by now, or is running). */
  latest: boolean;
  /** How many runs before the latest one (0 = the latest). */
  back: number;
  /** 0 = the oldest slot in the window. */
  index: number;
  count: number;
  rng: Rng;
}

/**
 * Runs of a cron-scheduled DAG for the slots in [from, to). Slots whose run would still be going on at
 * `now` are left out (as if the scheduler had not got to them), unless the plan says the run is running.
 */
export function scheduledHistory(
  dag: WorldDag,
  from: number,
  to: number,
  now: number,
  rngFor: (slot: number) => Rng,
  plan: (slot: number, ctx: PlanContext) => RunPlan,
): NewWorldRun[] {
  if (dag.schedule === null) return [];
  const slots = cronTimesBetween(parseCron(dag.schedule), from, to);
  let latest = -1;
  let latestPlan: RunPlan | null = null;
  for (let i = slots.length - 1; i >= 0; i--) {
    const slot = slots[i] as number;
    const p = plan(slot, { latest: true, back: 0, index: i, count: slots.length, rng: rngFor(slot) });
    const ready = p.state === 'running' ? slot + 2 * MINUTE <= now : slot + p.durationMs + 20 * SECOND <= now;
    if (ready) {
      latest = i;
      latestPlan = p;
      break;
    }
  }
  if (latest < 0 || !latestPlan) return [];
  const runs: NewWorldRun[] = [];
  for (let i = 0; i < latest; i++) {
    const slot = slots[i] as number;
    const ctx = { latest: false, back: latest - i, index: i, count: slots.length, rng: rngFor(slot) };
    runs.push(scheduledRun(dag, slot, plan(slot, ctx), rngFor(slot)));
  }
  const slot = slots[latest] as number;
  const run = scheduledRun(dag, slot, latestPlan, rngFor(slot));
  if (run.state === 'running') {
    // Observed at `now`: it must have started already.
    run.queued_at = Math.min(run.queued_at ?? slot, now - 90 * SECOND);
    run.start_date = Math.min(run.start_date ?? slot, now - 60 * SECOND);
    run.updated_at = run.start_date;
  }
  runs.push(run);
  return runs;
}
