import type { OrchestratorAdapter } from '../core/adapter.js';
import { BranchScope, currentCall, runInCall, type CallScope } from '../core/call-context.js';
import { MonitorError, isMonitorError } from '../core/errors.js';

/** An orchestrator that could not answer; the others' results are still returned. */
export interface Unavailable {
  orchestrator: string;
  reason: string;
}

export interface FanOutResult<T> {
  results: { adapter: OrchestratorAdapter; value: T }[];
  unavailable: Unavailable[];
}

/**
 * Runs `task` on every adapter at once. Expected failures (auth, unreachable, upstream errors) become
 * `unavailable` entries naming the orchestrator; bugs still throw. Inside a tool call with a deadline, each
 * orchestrator's part is cut a little before it (its requests aborted), so that a slow one is named as
 * unavailable and the others' results still arrive in time.
 */
export async function fanOut<T>(
  adapters: readonly OrchestratorAdapter[],
  task: (adapter: OrchestratorAdapter) => Promise<T>,
): Promise<FanOutResult<T>> {
  const call = currentCall();
  const settled = await Promise.allSettled(adapters.map((adapter) => branch(call, adapter, task)));
  const out: FanOutResult<T> = { results: [], unavailable: [] };
  settled.forEach((outcome, i) => {
    const adapter = adapters[i] as OrchestratorAdapter;
    if (outcome.status === 'fulfilled') {
      out.results.push({ adapter, value: outcome.value });
    } else if (isMonitorError(outcome.reason)) {
      out.unavailable.push({ orchestrator: adapter.name, reason: outcome.reason.message });
    } else {
      throw outcome.reason;
    }
  });
  return out;
}

/** Time left for merging and answering once the orchestrators' parts are cut: 10% of what remains, 0.5–3 s. */
function answerMarginMs(remainingMs: number): number {
  return Math.min(3000, Math.max(500, remainingMs * 0.1));
}

async function branch<T>(
  call: CallScope | undefined,
  adapter: OrchestratorAdapter,
  task: (adapter: OrchestratorAdapter) => Promise<T>,
): Promise<T> {
  if (!call || !Number.isFinite(call.deadline)) return task(adapter);
  const now = Date.now();
  const cutAt = call.deadline - answerMarginMs(call.deadline - now);
  const scope = new BranchScope(call, cutAt, Math.max(0, cutAt - now), now);
  let onStop: () => void = () => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    onStop = () => {
      const seconds = Math.max(0, Math.round((Date.now() - now) / 100) / 10);
      reject(
        new MonitorError(
          'upstream_unavailable',
          call.signal.aborted
            ? `${adapter.name}: stopped: ${String((call.signal.reason as Error | undefined)?.message ?? 'the call was cancelled')}.`
            : `${adapter.name}: no complete answer within ${seconds} s (this call's time budget); its part is left out.`,
          { orchestrator: adapter.name, hint: `${adapter.name} is slow; ask again, or about it alone` },
        ),
      );
    };
    if (scope.signal.aborted) onStop();
    else scope.signal.addEventListener('abort', onStop, { once: true });
  });
  try {
    return await Promise.race([runInCall(scope, () => task(adapter)), stopped]);
  } finally {
    scope.signal.removeEventListener('abort', onStop);
    scope.dispose();
    stopped.catch(() => undefined);
  }
}
