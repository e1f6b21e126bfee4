import type { AuditEntry } from './audit-log.js';
import type { TokenCheck } from './confirmation.js';

/** A trigger that started or re-ran a run: what cooldown and the hourly limits count. */
export interface AcceptedTrigger {
  pipeline: string;
  principal: string | null;
  /** Epoch milliseconds. */
  at: number;
}

/** The reason recorded when an idempotency key matched a run that already existed (no new run). */
export const ALREADY_STARTED_REASON = 'the idempotency key matched an existing run';

/** Whether an audit entry records a run this server started (cancels and replays start nothing). */
export function countsAsStart(e: AuditEntry): boolean {
  return (
    (e.decision === 'accepted' || e.decision === 'reconciled') &&
    e.run_id !== null &&
    e.tool !== 'cancel_run' &&
    e.reason !== ALREADY_STARTED_REASON
  );
}

/**
 * Where the trigger guard keeps what must be shared between calls: the per-pipeline lock, the audit log,
 * the accepted-trigger history and confirmation tokens. One process with a local file by default; several
 * replicas behind a load balancer with a shared database. Implementations throw `StateUnavailableError`
 * when the state cannot be reached (the guard then refuses writes); anything else is a bug.
 */
export interface TriggerStore {
  /** Where the state lives, for logs and the audit command; never carries a credential. */
  readonly location: string;
  /** What an operator should check when the state is unavailable. */
  readonly unavailableHint: string;
  /** What the state is called in messages, e.g. "The audit log". */
  readonly noun: string;

  /**
   * Runs `fn` while holding the exclusive lock for `pipeline`, shared by every process using this state.
   * A process that dies while holding it releases it.
   */
  withPipelineLock<T>(pipeline: string, fn: () => Promise<T>): Promise<T>;

  /** Appends one entry; durable when the promise resolves. */
  append(entry: AuditEntry): Promise<void>;
  /** Accepted starts (see `countsAsStart`) at or after `since` (epoch ms), any order. */
  acceptedSince(since: number): Promise<AcceptedTrigger[]>;
  /** Intents with no outcome recorded, oldest first; of one pipeline when given. */
  openIntents(pipeline?: string): Promise<AuditEntry[]>;
  /** Every entry of one pipeline carrying this idempotency key, oldest first. */
  entriesWithKey(pipeline: string, idempotencyKey: string): Promise<AuditEntry[]>;
  /** The newest `limit` entries, oldest first. */
  recent(limit: number): Promise<AuditEntry[]>;

  /** A single-use token bound to a pipeline and a parameters digest, redeemable through any process. */
  issueConfirmation(pipeline: string, paramsDigest: string): Promise<{ token: string; expires_at: string }>;
  /** Checks a token against the request without using it up. */
  checkConfirmation(token: string, pipeline: string, paramsDigest: string): Promise<TokenCheck>;
  /** Uses the token up; false when it was already used (by any process). */
  consumeConfirmation(nonce: string): Promise<boolean>;

  close(): Promise<void>;
}

/** The shared state cannot be reached or written (database down, file unwritable). */
export class StateUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateUnavailableError';
  }
}

/** The pipeline's lock was held by another write (here or on another replica) for longer than the wait. */
export class LockBusyError extends Error {
  constructor(
    readonly pipeline: string,
    readonly waitedMs: number,
  ) {
    super(`the lock on ${pipeline} was held for over ${waitedMs} ms`);
    this.name = 'LockBusyError';
  }
}
