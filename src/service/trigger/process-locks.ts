/** Per-key queues inside one process: calls with the same key run one at a time, in arrival order. */
export class ProcessLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const attempt = previous.catch(() => undefined).then(fn);
    this.tails.set(key, attempt);
    const cleanup = () => {
      if (this.tails.get(key) === attempt) this.tails.delete(key);
    };
    attempt.then(cleanup, cleanup);
    return attempt;
  }
}
