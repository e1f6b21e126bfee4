import type { World, WorldRun } from '../world/index.js';
import { RUN_STATES, RUN_TYPES } from './context.js';
import { HttpError } from './errors.js';
import { inRange, rangeIsSet } from './params.js';
import type { TimeRange } from './params.js';
import { comparatorFor, page } from './ordering.js';
import type { SortOptions, SortSpec } from './ordering.js';
import { durationSeconds } from './serializers.js';

/** Filters shared by `GET …/dagRuns` and `POST /dags/~/dagRuns/list`. */
export interface RunFilter {
  dagIds: ReadonlySet<string> | null;
  /** null in the list = runs without a state. */
  states: readonly (string | null)[] | null;
  runTypes: readonly string[] | null;
  ranges: { value: (run: WorldRun) => number | null; range: TimeRange }[];
  predicates: ((run: WorldRun) => boolean)[];
}

/** The runs of `source` that pass the filter (`source` itself when nothing filters). */
export function selectRuns(source: readonly WorldRun[], filter: RunFilter): readonly WorldRun[] {
  const ranges = filter.ranges.filter(({ range }) => rangeIsSet(range));
  const f = { ...filter, ranges };
  const none = !f.dagIds && !f.states && !f.runTypes && ranges.length === 0 && f.predicates.length === 0;
  return none ? source : source.filter((r) => matchesRun(r, f));
}

function matchesRun(run: WorldRun, filter: RunFilter): boolean {
  if (filter.dagIds && !filter.dagIds.has(run.dag_id)) return false;
  if (filter.states && !filter.states.includes(run.state)) return false;
  if (filter.runTypes && !filter.runTypes.includes(run.run_type)) return false;
  for (const { value, range } of filter.ranges) if (!inRange(value(run), range)) return false;
  return filter.predicates.every((p) => p(run));
}

/** The run fields that can be range-filtered. start/end dates of unfinished runs count as `now` when `coalesceNow`. */
export function runDateGetters(now: number | null): Record<string, (run: WorldRun) => number | null> {
  return {
    run_after: (r) => r.run_after,
    logical_date: (r) => r.logical_date,
    start_date: now === null ? (r) => r.start_date : (r) => r.start_date ?? now,
    end_date: now === null ? (r) => r.end_date : (r) => r.end_date ?? now,
    updated_at: (r) => r.updated_at,
    duration: (r) => durationSeconds(r.start_date, r.end_date),
  };
}

/** `state=` values; `none` means no state. Bad values are a 422 with a plain-string detail (Airflow raises it by hand). */
export function runStatesParam(values: readonly string[]): (string | null)[] | null {
  if (values.length === 0) return null;
  if (values.some((v) => v !== 'none' && !(RUN_STATES as readonly string[]).includes(v))) {
    throw new HttpError(422, `Invalid value for state. Valid values are ${RUN_STATES.join(', ')}`);
  }
  return values.map((v) => (v === 'none' ? null : v));
}

export function runTypesParam(values: readonly string[]): string[] | null {
  if (values.length === 0) return null;
  if (values.some((v) => v !== 'none' && !(RUN_TYPES as readonly string[]).includes(v))) {
    throw new HttpError(422, `Invalid value for run type. Valid values are ${RUN_TYPES.join(', ')}`);
  }
  return [...values];
}

export const RUN_SORT: SortSpec<WorldRun> = {
  attrs: {
    id: (r) => r.id,
    state: (r) => r.state,
    dag_id: (r) => r.dag_id,
    run_id: (r) => r.run_id,
    logical_date: (r) => r.logical_date,
    run_after: (r) => r.run_after,
    start_date: (r) => r.start_date,
    end_date: (r) => r.end_date,
    updated_at: (r) => r.updated_at,
    conf: (r) => JSON.stringify(r.conf),
    duration: (r) => durationSeconds(r.start_date, r.end_date),
  },
  aliases: { dag_run_id: 'run_id' },
  primaryKey: (r) => r.id,
};

/** How an API version orders runs: its sortable attributes, where nulls go, and which keys have a presorted list. */
export interface RunOrdering {
  spec: SortSpec<WorldRun>;
  options?: SortOptions;
  /** Public sort keys whose order is the world's id order or run_after order. */
  presorted?: Record<string, 'id' | 'run_after'>;
}

/** Airflow 3's `/api/v2` run ordering. */
export const V2_RUN_ORDERING: RunOrdering = {
  spec: RUN_SORT,
  presorted: { id: 'id', run_after: 'run_after' },
};

/**
 * One page of the runs of a DAG (or of all DAGs when `dagId` is null) and the number of matches.
 * Ordering all runs by a presorted key alone (id, run_after) walks a presorted list instead of sorting.
 */
export function pageOfRuns(
  world: World,
  dagId: string | null,
  filter: RunFilter,
  order: readonly string[],
  offset: number,
  limit: number,
  ordering: RunOrdering = V2_RUN_ORDERING,
): { runs: WorldRun[]; total: number } {
  const compare = comparatorFor(order, ordering.spec, ordering.options);
  const only = order.length === 1 ? (order[0] as string) : '';
  const presorted = ordering.presorted?.[only.replace(/^-+/, '')];
  if (dagId === null && presorted) {
    const sorted = presorted === 'id' ? world.runs : world.runsByRunAfter;
    const matches = selectRuns(sorted, filter);
    const n = matches.length;
    const runs: WorldRun[] = [];
    for (let i = offset; i < Math.min(n, offset + limit); i++) {
      runs.push(matches[only.startsWith('-') ? n - 1 - i : i] as WorldRun);
    }
    return { runs, total: n };
  }
  const matches = selectRuns(dagId === null ? world.runs : world.runsOf(dagId), filter);
  return { runs: page(matches, compare, offset, limit), total: matches.length };
}
