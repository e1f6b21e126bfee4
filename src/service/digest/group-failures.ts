import type { FailureClass } from './classify.js';

export interface GroupableFailure {
  /** Identifies the failure to the caller (e.g. `orchestrator:pipeline:run_id`). */
  key: string;
  signature: string | null;
  class: FailureClass;
  error_line: string | null;
}

export interface FailureGroup {
  /** Shared signature; null for failures grouped by an identical error line. */
  signature: string | null;
  class: FailureClass;
  /** A representative error line (the first one seen in the group). */
  error_line: string | null;
  count: number;
  keys: string[];
}

/**
 * The same cause across pipelines: failures with one signature form a group; failures without a
 * signature are grouped under their class only when their error lines are identical. Every failure is in
 * exactly one group (singletons are kept); largest groups first, ties in order of first appearance.
 */
export function groupFailures(items: readonly GroupableFailure[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  items.forEach((item, i) => {
    const id =
      item.signature !== null
        ? `s\u0000${item.signature}`
        : item.error_line !== null
          ? `l\u0000${item.class}\u0000${item.error_line}`
          : `k\u0000${i}`;
    const group = groups.get(id);
    if (group) {
      group.count += 1;
      group.keys.push(item.key);
      group.error_line ??= item.error_line;
      return;
    }
    groups.set(id, {
      signature: item.signature,
      class: item.class,
      error_line: item.error_line,
      count: 1,
      keys: [item.key],
    });
  });
  // Array.prototype.sort is stable: equal counts keep the order of first appearance.
  return [...groups.values()].sort((a, b) => b.count - a.count);
}
