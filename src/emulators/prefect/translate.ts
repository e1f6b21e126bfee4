import { randomUUID } from 'node:crypto';
import type { World, WorldDag, WorldError, WorldRun, WorldTask, WorldTaskDef } from '../world/index.js';
import { hashKeys, PREFECT_CRASH_TYPE, SECOND } from '../world/index.js';
import { prefectTime, prefectTimeOrNull, pyRepr, runSlug, uuidFrom } from './ids.js';
import type { StateType } from './validation.js';

/**
 * The World seen as a Prefect 3 server: flows, deployments, flow runs and task runs, derived on demand.
 *
 * - A DAG id `<flow>/<deployment>` is one deployment of that flow; an id without `/` is the deployment
 *   `default` of the flow of that name. Stale DAGs are deleted deployments (absent).
 * - Owners become `owner:<name>` tags (Prefect has no owner field).
 * - Run states: queued → SCHEDULED (`Scheduled`, or `Late` once 15 s past its start), or PENDING once it has
 *   a start date; running → RUNNING; success → COMPLETED; failed → FAILED, or CRASHED when the failure's
 *   outermost exception is PREFECT_CRASH_TYPE.
 * - Task runs exist only for tasks that started (Prefect creates a task run when the task is called):
 *   waiting, skipped and upstream_failed tasks have none.
 */

/** Prefect marks a scheduled run Late this long after its start time (PREFECT_..._LATE_RUNS_AFTER_SECONDS). */
export const LATE_AFTER_MS = 15 * SECOND;
export const WORK_POOL = { id: uuidFrom('work-pool', 'default-pool'), name: 'default-pool', type: 'process' };
export const WORK_QUEUE = { id: uuidFrom('work-queue', 'default'), name: 'default' };

export interface FlowEntity {
  id: string;
  name: string;
  created: number;
  deployments: DeploymentEntity[];
}

export type ScheduleView =
  { kind: 'cron'; cron: string } | { kind: 'interval'; seconds: number } | { kind: 'rrule'; rrule: string };

export interface DeploymentEntity {
  id: string;
  name: string;
  flow: FlowEntity;
  dag: WorldDag;
  scheduleId: string;
  schedule: ScheduleView | null;
  tags: string[];
}

export interface StateView {
  type: StateType;
  name: string;
  message: string | null;
  timestamp: number;
}

/** What the emulator adds to runs it created itself (create_flow_run). */
export interface RunExtras {
  id: string;
  name: string;
  idempotencyKey: string | null;
  tags: string[];
  context: Record<string, unknown>;
  labels: Record<string, unknown>;
  jobVariables: Record<string, unknown>;
  created: number;
}

export interface TaskRunRecord {
  id: string;
  name: string;
  taskKey: string;
  dynamicKey: string;
  flowRunId: string;
  run: WorldRun;
  task: WorldTask;
  def: WorldTaskDef;
  state: StateView;
  start: number | null;
  end: number | null;
  expected: number;
  runCount: number;
  totalRunTime: number;
}

export function shortType(type: string): string {
  return type.slice(type.lastIndexOf('.') + 1);
}

/** The text Python prints for an exception chain (innermost cause first). */
export function pythonTraceback(error: WorldError): string {
  const parts = [...error.chain].reverse().map((exc) => {
    const lines = ['Traceback (most recent call last):'];
    for (const f of exc.frames) {
      lines.push(`  File "${f.filename}", line ${f.lineno}, in ${f.name}`);
      if (f.line) lines.push(`    ${f.line}`);
    }
    lines.push(`${exc.type}: ${exc.message}`);
    return lines.join('\n');
  });
  return parts.join('\n\nThe above exception was the direct cause of the following exception:\n\n');
}

/** `HTTPStatusError("Client error …")`: Python's repr() of the raised exception. */
export function exceptionRepr(error: WorldError): string {
  const top = error.chain[0];
  return top ? `${shortType(top.type)}(${pyRepr(top.message)})` : 'Exception()';
}

export function isCrash(run: WorldRun): boolean {
  return run.state === 'failed' && run.failure?.error.chain[0]?.type === PREFECT_CRASH_TYPE;
}

function scheduleOf(dag: WorldDag): ScheduleView | null {
  if (dag.schedule === null) return null;
  const summary = dag.timetable_summary ?? '';
  const interval = /^interval:(\d+(?:\.\d+)?)$/.exec(summary);
  if (interval) return { kind: 'interval', seconds: Number(interval[1]) };
  if (summary.startsWith('rrule:')) return { kind: 'rrule', rrule: summary.slice('rrule:'.length) };
  return { kind: 'cron', cron: dag.schedule };
}

function splitDagId(dagId: string): { flow: string; deployment: string } {
  const slash = dagId.indexOf('/');
  return slash > 0
    ? { flow: dagId.slice(0, slash), deployment: dagId.slice(slash + 1) }
    : { flow: dagId, deployment: 'default' };
}

export class PrefectWorld {
  private readonly flowList: FlowEntity[] = [];
  private readonly flowIndex = new Map<string, FlowEntity>();
  private readonly deploymentList: DeploymentEntity[] = [];
  private readonly deploymentIndex = new Map<string, DeploymentEntity>();
  private readonly byDagId = new Map<string, DeploymentEntity>();
  private readonly runIndex = new Map<string, WorldRun>();
  private indexed = 0;
  private readonly extras = new Map<WorldRun, RunExtras>();
  private readonly idempotency = new Map<string, WorldRun>();
  private readonly taskCache = new WeakMap<readonly WorldTask[], TaskRunRecord[]>();
  private readonly taskIndex = new Map<string, TaskRunRecord>();
  /** States set through set_state; they win over the state derived from the world's run. */
  private readonly stateOverrides = new Map<WorldRun, StateView>();

  constructor(readonly world: World) {
    const flows = new Map<string, FlowEntity>();
    for (const dag of world.dags) {
      if (dag.stale) continue;
      const names = splitDagId(dag.dag_id);
      let flow = flows.get(names.flow);
      if (!flow) {
        flow = {
          id: uuidFrom('flow', names.flow),
          name: names.flow,
          created: dag.created_at,
          deployments: [],
        };
        flows.set(names.flow, flow);
      }
      flow.created = Math.min(flow.created, dag.created_at);
      const deployment: DeploymentEntity = {
        id: uuidFrom('deployment', dag.dag_id),
        name: names.deployment,
        flow,
        dag,
        scheduleId: uuidFrom('schedule', dag.dag_id),
        schedule: scheduleOf(dag),
        tags: [...dag.tags, ...dag.owners.map((o) => `owner:${o}`)],
      };
      flow.deployments.push(deployment);
      this.deploymentList.push(deployment);
      this.deploymentIndex.set(deployment.id, deployment);
      this.byDagId.set(dag.dag_id, deployment);
    }
    this.flowList = [...flows.values()];
    for (const flow of this.flowList) this.flowIndex.set(flow.id, flow);
  }

  now(): number {
    return this.world.now();
  }

  get flows(): readonly FlowEntity[] {
    return this.flowList;
  }

  flow(id: string): FlowEntity | undefined {
    return this.flowIndex.get(id);
  }

  get deployments(): readonly DeploymentEntity[] {
    return this.deploymentList;
  }

  deployment(id: string): DeploymentEntity | undefined {
    return this.deploymentIndex.get(id);
  }

  deploymentOf(run: WorldRun): DeploymentEntity | undefined {
    return this.byDagId.get(run.dag_id);
  }

  /** Every run of a visible deployment, in creation order. */
  runs(): WorldRun[] {
    return this.world.runs.filter((r) => this.byDagId.has(r.dag_id));
  }

  runsOf(deployment: DeploymentEntity): readonly WorldRun[] {
    return this.world.runsOf(deployment.dag.dag_id);
  }

  flowRunId(run: WorldRun): string {
    return this.extras.get(run)?.id ?? uuidFrom('flow-run', run.dag_id, run.run_id);
  }

  run(flowRunId: string): WorldRun | undefined {
    const runs = this.world.runs;
    for (; this.indexed < runs.length; this.indexed++) {
      const run = runs[this.indexed] as WorldRun;
      if (this.byDagId.has(run.dag_id)) this.runIndex.set(this.flowRunId(run), run);
    }
    return this.runIndex.get(flowRunId.toLowerCase());
  }

  extrasOf(run: WorldRun): RunExtras | undefined {
    return this.extras.get(run);
  }

  runName(run: WorldRun): string {
    return this.extras.get(run)?.name ?? runSlug(run.dag_id, run.run_id);
  }

  /** When the run was created: the scheduler creates scheduled runs ahead of time. */
  created(run: WorldRun): number {
    const extra = this.extras.get(run);
    if (extra) return extra.created;
    const queued = run.queued_at ?? run.run_after;
    return run.run_type === 'scheduled' ? Math.min(queued, run.run_after) - 3600 * SECOND : queued;
  }

  idempotencyKey(run: WorldRun): string | null {
    const extra = this.extras.get(run);
    if (extra) return extra.idempotencyKey;
    const deployment = this.deploymentOf(run);
    if (run.run_type !== 'scheduled' || !deployment) return null;
    return `scheduled ${deployment.id} ${deployment.scheduleId} ${prefectTime(run.run_after)}`;
  }

  state(run: WorldRun): StateView {
    const override = this.stateOverrides.get(run);
    if (override) return override;
    const now = this.now();
    switch (run.state) {
      case 'queued':
        if (run.start_date !== null) {
          return {
            type: 'PENDING',
            name: 'Pending',
            message: null,
            timestamp: run.queued_at ?? run.run_after,
          };
        }
        return run.run_after <= now - LATE_AFTER_MS
          ? { type: 'SCHEDULED', name: 'Late', message: null, timestamp: run.run_after + LATE_AFTER_MS }
          : { type: 'SCHEDULED', name: 'Scheduled', message: null, timestamp: this.created(run) };
      case 'running':
        return { type: 'RUNNING', name: 'Running', message: null, timestamp: run.start_date ?? now };
      case 'success':
        return {
          type: 'COMPLETED',
          name: 'Completed',
          message: 'All states completed.',
          timestamp: run.end_date ?? now,
        };
      case 'failed': {
        const end = run.end_date ?? now;
        const error = run.failure?.error;
        const top = error?.chain[0];
        if (isCrash(run)) {
          return { type: 'CRASHED', name: 'Crashed', message: top?.message ?? 'Crashed', timestamp: end };
        }
        const message = top
          ? `Flow run encountered an exception: ${shortType(top.type)}: ${top.message}`
          : 'Flow run encountered an exception.';
        return { type: 'FAILED', name: 'Failed', message, timestamp: end };
      }
    }
  }

  /**
   * `POST /flow_runs/{id}/set_state`, for the transitions the emulator models: a forced SCHEDULED
   * (AwaitingRetry: the failed run is queued to run again, its failed tasks cleared) and CANCELLING (a
   * SCHEDULED run is rejected and moved straight to CANCELLED, as Prefect's orchestration does). Without
   * force, a run that already finished aborts the transition.
   */
  setState(
    run: WorldRun,
    proposed: { type: StateType; name: string | null; message: string | null },
    force: boolean,
  ): { status: 'ACCEPT' | 'REJECT' | 'ABORT'; state: StateView; reason: string | null } {
    const current = this.state(run);
    const now = this.now();
    const terminal = ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'].includes(current.type);
    if (!force && terminal) {
      return { status: 'ABORT', state: current, reason: 'This run has already terminated.' };
    }
    if (proposed.type === 'CANCELLING' && current.type === 'SCHEDULED') {
      const cancelled: StateView = {
        type: 'CANCELLED',
        name: 'Cancelled',
        message: 'The flow run was cancelled before it started.',
        timestamp: now,
      };
      this.stateOverrides.set(run, cancelled);
      return {
        status: 'REJECT',
        state: cancelled,
        reason: 'Run is in a SCHEDULED state; it was moved directly to CANCELLED.',
      };
    }
    if (proposed.type === 'SCHEDULED' && run.state === 'failed') this.world.clearFailedTasks(run);
    const defaultName = proposed.type.charAt(0) + proposed.type.slice(1).toLowerCase();
    const next: StateView = {
      type: proposed.type,
      name: proposed.name ?? defaultName,
      message: proposed.message,
      timestamp: now,
    };
    this.stateOverrides.set(run, next);
    return { status: 'ACCEPT', state: next, reason: null };
  }

  stateJson(state: StateView, flowRunId: string, taskRunId: string | null, scheduled: number | null) {
    return {
      id: uuidFrom('state', taskRunId ?? flowRunId, state.type, state.name, state.timestamp),
      type: state.type,
      name: state.name,
      timestamp: prefectTime(state.timestamp),
      message: state.message,
      data: null,
      state_details: {
        flow_run_id: flowRunId,
        task_run_id: taskRunId,
        child_flow_run_id: null,
        scheduled_time: state.type === 'SCHEDULED' && scheduled !== null ? prefectTime(scheduled) : null,
        cache_key: null,
        cache_expiration: null,
        deferred: false,
        untrackable_result: false,
        pause_timeout: null,
        pause_reschedule: false,
        pause_key: null,
        run_input_keyset: null,
        refresh_cache: null,
        retriable: null,
        transition_id: uuidFrom('transition', taskRunId ?? flowRunId, state.type, state.timestamp),
        task_parameters_id: null,
        traceparent: null,
        deployment_concurrency_lease_id: null,
      },
    };
  }

  /** The fields filters and sorts look at, without building the whole response. */
  row(run: WorldRun) {
    const deployment = this.deploymentOf(run);
    const state = this.state(run);
    const extra = this.extras.get(run);
    return {
      id: this.flowRunId(run),
      name: this.runName(run),
      flowId: deployment?.flow.id ?? null,
      deploymentId: deployment?.id ?? null,
      tags: extra?.tags ?? this.runTags(run, deployment),
      state,
      start: run.start_date,
      end: run.end_date,
      expected: run.run_after,
      nextScheduled: state.type === 'SCHEDULED' ? run.run_after : null,
      idempotencyKey: this.idempotencyKey(run),
      createdBy: this.createdBy(run),
      workQueueName: WORK_QUEUE.name,
      flowVersion: this.flowVersion(run),
    };
  }

  private runTags(run: WorldRun, deployment: DeploymentEntity | undefined): string[] {
    const tags = deployment ? [...deployment.tags] : [];
    return run.run_type === 'scheduled' ? ['auto-scheduled', ...tags] : tags;
  }

  private flowVersion(run: WorldRun): string {
    return hashKeys('version', run.dag_id).toString(16).padStart(8, '0');
  }

  createdBy(run: WorldRun): { id: string; type: string; display_value: string } | null {
    if (run.run_type === 'asset_triggered') {
      return {
        id: uuidFrom('automation', run.dag_id),
        type: 'AUTOMATION',
        display_value: 'Enrich new leads after ingest',
      };
    }
    if (run.triggering_user_name) {
      return {
        id: uuidFrom('user', run.triggering_user_name),
        type: 'USER',
        display_value: run.triggering_user_name,
      };
    }
    return null;
  }

  flowRunJson(run: WorldRun) {
    const row = this.row(run);
    const extra = this.extras.get(run);
    const now = this.now();
    const created = this.created(run);
    const total = run.start_date === null ? 0 : ((run.end_date ?? now) - run.start_date) / 1000;
    const startDelta =
      run.start_date !== null
        ? Math.max(0, run.start_date - run.run_after) / 1000
        : Math.max(0, now - run.run_after) / 1000;
    return {
      id: row.id,
      created: prefectTime(created),
      updated: prefectTime(Math.max(created, run.updated_at)),
      name: row.name,
      flow_id: row.flowId,
      state_id: this.stateJson(row.state, row.id, null, run.run_after).id,
      deployment_id: row.deploymentId,
      deployment_version: row.flowVersion,
      work_queue_id: WORK_QUEUE.id,
      work_queue_name: WORK_QUEUE.name,
      flow_version: row.flowVersion,
      parameters: run.conf,
      idempotency_key: row.idempotencyKey,
      context: extra?.context ?? {},
      empirical_policy: {
        max_retries: 0,
        retry_delay_seconds: 0,
        retries: 0,
        retry_delay: 0,
        pause_keys: [],
        resuming: false,
        retry_type: null,
      },
      tags: row.tags,
      labels: {
        ...(extra?.labels ?? {}),
        'prefect.flow.id': row.flowId,
        'prefect.deployment.id': row.deploymentId,
      },
      parent_task_run_id: null,
      state_type: row.state.type,
      state_name: row.state.name,
      run_count: run.start_date === null ? 0 : 1,
      expected_start_time: prefectTime(run.run_after),
      next_scheduled_start_time: prefectTimeOrNull(row.nextScheduled),
      start_time: prefectTimeOrNull(run.start_date),
      end_time: prefectTimeOrNull(run.end_date),
      total_run_time: total,
      estimated_run_time: total,
      estimated_start_time_delta: startDelta,
      auto_scheduled: run.run_type === 'scheduled',
      infrastructure_document_id: null,
      infrastructure_pid: run.start_date === null ? null : `prefect-worker-0:${hashKeys(row.id) % 30000}`,
      created_by: row.createdBy,
      work_pool_id: WORK_POOL.id,
      work_pool_name: WORK_POOL.name,
      state: this.stateJson(row.state, row.id, null, run.run_after),
      job_variables: extra?.jobVariables ?? {},
    };
  }

  /** The task runs of a flow run (tasks that started), in creation order. */
  taskRuns(run: WorldRun): TaskRunRecord[] {
    const tasks = this.world.tasks(run);
    let records = this.taskCache.get(tasks);
    if (records) return records;
    records = [];
    const dag = this.world.dag(run.dag_id);
    const flowRunId = this.flowRunId(run);
    const crashed = isCrash(run);
    const crashMessage = run.failure?.error.chain[0]?.message ?? null;
    const now = this.now();
    const names = new Set<string>();
    let ordinal = 0;
    for (const task of tasks) {
      const def = dag?.tasks.find((d) => d.task_id === task.task_id);
      const first = task.attempts[0];
      const last = task.attempts[task.attempts.length - 1];
      if (!def || !first || !last) continue;
      let state: StateView;
      const end = last.end_date;
      switch (task.state) {
        case 'success':
          state = { type: 'COMPLETED', name: 'Completed', message: null, timestamp: end ?? now };
          break;
        case 'running':
          state = {
            type: 'RUNNING',
            name: task.try_number > 1 ? 'Retrying' : 'Running',
            message: null,
            timestamp: last.start_date,
          };
          break;
        case 'up_for_retry':
        case 'up_for_reschedule':
          state = { type: 'SCHEDULED', name: 'AwaitingRetry', message: null, timestamp: end ?? now };
          break;
        case 'failed': {
          const top = run.failure?.error.chain[0];
          if (crashed && run.failure?.task_id === task.task_id) {
            state = { type: 'CRASHED', name: 'Crashed', message: crashMessage, timestamp: end ?? now };
          } else {
            const message = top
              ? `Task run encountered an exception ${shortType(top.type)}: ${top.message}`
              : 'Task run encountered an exception.';
            state = { type: 'FAILED', name: 'Failed', message, timestamp: end ?? now };
          }
          break;
        }
        case 'queued':
        case 'scheduled':
        case 'restarting':
        case 'deferred':
          state = { type: 'PENDING', name: 'Pending', message: null, timestamp: last.start_date };
          break;
        default:
          continue; // never called: Prefect has no task run for it
      }
      const id = uuidFrom('task-run', flowRunId, task.task_id, task.map_index);
      let suffix = hashKeys(id) % 4096;
      let name = `${task.task_id}-${suffix.toString(16).padStart(3, '0')}`;
      while (names.has(name)) {
        suffix = (suffix + 1) % 4096;
        name = `${task.task_id}-${suffix.toString(16).padStart(3, '0')}`;
      }
      names.add(name);
      const totalRunTime =
        task.attempts.reduce((sum, a) => sum + ((a.end_date ?? now) - a.start_date), 0) / 1000;
      const record: TaskRunRecord = {
        id,
        name,
        taskKey: `${task.task_id}-${hashKeys('task-key', run.dag_id, task.task_id).toString(16).padStart(8, '0')}`,
        dynamicKey: String(task.map_index >= 0 ? task.map_index : ordinal++),
        flowRunId,
        run,
        task,
        def,
        state,
        start: first.start_date,
        end: task.state === 'running' ? null : end,
        expected: task.queued_when ?? first.start_date,
        runCount: task.attempts.length,
        totalRunTime,
      };
      records.push(record);
      this.taskIndex.set(id, record);
    }
    this.taskCache.set(tasks, records);
    return records;
  }

  taskRun(id: string): TaskRunRecord | undefined {
    const known = this.taskIndex.get(id.toLowerCase());
    if (known) return known;
    // Not derived yet: derive every run's task runs once (the adapter always names the flow run).
    for (const run of this.runs()) this.taskRuns(run);
    return this.taskIndex.get(id.toLowerCase());
  }

  taskRunJson(rec: TaskRunRecord) {
    const created = rec.expected - 50;
    return {
      id: rec.id,
      created: prefectTime(created),
      updated: prefectTime(Math.max(created, rec.state.timestamp)),
      name: rec.name,
      flow_run_id: rec.flowRunId,
      task_key: rec.taskKey,
      dynamic_key: rec.dynamicKey,
      cache_key: null,
      cache_expiration: null,
      task_version: null,
      empirical_policy: {
        max_retries: rec.def.retries,
        retry_delay_seconds: 10,
        retries: rec.def.retries,
        retry_delay: 10,
        retry_jitter_factor: null,
      },
      tags: [],
      labels: {},
      state_id: this.stateJson(rec.state, rec.flowRunId, rec.id, null).id,
      task_inputs: {},
      state_type: rec.state.type,
      state_name: rec.state.name,
      run_count: rec.runCount,
      flow_run_run_count: 1,
      expected_start_time: prefectTime(rec.expected),
      next_scheduled_start_time: null,
      start_time: prefectTimeOrNull(rec.start),
      end_time: prefectTimeOrNull(rec.end),
      total_run_time: rec.totalRunTime,
      estimated_run_time: rec.totalRunTime,
      estimated_start_time_delta: Math.max(0, (rec.start ?? rec.expected) - rec.expected) / 1000,
      state: this.stateJson(rec.state, rec.flowRunId, rec.id, null),
    };
  }

  deploymentJson(d: DeploymentEntity) {
    const created = d.dag.created_at;
    const updated = d.dag.last_parsed_time;
    const schedule =
      d.schedule === null
        ? null
        : d.schedule.kind === 'cron'
          ? { cron: d.schedule.cron, timezone: 'UTC', day_or: true }
          : d.schedule.kind === 'interval'
            ? {
                interval: d.schedule.seconds,
                anchor_date: prefectTime(created - (created % 3_600_000)),
                timezone: 'UTC',
              }
            : { rrule: d.schedule.rrule, timezone: 'UTC' };
    return {
      id: d.id,
      created: prefectTime(created),
      updated: prefectTime(updated),
      name: d.name,
      version: hashKeys('version', d.dag.dag_id).toString(16).padStart(8, '0'),
      description: d.dag.description,
      flow_id: d.flow.id,
      paused: d.dag.paused,
      schedules:
        schedule === null
          ? []
          : [
              {
                id: d.scheduleId,
                created: prefectTime(created),
                updated: prefectTime(created),
                deployment_id: d.id,
                schedule,
                active: true,
                max_scheduled_runs: null,
                parameters: {},
                slug: null,
              },
            ],
      concurrency_limit: null,
      global_concurrency_limit: null,
      concurrency_options: null,
      job_variables: {},
      parameters: {},
      tags: d.tags,
      labels: { 'prefect.flow.id': d.flow.id },
      work_queue_name: WORK_QUEUE.name,
      work_queue_id: WORK_QUEUE.id,
      last_polled: prefectTime(this.now() - 7 * SECOND),
      parameter_openapi_schema: { type: 'object', title: 'Parameters', properties: {} },
      path: '.',
      pull_steps: null,
      entrypoint: `flows/${d.flow.name.replace(/-/g, '_')}.py:${d.flow.name.replace(/-/g, '_')}`,
      storage_document_id: null,
      infrastructure_document_id: null,
      created_by: null,
      updated_by: null,
      work_pool_name: WORK_POOL.name,
      status: 'READY',
      enforce_parameter_schema: true,
    };
  }

  flowJson(f: FlowEntity) {
    return {
      id: f.id,
      created: prefectTime(f.created),
      updated: prefectTime(f.created),
      name: f.name,
      tags: [],
      labels: {},
    };
  }

  /**
   * `POST /deployments/{id}/create_flow_run`: a new SCHEDULED run, or the existing run of the flow with the
   * same idempotency key.
   */
  createRun(
    deployment: DeploymentEntity,
    input: {
      parameters: Record<string, unknown>;
      tags: string[];
      idempotencyKey: string | null;
      name: string | null;
      context: Record<string, unknown>;
      labels: Record<string, unknown>;
      jobVariables: Record<string, unknown>;
    },
  ): { run: WorldRun; created: boolean } {
    const key = input.idempotencyKey === null ? null : `${deployment.flow.id}\u0000${input.idempotencyKey}`;
    const existing = key === null ? undefined : this.idempotency.get(key);
    if (existing) return { run: existing, created: false };
    if (input.idempotencyKey !== null) {
      // Scheduled runs carry the scheduler's keys.
      for (const other of deployment.flow.deployments) {
        const match = this.world
          .runsOf(other.dag.dag_id)
          .find((r) => this.idempotencyKey(r) === input.idempotencyKey);
        if (match) return { run: match, created: false };
      }
    }
    const now = this.now();
    const id = randomUUID();
    const run = this.world.addRun({
      dag_id: deployment.dag.dag_id,
      run_id: id,
      run_type: 'manual',
      state: 'queued',
      logical_date: null,
      run_after: now,
      queued_at: now,
      start_date: null,
      end_date: null,
      data_interval_start: null,
      data_interval_end: null,
      updated_at: now,
      conf: input.parameters,
      note: null,
      triggered_by: 'rest_api',
      triggering_user_name: null,
      failure: null,
      running_task: null,
    });
    this.extras.set(run, {
      id,
      name: input.name ?? runSlug(id),
      idempotencyKey: input.idempotencyKey,
      tags: [...new Set([...deployment.tags, ...input.tags])],
      context: input.context,
      labels: input.labels,
      jobVariables: input.jobVariables,
      created: now,
    });
    if (key !== null) this.idempotency.set(key, run);
    return { run, created: true };
  }
}
