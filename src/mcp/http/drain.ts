interface Exchange {
  once(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

/**
 * Counts MCP exchanges in flight, so that a shutdown can wait for them, and says when it is draining.
 * Subscription streams (`subscriptions/listen`) are open-ended: they are not waited for but closed when
 * draining starts, and the client reopens them on another replica.
 */
export class Drain {
  private readonly calls = new Set<Exchange>();
  private readonly streams = new Set<Exchange>();
  private draining = false;
  private idle: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /** Counts one exchange until its response closes (finished, or the client went away). */
  track(exchange: Exchange): void {
    this.calls.add(exchange);
    exchange.once('close', () => {
      this.streams.delete(exchange);
      if (this.calls.delete(exchange)) this.settle();
    });
  }

  /** The exchange turned out to be a subscription stream: no longer waited for. */
  detach(exchange: Exchange): void {
    if (!this.calls.delete(exchange)) return;
    this.streams.add(exchange);
    if (this.draining) exchange.destroy();
    this.settle();
  }

  /** Starts draining and resolves true once no call is in flight, or false when `timeoutMs` ran out first. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    for (const stream of this.streams) stream.destroy();
    if (this.calls.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private settle(): void {
    if (this.calls.size === 0) for (const wake of this.idle.splice(0)) wake();
  }
}

/** Whether a (body-buffered) MCP request opens a subscription stream. */
export async function opensSubscription(request: Request): Promise<boolean> {
  if (request.method !== 'POST') return false;
  const text = await request.clone().text();
  if (!text.includes('subscriptions/listen')) return false;
  try {
    return (JSON.parse(text) as { method?: unknown }).method === 'subscriptions/listen';
  } catch {
    return false;
  }
}
