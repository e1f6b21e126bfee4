import type { LogRecord } from './logs.js';
import type { DeploymentEntity, FlowEntity, PrefectWorld, TaskRunRecord } from './translate.js';
import { WORK_POOL, WORK_QUEUE } from './translate.js';

/**
 * Prefect's filter semantics over the translated world. A filter's criteria are combined with its
 * `operator` (`and_` by default); `any_: []` matches nothing; comparisons with a missing value are false
 * (SQL NULL), except `is_null_`.
 */

export type Filter = Record<string, unknown> | null | undefined;
export type Pred<T> = (item: T) => boolean;
export type FlowRunRow = ReturnType<PrefectWorld['row']>;

const always = () => true;

function sub(f: Filter, key: string): Record<string, unknown> | null {
  const value = f?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function list(f: Record<string, unknown>, key: string): unknown[] | null {
  const value = f[key];
  return Array.isArray(value) ? value : null;
}

/**
 * The criteria given (null = not given) combined with the filter's operator. As in Prefect, a sub-filter
 * that is given but has no criteria is true, and one that is not given takes no part (even under or_).
 */
function combine<T>(f: Filter, criteria: (Pred<T> | null)[]): Pred<T> {
  const preds = criteria.filter((p): p is Pred<T> => p !== null);
  if (preds.length === 0) return always;
  if (f?.operator === 'or_') return (x) => preds.some((p) => p(x));
  return (x) => preds.every((p) => p(x));
}

/** A given sub-filter's criteria; null when the sub-filter is not given. */
function group<T>(f: Record<string, unknown> | null, criteria: (Pred<T> | null)[]): Pred<T> | null {
  return f ? combine(f, criteria) : null;
}

/** any_ / not_any_ / is_null_ / like_ / startswith_ over one (nullable) value. */
function scalar<T>(
  get: (x: T) => string | null,
  f: Record<string, unknown> | null,
  caseless = false,
): Pred<T> | null {
  if (!f) return null;
  const preds: Pred<T>[] = [];
  const norm = (v: unknown) => (caseless ? String(v).toLowerCase() : String(v));
  const any = list(f, 'any_');
  if (any) {
    const set = new Set(any.map(norm));
    preds.push((x) => {
      const v = get(x);
      return v !== null && set.has(norm(v));
    });
  }
  const notAny = list(f, 'not_any_');
  if (notAny) {
    const set = new Set(notAny.map(norm));
    preds.push((x) => {
      const v = get(x);
      return v !== null && !set.has(norm(v));
    });
  }
  if (typeof f.like_ === 'string') {
    const needle = f.like_.toLowerCase();
    preds.push((x) => (get(x) ?? '').toLowerCase().includes(needle));
  }
  const starts = list(f, 'startswith_');
  if (starts) preds.push((x) => starts.some((s) => (get(x) ?? '').startsWith(String(s))));
  if (typeof f.is_null_ === 'boolean') {
    const wanted = f.is_null_;
    preds.push((x) => (get(x) === null) === wanted);
  }
  return combine(f, preds);
}

function tags<T>(get: (x: T) => readonly string[], f: Record<string, unknown> | null): Pred<T> | null {
  if (!f) return null;
  const preds: Pred<T>[] = [];
  const all = list(f, 'all_');
  if (all) preds.push((x) => all.every((t) => get(x).includes(String(t))));
  const any = list(f, 'any_');
  if (any) preds.push((x) => any.some((t) => get(x).includes(String(t))));
  if (typeof f.is_null_ === 'boolean') {
    const wanted = f.is_null_;
    preds.push((x) => (get(x).length === 0) === wanted);
  }
  return combine(f, preds);
}

function timeRange<T>(get: (x: T) => number | null, f: Record<string, unknown> | null): Pred<T> | null {
  if (!f) return null;
  const preds: Pred<T>[] = [];
  if (typeof f.before_ === 'number') {
    const limit = f.before_;
    preds.push((x) => {
      const v = get(x);
      return v !== null && v <= limit;
    });
  }
  if (typeof f.after_ === 'number') {
    const limit = f.after_;
    preds.push((x) => {
      const v = get(x);
      return v !== null && v >= limit;
    });
  }
  if (typeof f.is_null_ === 'boolean') {
    const wanted = f.is_null_;
    preds.push((x) => (get(x) === null) === wanted);
  }
  return combine(null, preds);
}

function numberRange<T>(get: (x: T) => number | null, f: Record<string, unknown> | null): Pred<T> | null {
  if (!f) return null;
  const preds: Pred<T>[] = [];
  if (typeof f.ge_ === 'number') {
    const limit = f.ge_;
    preds.push((x) => {
      const v = get(x);
      return v !== null && v >= limit;
    });
  }
  if (typeof f.le_ === 'number') {
    const limit = f.le_;
    preds.push((x) => {
      const v = get(x);
      return v !== null && v <= limit;
    });
  }
  if (typeof f.is_null_ === 'boolean') {
    const wanted = f.is_null_;
    preds.push((x) => (get(x) === null) === wanted);
  }
  return combine(null, preds);
}

export function flowRunPredicate(f: Filter): Pred<FlowRunRow> {
  if (!f) return always;
  const state = sub(f, 'state');
  const preds: (Pred<FlowRunRow> | null)[] = [
    scalar((r) => r.id, sub(f, 'id')),
    scalar((r) => r.name, sub(f, 'name')),
    tags((r) => r.tags, sub(f, 'tags')),
    scalar((r) => r.deploymentId, sub(f, 'deployment_id')),
    scalar((r) => r.workQueueName, sub(f, 'work_queue_name')),
    group(state, [
      scalar((r) => r.state.type, sub(state, 'type')),
      scalar((r) => r.state.name, sub(state, 'name')),
    ]),
    scalar((r) => r.flowVersion, sub(f, 'flow_version')),
    timeRange((r) => r.start, sub(f, 'start_time')),
    timeRange((r) => r.end, sub(f, 'end_time')),
    timeRange((r) => r.expected, sub(f, 'expected_start_time')),
    timeRange((r) => r.nextScheduled, sub(f, 'next_scheduled_start_time')),
    // No subflows in the emulator: nothing has a parent.
    scalar(() => null, sub(f, 'parent_flow_run_id')),
    scalar(() => null, sub(f, 'parent_task_run_id')),
    scalar((r) => r.idempotencyKey, sub(f, 'idempotency_key')),
  ];
  const createdBy = sub(f, 'created_by');
  if (createdBy) {
    preds.push(
      group(createdBy, [
        scalar((r) => r.createdBy?.id ?? null, { any_: createdBy.id_ ?? null }),
        scalar((r) => r.createdBy?.type ?? null, { any_: createdBy.type_ ?? null }),
        scalar((r) => (r.createdBy === null ? null : 'set'), { is_null_: createdBy.is_null_ ?? null }),
      ]),
    );
  }
  return combine(f, preds);
}

export function deploymentPredicate(f: Filter): Pred<DeploymentEntity> {
  if (!f) return always;
  return combine(f, [
    scalar((d) => d.id, sub(f, 'id')),
    scalar((d) => d.name, sub(f, 'name')),
    (() => {
      const either = sub(f, 'flow_or_deployment_name');
      if (!either) return null;
      if (typeof either.like_ !== 'string') return always;
      const needle = either.like_.toLowerCase();
      return (d: DeploymentEntity) =>
        d.name.toLowerCase().includes(needle) || d.flow.name.toLowerCase().includes(needle);
    })(),
    (() => {
      const paused = sub(f, 'paused');
      if (!paused) return null;
      return typeof paused.eq_ === 'boolean' ? (d: DeploymentEntity) => d.dag.paused === paused.eq_ : always;
    })(),
    tags((d) => d.tags, sub(f, 'tags')),
    scalar(() => WORK_QUEUE.name, sub(f, 'work_queue_name')),
    numberRange(() => null, sub(f, 'concurrency_limit')),
  ]);
}

export function flowPredicate(f: Filter): Pred<FlowEntity> {
  if (!f) return always;
  const deployment = sub(f, 'deployment');
  return combine(f, [
    scalar((x) => x.id, sub(f, 'id')),
    !deployment
      ? null
      : typeof deployment.is_null_ === 'boolean'
        ? (x: FlowEntity) => (x.deployments.length === 0) === deployment.is_null_
        : always,
    scalar((x) => x.name, sub(f, 'name')),
    tags(() => [], sub(f, 'tags')),
  ]);
}

export function taskRunPredicate(f: Filter): Pred<TaskRunRecord> {
  if (!f) return always;
  const state = sub(f, 'state');
  const subflows = sub(f, 'subflow_runs');
  return combine(f, [
    scalar((t) => t.id, sub(f, 'id')),
    scalar((t) => t.name, sub(f, 'name')),
    tags(() => [], sub(f, 'tags')),
    group(state, [
      scalar((t) => t.state.type, sub(state, 'type')),
      scalar((t) => t.state.name, sub(state, 'name')),
    ]),
    timeRange((t) => t.start, sub(f, 'start_time')),
    timeRange((t) => t.end, sub(f, 'end_time')),
    timeRange((t) => t.expected, sub(f, 'expected_start_time')),
    !subflows ? null : typeof subflows.exists_ === 'boolean' ? () => subflows.exists_ === false : always,
    scalar((t) => t.flowRunId, sub(f, 'flow_run_id')),
  ]);
}

/** The work pool / queue filters over the emulator's single pool and queue: all or nothing. */
export function workPoolMatches(pools: Filter, queues: Filter): boolean {
  const pool = combine<null>(pools, [
    scalar(() => WORK_POOL.id, sub(pools, 'id')),
    scalar(() => WORK_POOL.name, sub(pools, 'name')),
    scalar(() => WORK_POOL.type, sub(pools, 'type')),
  ]);
  const queue = combine<null>(queues, [
    scalar(() => WORK_QUEUE.id, sub(queues, 'id')),
    scalar(() => WORK_QUEUE.name, sub(queues, 'name')),
  ]);
  return pool(null) && queue(null);
}

export function logPredicate(f: Filter): Pred<LogRecord> {
  if (!f) return always;
  const text = sub(f, 'text');
  return combine(f, [
    numberRange((l) => l.level, sub(f, 'level')),
    timeRange((l) => l.timestamp, sub(f, 'timestamp')),
    scalar((l) => l.flowRunId, sub(f, 'flow_run_id')),
    scalar((l) => l.taskRunId, sub(f, 'task_run_id')),
    !text ? null : typeof text.query === 'string' ? textSearch(text.query) : always,
  ]);
}

/** Prefect's log text search: terms (any may match), `-term` exclusions, "quoted phrases". Case-insensitive. */
function textSearch(query: string): Pred<LogRecord> {
  const terms = [...query.matchAll(/(-?)"([^"]*)"|(-?)(\S+)/g)].map((m) => ({
    negative: (m[1] ?? m[3]) === '-',
    text: (m[2] ?? m[4] ?? '').toLowerCase(),
  }));
  const include = terms.filter((t) => !t.negative && t.text.length > 0);
  const exclude = terms.filter((t) => t.negative && t.text.length > 0);
  return (l) => {
    const haystack = `${l.message} ${l.name}`.toLowerCase();
    if (exclude.some((t) => haystack.includes(t.text))) return false;
    return include.length === 0 || include.some((t) => haystack.includes(t.text));
  };
}
