/** The normalized run/task status every adapter maps its native states onto. */
export const RUN_STATUSES = ['pending', 'running', 'success', 'failed', 'cancelled', 'unknown'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run that has not reached a terminal state. */
export function isActive(status: RunStatus): boolean {
  return status === 'pending' || status === 'running';
}

export function isTerminal(status: RunStatus): boolean {
  return status === 'success' || status === 'failed' || status === 'cancelled';
}

/** One row of an adapter's mapping table: a native state, the status it maps to, and why. */
export interface StatusMappingRow {
  /** Native state; `null` where the orchestrator reports none yet (an unscheduled task, a step without events). */
  native: string | null;
  status: RunStatus;
  note: string;
}
