import { badRequest } from './errors.js';

export type SortValue = string | number | null;

export interface SortSpec<T> {
  /** Sortable attributes by public name. */
  attrs: Record<string, (item: T) => SortValue>;
  /** Public names that stand for another attribute (e.g. dag_run_id → run_id). */
  aliases?: Record<string, string>;
  /** The primary key: the final tie-breaker. */
  primaryKey: (item: T) => SortValue;
}

export interface SortOptions {
  /**
   * Where rows with a null value go. `last` (Airflow 3's SortParam): last in both directions.
   * `postgres` (Airflow 2's raw `ORDER BY x [DESC]` on PostgreSQL): last ascending, first descending.
   */
  nulls?: 'last' | 'postgres';
}

const MAX_SORT_PARAMS = 10;

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Airflow's SortParam: each `order_by` value may start with `-` (descending); unknown names are a 400.
 * Rows with a null value sort last in both directions (unless `options.nulls` says otherwise), and the
 * primary key breaks ties in the direction of the first value.
 */
export function comparatorFor<T>(
  orderBy: readonly string[],
  spec: SortSpec<T>,
  options: SortOptions = {},
): (a: T, b: T) => number {
  if (orderBy.length > MAX_SORT_PARAMS) {
    const list = `[${orderBy.map((v) => `'${v}'`).join(', ')}]`;
    throw badRequest(
      `Ordering with more than ${MAX_SORT_PARAMS} parameters is not allowed. Provided: ${list}`,
    );
  }
  const keys = orderBy.map((value) => {
    let name = value.replace(/^-+/, '');
    name = spec.aliases?.[name] ?? name;
    const get = spec.attrs[name];
    if (!get)
      throw badRequest(`Ordering with '${name}' is disallowed or the attribute does not exist on the model`);
    const sign = value.startsWith('-') ? -1 : 1;
    return { get, sign, nullsFirst: options.nulls === 'postgres' && sign < 0 };
  });
  const pkSign = orderBy[0]?.startsWith('-') ? -1 : 1;
  return (a, b) => {
    for (const { get, sign, nullsFirst } of keys) {
      const x = get(a);
      const y = get(b);
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return sign * c;
    }
    return pkSign * compareValues(spec.primaryKey(a), spec.primaryKey(b));
  };
}

/** items[offset, offset+limit) in comparator order, without sorting everything when the page is small. */
export function page<T>(
  items: readonly T[],
  compare: (a: T, b: T) => number,
  offset: number,
  limit: number,
): T[] {
  const k = offset + limit;
  if (limit <= 0 || offset >= items.length) return [];
  if (items.length < 4096 || k * 8 > items.length) return [...items].sort(compare).slice(offset, k);
  // Max-heap of the k smallest items seen so far.
  const heap: T[] = [];
  const above = (i: number, j: number) => compare(heap[i] as T, heap[j] as T) > 0;
  const swap = (i: number, j: number) => {
    const t = heap[i] as T;
    heap[i] = heap[j] as T;
    heap[j] = t;
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!above(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (compare(item, heap[0] as T) < 0) {
      heap[0] = item;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let top = i;
        if (l < k && above(l, top)) top = l;
        if (r < k && above(r, top)) top = r;
        if (top === i) break;
        swap(i, top);
        i = top;
      }
    }
  }
  return heap.sort(compare).slice(offset, k);
}
