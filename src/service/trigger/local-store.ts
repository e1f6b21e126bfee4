import { AuditLog, type AuditEntry } from './audit-log.js';
import { ConfirmationTokens, type TokenCheck } from './confirmation.js';
import { ProcessLocks } from './process-locks.js';
import { countsAsStart, StateUnavailableError, type AcceptedTrigger, type TriggerStore } from './store.js';

/**
 * The one-machine state: an fsynced JSON Lines audit log, locks and confirmation tokens in this process.
 * What the guard looks up on every write (accepted triggers, entries by idempotency key) is read from the
 * file once, then kept up to date as entries are appended: this process is the file's only writer.
 */
export class LocalTriggerStore implements TriggerStore {
  readonly noun = 'The audit log';
  readonly unavailableHint = 'an operator must fix triggers.audit_log';
  private readonly audit: AuditLog;
  private readonly tokens: ConfirmationTokens;
  private readonly locks = new ProcessLocks();
  private accepted: AcceptedTrigger[] | null = null;
  /** Entries by `<pipeline> <idempotency key>`; like `accepted`, read once and then kept up to date. */
  private byKey: Map<string, AuditEntry[]> | null = null;

  constructor(auditPath: string, now: () => number = Date.now) {
    this.audit = new AuditLog(auditPath);
    this.tokens = new ConfirmationTokens(now);
  }

  get location(): string {
    return this.audit.path;
  }

  withPipelineLock<T>(pipeline: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(pipeline, fn);
  }

  async append(entry: AuditEntry): Promise<void> {
    try {
      await this.audit.append(entry);
    } catch (error) {
      throw new StateUnavailableError(`audit log ${this.audit.path} not writable`, { cause: error });
    }
    if (this.accepted && countsAsStart(entry)) this.accepted.push(toAccepted(entry));
    if (this.byKey) index(this.byKey, entry);
  }

  async acceptedSince(since: number): Promise<AcceptedTrigger[]> {
    this.accepted ??= this.read().filter(countsAsStart).map(toAccepted);
    return this.accepted.filter((a) => a.at >= since);
  }

  async openIntents(pipeline?: string): Promise<AuditEntry[]> {
    const entries = this.read().filter((e) => pipeline === undefined || e.pipeline === pipeline);
    const closed = new Set(entries.filter((e) => e.decision !== 'intent').map((e) => e.id));
    return entries.filter((e) => e.decision === 'intent' && !closed.has(e.id));
  }

  async entriesWithKey(pipeline: string, idempotencyKey: string): Promise<AuditEntry[]> {
    if (!this.byKey) {
      const byKey = new Map<string, AuditEntry[]>();
      for (const e of this.read()) index(byKey, e);
      this.byKey = byKey;
    }
    return [...(this.byKey.get(`${pipeline} ${idempotencyKey}`) ?? [])];
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    return this.read().slice(-Math.max(1, limit));
  }

  async issueConfirmation(pipeline: string, paramsDigest: string) {
    return this.tokens.issue(pipeline, paramsDigest);
  }

  async checkConfirmation(token: string, pipeline: string, paramsDigest: string): Promise<TokenCheck> {
    return this.tokens.check(token, pipeline, paramsDigest);
  }

  async consumeConfirmation(nonce: string): Promise<boolean> {
    return this.tokens.consume(nonce);
  }

  async close(): Promise<void> {}

  private read(): AuditEntry[] {
    try {
      return this.audit.read();
    } catch (error) {
      throw new StateUnavailableError(`audit log ${this.audit.path} not readable`, { cause: error });
    }
  }
}

function index(byKey: Map<string, AuditEntry[]>, e: AuditEntry): void {
  if (e.idempotency_key === null) return;
  const key = `${e.pipeline} ${e.idempotency_key}`;
  const list = byKey.get(key);
  if (list) list.push(e);
  else byKey.set(key, [e]);
}

function toAccepted(e: AuditEntry): AcceptedTrigger {
  return { pipeline: e.pipeline, principal: e.principal ?? null, at: Date.parse(e.time) };
}
