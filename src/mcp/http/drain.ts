/** Counts MCP exchanges in flight, so that a shutdown can wait for them; says when it is draining. */
export class Drain {
  private active = 0;
  private draining = false;
  private idle: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Counts one exchange until its response closes (finished, or the client went away). */
  track(response: { once(event: 'close', listener: () => void): unknown }): void {
    this.active += 1;
    response.once('close', () => {
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idle.splice(0)) wake();
    });
  }

  /** Starts draining and resolves true once nothing is in flight, or false when `timeoutMs` ran out first. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    if (this.active === 0) return true;
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
}
