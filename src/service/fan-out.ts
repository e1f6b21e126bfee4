import type { OrchestratorAdapter } from '../core/adapter.js';
import { isMonitorError } from '../core/errors.js';

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
 * `unavailable` entries naming the orchestrator; bugs still throw.
 */
export async function fanOut<T>(
  adapters: readonly OrchestratorAdapter[],
  task: (adapter: OrchestratorAdapter) => Promise<T>,
): Promise<FanOutResult<T>> {
  const settled = await Promise.allSettled(adapters.map((adapter) => task(adapter)));
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
