interface Bucket {
  tokens: number;
  at: number;
}

const PRUNE_ABOVE = 10_000;

/**
 * A token bucket per principal: `perMinute` requests, refilled continuously, so a burst up to the limit
 * is fine and a steady client never waits. Idle buckets are dropped once many principals were seen.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request for `key`: 0 when allowed, else the whole seconds until one would be. */
  take(key: string): number {
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (t - bucket.at) * this.perMs);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (this.buckets.size > PRUNE_ABOVE) this.prune(t);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  private prune(t: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (t - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
  }
}
