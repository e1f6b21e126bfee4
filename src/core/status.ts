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
