import type { CircuitBreakerPolicy } from 'cockatiel';
import { ConsecutiveBreaker, handleWhen, BrokenCircuitError, CircuitState, circuitBreaker } from 'cockatiel';

/**
 * A circuit breaker for one orchestrator (cockatiel's, with a ConsecutiveBreaker): after `failures` failed
 * requests in a row it opens, and requests fail at once without reaching the orchestrator; after `cooldownMs`
 * one trial request goes through (half-open) and its outcome closes or reopens it. Only what says the
 * orchestrator is unwell counts as a failure (the caller decides: transport failures, timeouts, 5xx);
 * a 4xx, a cancelled call or an answer we could not parse do not.
 */

export interface CircuitOptions {
  /** Failed requests in a row that open the circuit; 0 turns the breaker off. */
  failures: number;
  /** How long it stays open before a trial request. */
  cooldownMs: number;
}

/** What one guarded request produced: its value, and why it counts as a failure (null when it does not). */
export interface Guarded<T> {
  value: T;
  failure: string | null;
}

/** The circuit is open: nothing was sent. */
export class CircuitOpenError extends Error {
  constructor(
    /** How long until a trial request is allowed. */
    readonly retryInMs: number,
    readonly failures: number,
    /** The failure that opened it, described. */
    readonly lastFailure: string,
  ) {
    super('circuit open');
    this.name = 'CircuitOpenError';
  }
}

export class Circuit {
  private readonly policy: CircuitBreakerPolicy | null;
  private openedAt = 0;
  private lastFailure = 'unknown failure';

  constructor(
    private readonly options: CircuitOptions,
    /** Describes an error that counts as a failure of the orchestrator; null for one that does not. */
    private readonly describeFailure: (error: unknown) => string | null,
    /** Whether an error means the caller stopped the request (cancelled, out of time), not the orchestrator. */
    private readonly isStopped: (error: unknown) => boolean = () => false,
  ) {
    this.policy =
      options.failures > 0
        ? circuitBreaker(
            handleWhen((e) => describeFailure(e) !== null).orWhenResult(
              (r) => (r as Guarded<unknown>).failure !== null,
            ),
            { halfOpenAfter: options.cooldownMs, breaker: new ConsecutiveBreaker(options.failures) },
          )
        : null;
    this.policy?.onBreak((reason) => {
      this.openedAt = Date.now();
      if ('error' in reason) this.lastFailure = describeFailure(reason.error) ?? this.lastFailure;
      else if ('value' in reason)
        this.lastFailure = (reason.value as Guarded<unknown>).failure ?? this.lastFailure;
    });
  }

  /** 'closed', 'open' or 'half-open' (a trial request is out); for tests and logs. */
  get state(): 'closed' | 'open' | 'half-open' {
    const state = this.policy?.state ?? 0;
    return state === 1 || state === 3 ? 'open' : state === 2 ? 'half-open' : 'closed';
  }

  async run<T>(fn: () => Promise<Guarded<T>>): Promise<T> {
    const policy = this.policy;
    if (!policy) return (await fn()).value;
    let stopped: { error: unknown } | null = null;
    try {
      const result = await policy.execute(async (): Promise<Guarded<T>> => {
        try {
          return await fn();
        } catch (error) {
          // A trial request its caller stopped says nothing about the orchestrator: cockatiel would count
          // the unhandled error as a success and close the circuit, so the trial counts as failed instead.
          if (policy.state === CircuitState.HalfOpen && this.isStopped(error)) {
            stopped = { error };
            return { value: undefined as T, failure: this.lastFailure };
          }
          throw error;
        }
      });
      if (stopped) throw (stopped as { error: unknown }).error;
      return result.value;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const retryInMs = Math.max(0, this.openedAt + this.options.cooldownMs - Date.now());
        throw new CircuitOpenError(retryInMs, this.options.failures, this.lastFailure);
      }
      throw error;
    }
  }
}
