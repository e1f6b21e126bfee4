import { CallBudget, runInCall } from '../core/call-context.js';
import { MonitorError } from '../core/errors.js';

/** A tool call's time budget when the configuration sets none (below the 60 s MCP clients commonly wait). */
export const DEFAULT_CALL_TIMEOUT_MS = 50_000;

/** The budget of one run of a tool: the configured one, plus the wait a write tool was asked for. */
export function callBudgetMs(timeoutMs: number | undefined, input: unknown): number {
  const wait = (input as { wait_seconds?: unknown } | null)?.wait_seconds;
  return (timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) + (typeof wait === 'number' && wait > 0 ? wait * 1000 : 0);
}

/**
 * Runs one tool's work within a call scope: its requests stop when the client cancels the call (`client`)
 * or `budgetMs` passes, and so does the wait for them — a call never hangs. Past the deadline the answer is
 * an `upstream_unavailable` error naming the orchestrators still being waited for.
 */
export async function withinCallBudget<T>(
  client: AbortSignal,
  budgetMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const budget = new CallBudget(client, budgetMs);
  let onStop: () => void = () => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onStop = () => reject(stoppedError(budget));
    if (budget.signal.aborted) onStop();
    else budget.signal.addEventListener('abort', onStop, { once: true });
  });
  try {
    return await Promise.race([runInCall(budget, work), stopped]);
  } catch (error) {
    // An error raised by the work because the call stopped says less than the stop itself.
    if (budget.signal.aborted) throw stoppedError(budget);
    throw error;
  } finally {
    budget.signal.removeEventListener('abort', onStop);
    budget.dispose();
    stopped.catch(() => undefined);
  }
}

function stoppedError(budget: CallBudget): MonitorError {
  const waiting = budget.waitingOn();
  const reason = budget.signal.reason as { why?: string } | undefined;
  const seconds = Math.round(budget.budgetMs / 100) / 10;
  if (reason?.why === 'cancelled') {
    return new MonitorError('upstream_unavailable', 'The call was cancelled; its requests were stopped.', {
      ...(waiting.length === 1 ? { orchestrator: waiting[0] } : {}),
    });
  }
  return new MonitorError(
    'upstream_unavailable',
    `The call took longer than ${seconds} s and was stopped${
      waiting.length > 0 ? `, still waiting for ${waiting.join(', ')}` : ''
    }; nothing partial could be returned.`,
    {
      ...(waiting.length === 1 ? { orchestrator: waiting[0] } : {}),
      hint: `${waiting.length > 0 ? `${waiting.join(', ')} ${waiting.length > 1 ? 'are' : 'is'} slow; ` : ''}ask again, narrow the question (orchestrator, hours, limit), or raise call_timeout_seconds`,
    },
  );
}
