import type { Pipeline, PipelineRun, TaskRun, TriggerKind } from '../../core/model.js';
import type { RunStatus } from '../../core/status.js';
import { sanitizeText } from '../http/index.js';
import type {
  DagsterJob,
  DagsterRun,
  DagsterStepStat,
  DagsterTag,
  ErrorMember,
  PythonErrorShape,
} from './schemas.js';

/**
 * Dagster native values → the core model. Pure functions only; the tables are exported so the documentation
 * can be generated from (or checked against) them.
 */

import type { StatusMappingRow } from '../../core/status.js';

export type { StatusMappingRow };

/** DagsterRunStatus → RunStatus. */
export const RUN_STATUS_TABLE: readonly StatusMappingRow[] = [
  { native: 'QUEUED', status: 'pending', note: 'waiting in the run queue (run coordinator limits)' },
  { native: 'NOT_STARTED', status: 'pending', note: 'created but not submitted to the run launcher yet' },
  {
    native: 'MANAGED',
    status: 'unknown',
    note: 'executed and tracked outside Dagster’s run launcher: Dagster does not know its progress',
  },
  {
    native: 'STARTING',
    status: 'running',
    note: 'the run launcher is starting the run worker (Dagster counts it as in progress)',
  },
  { native: 'STARTED', status: 'running', note: '' },
  { native: 'SUCCESS', status: 'success', note: '' },
  { native: 'FAILURE', status: 'failed', note: '' },
  {
    native: 'CANCELING',
    status: 'running',
    note: 'termination was requested; the run is still shutting down (not terminal yet)',
  },
  { native: 'CANCELED', status: 'cancelled', note: 'terminated by a user or a run monitor' },
];

/** StepEventStatus (RunStepStats.status) → RunStatus. */
export const STEP_STATUS_TABLE: readonly StatusMappingRow[] = [
  { native: null, status: 'unknown', note: 'no status event was recorded for the step' },
  { native: 'IN_PROGRESS', status: 'running', note: 'also between the attempts of a retried step' },
  { native: 'SUCCESS', status: 'success', note: '' },
  { native: 'FAILURE', status: 'failed', note: 'its last attempt failed' },
  {
    native: 'SKIPPED',
    status: 'cancelled',
    note: 'did not run by design (an optional upstream output was not yielded): not a failure',
  },
];

/** Any native status not listed above maps to 'unknown'. */
export const UNKNOWN_STATUS: RunStatus = 'unknown';

/** Run tags that tell how a run was created, checked in this order; runs with none of them are manual. */
export const TRIGGER_TAG_TABLE: readonly { tag: string; trigger: TriggerKind }[] = [
  { tag: 'dagster/backfill', trigger: 'backfill' },
  { tag: 'dagster/schedule_name', trigger: 'scheduled' },
  { tag: 'dagster/sensor_name', trigger: 'event' },
  { tag: 'dagster/auto_materialize', trigger: 'event' },
  { tag: 'dagster/from_automation_condition', trigger: 'event' },
];

const RUN_STATUS = new Map(RUN_STATUS_TABLE.map((row) => [row.native, row.status]));
const STEP_STATUS = new Map(STEP_STATUS_TABLE.map((row) => [row.native, row.status]));

export function mapRunStatus(status: string): RunStatus {
  return RUN_STATUS.get(status) ?? UNKNOWN_STATUS;
}

export function mapStepStatus(status: string | null | undefined): RunStatus {
  return STEP_STATUS.get(status ?? null) ?? UNKNOWN_STATUS;
}

/** The DagsterRunStatus values to filter on for the requested statuses (none for 'unknown' alone is MANAGED). */
export function runStatusesFor(statuses: readonly RunStatus[]): string[] {
  const wanted = new Set(statuses);
  return RUN_STATUS_TABLE.filter((row) => wanted.has(row.status) && row.native !== null).map(
    (row) => row.native as string,
  );
}

export function triggerOf(tags: readonly DagsterTag[]): TriggerKind {
  const keys = new Set(tags.map((t) => t.key));
  return TRIGGER_TAG_TABLE.find((row) => keys.has(row.tag))?.trigger ?? 'manual';
}

/** Epoch seconds (Dagster's Float timestamps) → ISO-8601; null when absent or not a plausible instant. */
export function isoFromSeconds(value: number | null | undefined): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1e11) return null;
  return new Date(Math.round(value * 1000)).toISOString();
}

/** Event timestamps are strings of epoch milliseconds. */
export function isoFromMillisString(value: string | null | undefined): string | null {
  if (!value || !/^\d{1,16}(\.\d+)?$/.test(value)) return null;
  const ms = Number(value);
  return ms > 0 ? new Date(Math.round(ms)).toISOString() : null;
}

export function durationOf(start: number | null | undefined, end: number | null | undefined): number | null {
  if (
    typeof start !== 'number' ||
    typeof end !== 'number' ||
    !Number.isFinite(start) ||
    !Number.isFinite(end)
  )
    return null;
  const seconds = end - start;
  return seconds >= 0 ? Math.round(seconds * 10) / 10 : null;
}

// ---------------------------------------------------------------------------------------------------------
// Pipeline ids

/** Dagster's default repository name (a code location's `Definitions`). */
export const DEFAULT_REPOSITORY = '__repository__';
/** Prefix of the pipeline id given to a code location that fails to load. */
export const CODE_LOCATION_PREFIX = 'code_location:';

export interface JobAddress {
  job: string;
  repository: string;
  location: string;
}

/** `<job>@<repository>:<location>`: how a job name used in several code locations/repositories is told apart. */
export function qualifiedJobId(address: JobAddress): string {
  return `${address.job}@${address.repository}:${address.location}`;
}

/** The parts of a qualified id, or null for a plain job name. */
export function parseQualifiedJobId(id: string): JobAddress | null {
  const at = id.lastIndexOf('@');
  if (at <= 0) return null;
  const rest = id.slice(at + 1);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { job: id.slice(0, at), repository: rest.slice(0, colon), location: rest.slice(colon + 1) };
}

/** Jobs Dagster generates for ad-hoc asset materializations; not pipelines anyone declared. */
export function isImplicitAssetJob(name: string): boolean {
  return name.startsWith('__ASSET_JOB');
}

// ---------------------------------------------------------------------------------------------------------
// Pipelines

export interface MappingContext {
  orchestrator: string;
  /** Base URL of the Dagster webserver / Dagster+ deployment, without a trailing slash. */
  baseUrl: string;
}

export function jobUrl(ctx: MappingContext, address: JobAddress): string {
  const repo =
    address.repository === DEFAULT_REPOSITORY
      ? encodeURIComponent(address.location)
      : `${encodeURIComponent(address.repository)}@${encodeURIComponent(address.location)}`;
  return `${ctx.baseUrl}/locations/${repo}/jobs/${encodeURIComponent(address.job)}`;
}

export function runUrl(ctx: MappingContext, runId: string): string {
  return `${ctx.baseUrl}/runs/${encodeURIComponent(runId)}`;
}

/** `key=value`, or the key alone for a tag with an empty value (as Dagster's kind tags are). */
export function renderTag(tag: DagsterTag): string {
  return tag.value === '' ? tag.key : `${tag.key}=${tag.value}`;
}

/** Tags whose value names an owner, for servers without `Job.owners` (or jobs that declare none). */
export const OWNER_TAG_KEYS = ['dagster/owner', 'owner', 'team'] as const;

export function ownersOf(job: DagsterJob): string[] {
  const owners: string[] = [];
  for (const owner of job.owners ?? []) {
    const name = owner.__typename === 'TeamDefinitionOwner' ? owner.team : owner.email;
    if (name) owners.push(name);
  }
  if (owners.length === 0) {
    for (const tag of job.tags ?? []) {
      if ((OWNER_TAG_KEYS as readonly string[]).includes(tag.key.toLowerCase())) {
        // "team:data-platform" is how Dagster writes team owners; tags may use the same spelling.
        for (const part of tag.value.split(',')) {
          const name = part.trim().replace(/^team:/, '');
          if (name) owners.push(name);
        }
      }
    }
  }
  return [...new Set(owners)];
}

/** True when the job has schedules or sensors and every one of them is stopped. */
export function isPaused(job: DagsterJob): boolean {
  const states = [
    ...(job.schedules ?? []).map((s) => s.scheduleState.status),
    ...(job.sensors ?? []).map((s) => s.sensorState.status),
  ];
  return states.length > 0 && states.every((s) => s === 'STOPPED');
}

/** The cron expression(s) of the job's schedules (running ones first), else its sensors; null when none. */
export function scheduleOf(job: DagsterJob): string | null {
  const schedules = [...(job.schedules ?? [])].sort(
    (a, b) => Number(a.scheduleState.status === 'STOPPED') - Number(b.scheduleState.status === 'STOPPED'),
  );
  if (schedules.length > 0) {
    const crons = [...new Set(schedules.map((s) => s.cronSchedule.trim()).filter((c) => c.length > 0))];
    const tz = schedules[0]?.executionTimezone;
    if (crons.length > 0) return `${crons.join(', ')}${tz && tz !== 'UTC' ? ` (${tz})` : ''}`;
  }
  const sensors = job.sensors ?? [];
  if (sensors.length > 0) return `sensor: ${sensors.map((s) => s.name).join(', ')}`;
  return null;
}

export function toPipeline(ctx: MappingContext, id: string, address: JobAddress, job: DagsterJob): Pipeline {
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: id,
    description: job.description?.trim() ? job.description.trim() : null,
    owners: ownersOf(job),
    tags: (job.tags ?? []).map(renderTag),
    schedule: scheduleOf(job),
    paused: isPaused(job),
    broken: null,
    url: jobUrl(ctx, address),
  };
}

/** A code location that fails to load: its jobs are unknown, so the location itself is reported as broken. */
export function brokenLocationPipeline(ctx: MappingContext, location: string, error: ErrorMember): Pipeline {
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: `${CODE_LOCATION_PREFIX}${location}`,
    description: `Dagster code location ${location}, which fails to load: its jobs are not available.`,
    owners: [],
    tags: [],
    schedule: null,
    paused: false,
    broken: { error: `${errorSummary(error, 600)} (code location ${location})` },
    url: `${ctx.baseUrl}/locations`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Runs and steps

export function toPipelineRun(ctx: MappingContext, pipelineId: string, run: DagsterRun): PipelineRun {
  return {
    orchestrator: ctx.orchestrator,
    pipeline_id: pipelineId,
    run_id: run.runId,
    status: mapRunStatus(run.status),
    native_status: run.status,
    queued_at: isoFromSeconds(run.creationTime),
    started_at: isoFromSeconds(run.startTime),
    finished_at: isoFromSeconds(run.endTime),
    duration_seconds: typeof run.endTime === 'number' ? durationOf(run.startTime, run.endTime) : null,
    trigger: triggerOf(run.tags),
    error_message: null,
    failed_tasks: [],
    url: runUrl(ctx, run.runId),
  };
}

export function toTaskRun(step: DagsterStepStat, error: string | null): TaskRun {
  const status = mapStepStatus(step.status);
  const attempts = step.attempts?.length ?? 0;
  return {
    task_id: step.stepKey,
    map_index: null,
    try_number: Math.max(attempts, step.status ? 1 : 0),
    max_tries: null,
    status,
    native_status: step.status ?? 'none',
    started_at: isoFromSeconds(step.startTime),
    finished_at: isoFromSeconds(step.endTime),
    duration_seconds: typeof step.endTime === 'number' ? durationOf(step.startTime, step.endTime) : null,
    error: status === 'failed' ? error : null,
  };
}

export function failedSteps(steps: readonly Pick<DagsterStepStat, 'stepKey' | 'status'>[]): string[] {
  return steps.filter((s) => mapStepStatus(s.status) === 'failed').map((s) => s.stepKey);
}

/** "Step x failed: <error>." / "Steps x, y failed." — a short failure summary for a failed run. */
export function summarizeRunFailure(failed: readonly string[], errors: ReadonlyMap<string, string>): string {
  if (failed.length === 0) {
    return 'The run failed but no step is in the FAILURE state (the run worker may have crashed or been terminated).';
  }
  const first = failed[0] as string;
  const firstError = errors.get(first);
  if (failed.length === 1)
    return firstError ? `Step ${first} failed: ${firstError}` : `Step ${first} failed.`;
  const shown = failed.slice(0, 5).join(', ');
  const more = failed.length > 5 ? ` and ${failed.length - 5} more` : '';
  return `Steps ${shown}${more} failed.${firstError ? ` ${first}: ${firstError}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/**
 * `module.Class: message` of one error. Dagster's `message` already starts with the qualified class name
 * (it is Python's `format_exception_only`); the class name is only added when it does not.
 */
export function errorHeadline(error: Pick<PythonErrorShape, 'message' | 'className'>, max = 400): string {
  const message = sanitizeText(error.message, max);
  const className = error.className?.trim();
  if (!className || new RegExp(`(^|\\.)${escapeRegExp(className)}:`).test(message.split(' ')[0] ?? ''))
    return message;
  return sanitizeText(`${className}: ${message}`, max);
}

/** The error and its causes (outermost first), at most `depth` of them. */
export function errorChain(error: PythonErrorShape, depth = 5): PythonErrorShape[] {
  const chain: PythonErrorShape[] = [];
  let current: PythonErrorShape | null | undefined = error;
  while (current && chain.length < depth) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

/** "Outer: message — caused by Inner: message", bounded. */
export function errorSummary(error: PythonErrorShape | ErrorMember, max = 1000): string {
  const chain = errorChain({ ...error, message: error.message ?? error.__typename ?? 'error' });
  const text = chain.map((e) => errorHeadline(e, max)).join(' — caused by ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Renders an error chain as Python prints it: the innermost cause first, each with its traceback. */
export function renderTraceback(error: PythonErrorShape): string[] {
  const chain = errorChain(error).reverse();
  const lines: string[] = [];
  chain.forEach((e, i) => {
    if (i > 0) {
      lines.push('', 'The above exception was the direct cause of the following exception:', '');
    }
    const stack = (e.stack ?? []).flatMap((frame) => frame.split(/\r?\n/)).filter((l) => l.trim().length > 0);
    if (stack.length > 0) lines.push('Traceback (most recent call last):', ...stack);
    const message = e.message.replace(/\s+$/, '');
    const className = e.className?.trim();
    const first = message.split('\n')[0] ?? '';
    const text =
      className && !new RegExp(`(^|\\.)${escapeRegExp(className)}:`).test(first.split(' ')[0] ?? '')
        ? `${className}: ${message}`
        : message;
    lines.push(...text.split(/\r?\n/));
  });
  return lines;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
