import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';

/**
 * The tool call a piece of work belongs to, carried implicitly (AsyncLocalStorage) from the MCP layer down to
 * every HTTP request: one signal that aborts when the client cancels the call or its time budget runs out,
 * and the deadline itself (so a retry never waits past it). No I/O here.
 */

/** Why a call stopped: the abort reason of a call's signal. */
export class CallStopped extends Error {
  constructor(
    readonly why: 'deadline' | 'cancelled',
    /** The call's whole time budget, for messages. */
    readonly budgetMs: number,
  ) {
    super(
      why === 'deadline'
        ? `the call ran out of its ${seconds(budgetMs)} s time budget`
        : 'the call was cancelled',
    );
    this.name = 'CallStopped';
  }
}

export interface CallScope {
  /** Aborts (with a CallStopped reason) when the call is cancelled or out of time. */
  readonly signal: AbortSignal;
  /** Epoch ms the call must answer by; Infinity when it has no deadline. */
  readonly deadline: number;
  /** A request to this orchestrator started (+1) or ended (-1); see `waitingOn`. */
  noteRequest(orchestrator: string, delta: 1 | -1): void;
  /** Orchestrators with a request of this call still outstanding, for the message when time runs out. */
  waitingOn(): string[];
}

const storage = new AsyncLocalStorage<CallScope>();

/** The scope of the tool call running now, if any (none outside a tool call, e.g. at startup). */
export function currentCall(): CallScope | undefined {
  return storage.getStore();
}

export function runInCall<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** What a stopped call's signal says, or a generic cancellation. */
export function stopReason(signal: AbortSignal): CallStopped {
  return signal.reason instanceof CallStopped ? signal.reason : new CallStopped('cancelled', 0);
}

/** The root scope of one tool call: aborted by the client's signal, or by the deadline `budgetMs` from now. */
export class CallBudget implements CallScope {
  readonly deadline: number;
  private readonly controller = listenable(new AbortController());
  private readonly waiting = new Map<string, number>();
  readonly dispose: () => void;

  constructor(
    client: AbortSignal,
    readonly budgetMs: number,
    now = Date.now(),
  ) {
    this.deadline = Number.isFinite(budgetMs) ? now + budgetMs : Number.POSITIVE_INFINITY;
    this.dispose = stopWhen(this.controller, client, () => new CallStopped('cancelled', budgetMs), {
      at: this.deadline,
      budgetMs,
      now,
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  noteRequest(orchestrator: string, delta: 1 | -1): void {
    noteIn(this.waiting, orchestrator, delta);
  }

  waitingOn(): string[] {
    return [...this.waiting.keys()].sort();
  }
}

/**
 * A part of a call with its own, earlier stop (one orchestrator's branch of a fan-out): aborted by the
 * parent or at `deadline`.
 */
export class BranchScope implements CallScope {
  private readonly controller = listenable(new AbortController());
  /** Stops the timer and forgets the parent's signal; call once the branch is over. */
  readonly dispose: () => void;

  constructor(
    private readonly parent: CallScope,
    readonly deadline: number,
    /** What the branch's deadline means, as the parent's budget. */
    budgetMs: number,
    now = Date.now(),
  ) {
    this.dispose = stopWhen(this.controller, parent.signal, () => parent.signal.reason, {
      at: deadline,
      budgetMs,
      now,
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  noteRequest(orchestrator: string, delta: 1 | -1): void {
    this.parent.noteRequest(orchestrator, delta);
  }

  waitingOn(): string[] {
    return this.parent.waitingOn();
  }
}

/**
 * The scope of work shared by several calls (identical concurrent reads coalesced into one request): it
 * stops only once every call waiting for it has stopped, and its deadline is the latest of theirs. Work
 * joined from outside any call never stops.
 */
export class SharedScope implements CallScope {
  private readonly controller = listenable(new AbortController());
  private readonly members = new Map<CallScope, () => void>();
  private unbounded = false;
  private latest = 0;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get deadline(): number {
    return this.unbounded ? Number.POSITIVE_INFINITY : this.latest;
  }

  /** Adds the current call (if any) to the calls waiting for this work. */
  join(): void {
    const call = currentCall();
    if (!call) {
      this.unbounded = true;
      return;
    }
    if (this.members.has(call) || this.controller.signal.aborted) return;
    this.latest = Math.max(this.latest, call.deadline);
    const leave = () => {
      this.members.delete(call);
      if (this.members.size === 0 && !this.unbounded) this.controller.abort(call.signal.reason);
    };
    if (call.signal.aborted) {
      if (this.members.size === 0 && !this.unbounded) this.controller.abort(call.signal.reason);
      return;
    }
    this.members.set(call, leave);
    call.signal.addEventListener('abort', leave, { once: true });
  }

  /** The work is over: forget the calls (their signals no longer reach it). */
  release(): void {
    for (const [call, leave] of this.members) call.signal.removeEventListener('abort', leave);
    this.members.clear();
  }

  noteRequest(orchestrator: string, delta: 1 | -1): void {
    for (const member of this.members.keys()) member.noteRequest(orchestrator, delta);
  }

  waitingOn(): string[] {
    return [];
  }
}

/**
 * Aborts `controller` when `source` aborts (with `reason()`) or at the deadline `at` (a CallStopped for
 * `budgetMs`); returns what undoes both once the work is over.
 */
function stopWhen(
  controller: AbortController,
  source: AbortSignal,
  reason: () => unknown,
  deadline: { at: number; budgetMs: number; now: number },
): () => void {
  const onAbort = () => controller.abort(reason());
  if (source.aborted) onAbort();
  else source.addEventListener('abort', onAbort, { once: true });
  const timer = Number.isFinite(deadline.at)
    ? setTimeout(
        () => controller.abort(new CallStopped('deadline', deadline.budgetMs)),
        Math.max(0, deadline.at - deadline.now),
      )
    : undefined;
  return () => {
    clearTimeout(timer);
    source.removeEventListener('abort', onAbort);
  };
}

function noteIn(map: Map<string, number>, key: string, delta: 1 | -1): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}

function seconds(ms: number): string {
  return String(Number((ms / 1000).toFixed(ms < 1000 ? 2 : 1)));
}

/**
 * A call's signal is watched by every request and retry wait in flight for it (bounded by the
 * per-orchestrator request slots), so more than Node's default of 10 listeners is normal, not a leak.
 */
function listenable(controller: AbortController): AbortController {
  setMaxListeners(256, controller.signal);
  return controller;
}
