import type { TaskRun } from '../../core/model.js';

/**
 * The task that failed first on its own, not because something upstream failed:
 * that is where the error message is.
 */
export function rootCauseTask(tasks: readonly TaskRun[]): TaskRun | null {
  const failed = tasks.filter((t) => t.status === 'failed');
  const own = failed.filter((t) => !/upstream/i.test(t.native_status));
  const pool = own.length > 0 ? own : failed;
  const sorted = [...pool].sort((a, b) => (a.finished_at ?? '~').localeCompare(b.finished_at ?? '~'));
  return sorted[0] ?? null;
}
