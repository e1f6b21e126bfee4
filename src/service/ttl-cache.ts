import { runInCall, SharedScope } from '../core/call-context.js';

/**
 * A short-lived cache that also coalesces concurrent identical calls into one upstream request.
 * Entries older than `ttlMs` are never served; failures are not cached.
 */
export class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T>; scope: SharedScope }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 256,
  ) {}

  /** `keep`: whether a loaded value may be reused (a partial answer is shared with concurrent callers only). */
  get(key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const hit = this.entries.get(key);
    // A coalesced load stops only when every call waiting for it has stopped (cancelled or out of time).
    if (hit && this.now() - hit.at < this.ttlMs && !hit.scope.signal.aborted) {
      hit.scope.join();
      return hit.value;
    }
    const scope = new SharedScope();
    scope.join();
    const value = runInCall(scope, load);
    this.entries.set(key, { at: this.now(), value, scope });
    value.then(
      (loaded) => {
        scope.release();
        if (!keep(loaded) && this.entries.get(key)?.value === value) this.entries.delete(key);
      },
      () => {
        scope.release();
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      },
    );
    if (this.entries.size > this.maxEntries) this.evictOldest();
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  private evictOldest(): void {
    const first = this.entries.keys().next();
    if (!first.done) this.entries.delete(first.value);
  }
}
