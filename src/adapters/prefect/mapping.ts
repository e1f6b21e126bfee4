import {
  durationSeconds,
  type Pipeline,
  type PipelineRun,
  type TaskRun,
  type TriggerKind,
} from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import type { StatusMappingRow } from '../airflow/index.js';
import type {
  PrefectCreatedBy,
  PrefectDeployment,
  PrefectFlowRun,
  PrefectSchedule,
  PrefectTaskRun,
} from './schemas.js';

/**
 * Prefect 3 (and 2.x) native values → the core model. Pure functions only; the tables are exported so the
 * documentation can be generated from (or checked against) them.
 */

export type { StatusMappingRow };

/** StateType → RunStatus, for flow runs and task runs alike. The state *type* decides; the name refines. */
export const STATE_TYPE_TABLE: readonly StatusMappingRow[] = [
  {
    native: 'SCHEDULED',
    status: 'pending',
    note: 'waiting for its start time (names: Scheduled, Late, AwaitingRetry, AwaitingConcurrencySlot, Resuming)',
  },
  {
    native: 'PENDING',
    status: 'pending',
    note: 'picked up; infrastructure is starting (names: Pending, Submitting, InfrastructurePending)',
  },
  { native: 'RUNNING', status: 'running', note: 'Retrying when a task runs again after a failed try' },
  { native: 'COMPLETED', status: 'success', note: 'Cached: the result was reused, nothing ran' },
  { native: 'FAILED', status: 'failed', note: 'the code raised (TimedOut: exceeded timeout_seconds)' },
  { native: 'CANCELLED', status: 'cancelled', note: 'stopped on request; not a failure' },
  {
    native: 'CRASHED',
    status: 'failed',
    note: 'the infrastructure died (OOM kill, non-zero exit code, lost worker): a failure, with the reason in the state message',
  },
  {
    native: 'PAUSED',
    status: 'pending',
    note: 'waiting for input or for resume_flow_run (names: Paused, Suspended); not final, nothing runs meanwhile',
  },
  {
    native: 'CANCELLING',
    status: 'running',
    note: 'cancellation requested, infrastructure still being torn down: still active until CANCELLED',
  },
];

export interface StateNameRow extends StatusMappingRow {
  /** The state type the name refines. */
  type: string;
}

/** Notable state names, with what they mean for monitoring. The status always follows the type. */
export const STATE_NAME_NOTES: readonly StateNameRow[] = [
  {
    native: 'Scheduled',
    type: 'SCHEDULED',
    status: 'pending',
    note: 'waiting for its start time or a worker; a run due by now (e.g. just triggered) counts as pending, a future slot is left out of history',
  },
  {
    native: 'Late',
    type: 'SCHEDULED',
    status: 'pending',
    note: 'past its start time and not picked up: usually no worker polls the work pool / queue, or the pool is paused or full',
  },
  {
    native: 'AwaitingRetry',
    type: 'SCHEDULED',
    status: 'pending',
    note: 'a try failed; the next one is scheduled',
  },
  {
    native: 'AwaitingConcurrencySlot',
    type: 'SCHEDULED',
    status: 'pending',
    note: 'held back by the deployment’s concurrency limit',
  },
  { native: 'Resuming', type: 'SCHEDULED', status: 'pending', note: 'a paused run about to continue' },
  { native: 'Pending', type: 'PENDING', status: 'pending', note: '' },
  { native: 'Submitting', type: 'PENDING', status: 'pending', note: 'the worker is submitting it' },
  {
    native: 'InfrastructurePending',
    type: 'PENDING',
    status: 'pending',
    note: 'waiting for the infrastructure',
  },
  { native: 'Running', type: 'RUNNING', status: 'running', note: '' },
  { native: 'Retrying', type: 'RUNNING', status: 'running', note: 'running again after a failed try' },
  { native: 'Completed', type: 'COMPLETED', status: 'success', note: '' },
  { native: 'Cached', type: 'COMPLETED', status: 'success', note: 'result taken from the cache' },
  { native: 'Failed', type: 'FAILED', status: 'failed', note: '' },
  { native: 'TimedOut', type: 'FAILED', status: 'failed', note: 'exceeded its timeout_seconds' },
  { native: 'Crashed', type: 'CRASHED', status: 'failed', note: 'see the state message for the exit code' },
  { native: 'Cancelled', type: 'CANCELLED', status: 'cancelled', note: '' },
  { native: 'Cancelling', type: 'CANCELLING', status: 'running', note: '' },
  { native: 'Paused', type: 'PAUSED', status: 'pending', note: 'waiting for input or a resume, in process' },
  { native: 'Suspended', type: 'PAUSED', status: 'pending', note: 'paused with its infrastructure released' },
];

export const UNKNOWN_STATUS: RunStatus = 'unknown';

const STATE_TYPES = new Map(STATE_TYPE_TABLE.map((row) => [row.native, row.status]));

export function mapStateType(type: string | null | undefined): RunStatus {
  return (type && STATE_TYPES.get(type.toUpperCase())) || UNKNOWN_STATUS;
}

/** The state types to send as `state.type.any_` for the requested statuses (unknown has none). */
export function stateTypesFor(statuses: readonly RunStatus[]): string[] {
  const wanted = new Set(statuses);
  return STATE_TYPE_TABLE.filter((row) => wanted.has(row.status)).map((row) => row.native as string);
}

export const FAILED_STATE_TYPES = ['FAILED', 'CRASHED'] as const;

/**
 * Trigger kind of a flow run:
 * - scheduled: created by a deployment schedule (`auto_scheduled`, `created_by.type` SCHEDULE, or the
 *   scheduler's `scheduled …` idempotency key);
 * - event: created by an automation or an event trigger (`created_by.type` AUTOMATION / TRIGGER);
 * - unknown: a subflow (created by its parent) or a run without a deployment;
 * - manual: anything else (UI, API, CLI, `run_deployment`).
 */
export function triggerKind(run: PrefectFlowRun): TriggerKind {
  const by = run.created_by?.type?.toUpperCase() ?? '';
  if (
    run.auto_scheduled === true ||
    by === 'SCHEDULE' ||
    (run.idempotency_key ?? '').startsWith('scheduled ')
  ) {
    return 'scheduled';
  }
  if (by === 'AUTOMATION' || by === 'TRIGGER' || by === 'EVENT') return 'event';
  if (run.parent_task_run_id || !run.deployment_id) return 'unknown';
  return 'manual';
}

/** Keeps parseable timestamps as sent; anything else becomes null. */
export function timestamp(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.length === 0 || value.length > 64) return null;
  return Number.isFinite(Date.parse(value)) ? value : null;
}

export interface MappingContext {
  orchestrator: string;
  /** Base URL of the Prefect UI (self-hosted: the API URL without `/api`; Cloud: app.prefect.cloud/account/…). */
  uiBase: string;
}

/**
 * The UI base for an API URL: `http://host:4200/api` → `http://host:4200`;
 * `https://api.prefect.cloud/api/accounts/A/workspaces/W` → `https://app.prefect.cloud/account/A/workspace/W`.
 */
export function uiBaseOf(apiUrl: string): string {
  const trimmed = apiUrl.replace(/\/+$/, '');
  const cloud = /^(https?:\/\/)([^/]+)(\/.*)?\/api\/accounts\/([^/]+)\/workspaces\/([^/]+)$/.exec(trimmed);
  if (cloud) {
    const host = (cloud[2] ?? '').replace(/^api\./, 'app.');
    return `${cloud[1]}${host}${cloud[3] ?? ''}/account/${cloud[4]}/workspace/${cloud[5]}`;
  }
  return trimmed.replace(/\/api$/, '');
}

export function deploymentUrl(ctx: MappingContext, deploymentId: string): string {
  return `${ctx.uiBase}/deployments/deployment/${encodeURIComponent(deploymentId)}`;
}

export function flowRunUrl(ctx: MappingContext, flowRunId: string): string {
  return `${ctx.uiBase}/runs/flow-run/${encodeURIComponent(flowRunId)}`;
}

/** `<flow name>/<deployment name>`; neither name can contain `/` in Prefect. */
export function pipelineIdOf(flowName: string, deploymentName: string): string {
  return `${flowName}/${deploymentName}`;
}

export function splitPipelineId(pipelineId: string): { flow: string; deployment: string } | null {
  const slash = pipelineId.indexOf('/');
  if (slash <= 0 || slash === pipelineId.length - 1) return null;
  const flow = pipelineId.slice(0, slash);
  const deployment = pipelineId.slice(slash + 1);
  return deployment.includes('/') ? null : { flow, deployment };
}

const PLURAL = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** `every 1 hour`, `every 15 minutes`, `every 90 seconds`. */
export function describeInterval(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return `every ${seconds} seconds`;
  for (const [size, unit] of [
    [604_800, 'week'],
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ] as const) {
    if (seconds % size === 0) return `every ${PLURAL(seconds / size, unit)}`;
  }
  return `every ${PLURAL(seconds, 'second')}`;
}

/** One schedule as text: the cron expression, `every …` for an interval, `RRULE:…` for an RRule. */
export function describeSchedule(schedule: PrefectSchedule): string {
  const zone = schedule.timezone && schedule.timezone !== 'UTC' ? ` (${schedule.timezone})` : '';
  if (typeof schedule.cron === 'string') return `${schedule.cron}${zone}`;
  if (typeof schedule.interval === 'number') return `${describeInterval(schedule.interval)}${zone}`;
  const rule = typeof schedule.rrule === 'string' ? schedule.rrule.trim() : '';
  return `${/^(RRULE:|DTSTART)/i.test(rule) ? rule.replace(/\s*\n\s*/g, ' ') : `RRULE:${rule}`}${zone}`;
}

/** The active schedules, joined with `; `; the 2.x single `schedule` when there is no `schedules` list. */
export function scheduleOf(d: PrefectDeployment): string | null {
  const list = d.schedules ?? [];
  if (list.length > 0) {
    const active = list.filter((s) => s.active !== false).map((s) => describeSchedule(s.schedule));
    return active.length > 0 ? active.join('; ') : null;
  }
  return d.schedule ? describeSchedule(d.schedule) : null;
}

/** `paused`, or a 2.x deployment whose schedule is turned off. */
export function isPaused(d: PrefectDeployment): boolean {
  return d.paused === true || d.is_schedule_active === false;
}

const OWNER_TAG = /^(owner|owners|team)\s*[:=]\s*(.+)$/i;
const OWNER_LABELS = ['owner', 'team', 'prefect.owner'];

/**
 * Owners, since Prefect has no owner field, by the first rule that yields any:
 * 1. tags `owner:<x>` / `team:<x>` (also `owners:` and `=`; case-insensitive prefix);
 * 2. labels `owner` / `team` (string values);
 * 3. `created_by.display_value` when the deployment was created by a user (Prefect Cloud).
 * The owner tags are removed from `tags`.
 */
export function ownersAndTags(d: PrefectDeployment): { owners: string[]; tags: string[] } {
  const owners: string[] = [];
  const tags: string[] = [];
  for (const tag of d.tags ?? []) {
    const m = OWNER_TAG.exec(tag.trim());
    const owner = m?.[2]?.trim();
    if (owner) {
      if (!owners.includes(owner)) owners.push(owner);
    } else tags.push(tag);
  }
  if (owners.length === 0 && d.labels) {
    for (const key of OWNER_LABELS) {
      const value = d.labels[key];
      if (typeof value === 'string' && value.trim() && !owners.includes(value.trim()))
        owners.push(value.trim());
    }
  }
  if (owners.length === 0 && isUser(d.created_by) && d.created_by?.display_value) {
    owners.push(d.created_by.display_value);
  }
  return { owners, tags };
}

function isUser(by: PrefectCreatedBy | null | undefined): boolean {
  return (by?.type ?? '').toUpperCase() === 'USER';
}

export function toPipeline(ctx: MappingContext, d: PrefectDeployment, flowName: string): Pipeline {
  const { owners, tags } = ownersAndTags(d);
  const description = d.description?.trim();
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: pipelineIdOf(flowName, d.name),
    description: description ? description : null,
    owners,
    tags,
    schedule: scheduleOf(d),
    paused: isPaused(d),
    broken: null,
    url: deploymentUrl(ctx, d.id),
  };
}

/** The state message of a failed or crashed state, trimmed; null otherwise. */
export function failureMessage(
  state: { type: string; message?: string | null } | null | undefined,
): string | null {
  if (!state || mapStateType(state.type) !== 'failed') return null;
  const message = state.message?.trim();
  if (!message) return null;
  return message.length > 2000 ? `${message.slice(0, 1999)}…` : message;
}

function stateTypeOf(run: { state_type?: string | null; state?: { type: string } | null }): string | null {
  return run.state?.type ?? run.state_type ?? null;
}

function stateNameOf(run: {
  state_name?: string | null;
  state?: { name?: string | null; type: string } | null;
  state_type?: string | null;
}): string {
  return run.state?.name ?? run.state_name ?? stateTypeOf(run) ?? 'unknown';
}

export function toPipelineRun(ctx: MappingContext, pipelineId: string, run: PrefectFlowRun): PipelineRun {
  const started = timestamp(run.start_time);
  const finished = timestamp(run.end_time);
  const type = stateTypeOf(run);
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: pipelineId,
    run_id: run.id,
    status: mapStateType(type),
    native_status: stateNameOf(run),
    queued_at: timestamp(run.expected_start_time) ?? timestamp(run.created),
    started_at: started,
    finished_at: finished,
    duration_seconds: durationSeconds(started, finished),
    trigger: triggerKind(run),
    error_message: failureMessage(run.state ?? (type ? { type, message: null } : null)),
    failed_tasks: [],
    url: flowRunUrl(ctx, run.id),
  };
}

export function isFailedTaskRun(task: PrefectTaskRun): boolean {
  return mapStateType(stateTypeOf(task)) === 'failed';
}

/** Attempts allowed: Prefect counts retries, the model counts tries (retries + 1). */
export function attemptsAllowed(task: PrefectTaskRun): number | null {
  const retries = task.empirical_policy?.retries ?? task.empirical_policy?.max_retries;
  return typeof retries === 'number' && retries >= 0 ? retries + 1 : null;
}

/**
 * A task run in the core model. task_id is the task run's name (what the Prefect UI shows, e.g.
 * `fetch_contacts-c21`), or its UUID when another task run of the flow run has the same name; map_index is
 * null (Prefect has no map index: mapped calls are separate task runs).
 */
export function toTaskRun(task: PrefectTaskRun, taskId: string): TaskRun {
  const started = timestamp(task.start_time);
  const finished = timestamp(task.end_time);
  const type = stateTypeOf(task);
  const status = mapStateType(type);
  return {
    task_id: taskId,
    map_index: null,
    try_number: Math.max(task.run_count ?? 0, started ? 1 : 0),
    max_tries: attemptsAllowed(task),
    status,
    native_status: stateNameOf(task),
    started_at: started,
    finished_at: finished,
    duration_seconds: durationSeconds(started, finished),
    error: failureMessage(task.state ?? (type ? { type, message: null } : null)),
  };
}

/** Task ids for a list of task runs: names, or the UUID for the second and later runs sharing a name. */
export function taskIds(tasks: readonly PrefectTaskRun[]): string[] {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const seen = new Set<string>();
  return tasks.map((t) => {
    if ((counts.get(t.name) ?? 0) > 1 && seen.has(t.name)) return t.id;
    seen.add(t.name);
    return t.name;
  });
}

/** Python logging level names. */
export function levelName(level: number): string {
  if (level >= 50) return 'CRITICAL';
  if (level >= 40) return 'ERROR';
  if (level >= 30) return 'WARNING';
  if (level >= 20) return 'INFO';
  if (level >= 10) return 'DEBUG';
  return `LEVEL${level}`;
}

/** `[timestamp] LEVEL logger - message`, split into physical lines. */
export function renderLog(log: {
  timestamp: string;
  level: number;
  name: string;
  message: string;
}): string[] {
  const lines = `[${log.timestamp}] ${levelName(log.level)} ${log.name} - ${log.message}`.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
