import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { AuditEntry } from '../../service/trigger/audit-log.js';
import { CONFIRMATION_TTL_MS, TOKEN_MISMATCH, type TokenCheck } from '../../service/trigger/confirmation.js';
import { ProcessLocks } from '../../service/trigger/process-locks.js';
import {
  ALREADY_STARTED_REASON,
  LockBusyError,
  type AcceptedTrigger,
  type TriggerStore,
} from '../../service/trigger/store.js';
import { scrub, unavailable } from './errors.js';
import { advisoryKey } from './lock-key.js';
import { AUDIT_TABLE, CONFIRMATION_TABLE, ensureSchema, quoteIdent } from './schema.js';

export interface PostgresStoreOptions {
  /** A secret: never logged, never in an error message. */
  url: string;
  schema: string;
  /** Connections for queries (each held for one statement). */
  poolMax?: number;
  /** Connections holding pipeline locks (one per pipeline being written to at once in this process). */
  lockPoolMax?: number;
  /** How long a write waits for another process's lock on the same pipeline. */
  lockWaitMs?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  now?: () => number;
  /** Called when a held lock connection fails (the lock is then gone). */
  onLockLost?: (pipeline: string, message: string) => void;
}

/** SQLSTATE of a lock wait that ran past lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{24}$/;
const AUDIT_COLUMNS =
  'id, time, decision, tool, orchestrator, pipeline, principal, client, params, params_digest, idempotency_key, reason, run_id, latency_ms';

/**
 * Trigger state shared by replicas in PostgreSQL: per-pipeline session advisory locks (released by the
 * server when a holder's connection dies), the audit table, and confirmation tokens any replica can redeem
 * once. Locks are taken on their own small pool, so a process waiting for a lock never starves the
 * queries that the lock holder needs.
 */
export class PostgresTriggerStore implements TriggerStore {
  readonly noun = 'The shared trigger state (PostgreSQL)';
  readonly unavailableHint =
    'an operator must check that PostgreSQL (state.postgres_url) is reachable; reads still work';
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly lockPool: pg.Pool;
  private readonly local = new ProcessLocks();
  private readonly secrets: string[];
  private readonly s: string;
  private readonly now: () => number;
  private readonly lockWaitMs: number;

  private constructor(private readonly options: PostgresStoreOptions) {
    const parsed = new URL(options.url);
    this.secrets = [options.url, decodeURIComponent(parsed.password), parsed.password].filter(
      (x) => x.length >= 3,
    );
    this.location = `PostgreSQL ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname} schema ${options.schema}`;
    this.s = quoteIdent(options.schema);
    this.now = options.now ?? Date.now;
    const lockWait = options.lockWaitMs ?? 60_000;
    this.lockWaitMs = lockWait;
    const statementTimeout = options.statementTimeoutMs ?? 10_000;
    const common = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      application_name: 'pipeline-monitor-mcp',
      idleTimeoutMillis: 10_000,
    };
    this.pool = new pg.Pool({
      ...common,
      max: options.poolMax ?? 4,
      statement_timeout: statementTimeout,
      lock_timeout: statementTimeout,
    });
    this.lockPool = new pg.Pool({
      ...common,
      // Waiting for a free lock connection (writes to other pipelines hold them all) is part of the lock wait.
      connectionTimeoutMillis: Math.max(common.connectionTimeoutMillis, lockWait),
      max: options.lockPoolMax ?? 8,
      lock_timeout: lockWait,
      statement_timeout: lockWait + statementTimeout,
    });
    // Idle connections that die (server restart) are dropped by the pool; without a listener it would throw.
    this.pool.on('error', () => undefined);
    this.lockPool.on('error', () => undefined);
  }

  /** Connects, creates the tables if needed; throws StateUnavailableError when the database is unusable. */
  static async open(options: PostgresStoreOptions): Promise<PostgresTriggerStore> {
    const store = new PostgresTriggerStore(options);
    try {
      await ensureSchema(store.pool, options.schema);
    } catch (error) {
      await store.close();
      throw unavailable(error, 'preparing the schema', store.secrets);
    }
    return store;
  }

  async withPipelineLock<T>(pipeline: string, fn: () => Promise<T>): Promise<T> {
    // Queue in this process first: one lock connection per pipeline, however many calls wait here.
    return this.local.run(pipeline, async () => {
      const key = advisoryKey(`lock:${this.options.schema}:${pipeline}`);
      let client: PoolClient;
      const saturated = this.lockPool.totalCount >= (this.options.lockPoolMax ?? 8);
      try {
        client = await this.lockPool.connect();
      } catch (error) {
        // Every lock connection stayed busy with other writes for the whole wait: busy, not unavailable.
        if (saturated) throw new LockBusyError(pipeline, this.lockWaitMs);
        throw unavailable(error, 'connecting for the pipeline lock', this.secrets);
      }
      let lost: string | null = null;
      const onError = (error: Error) => {
        if (lost !== null) return; // a dying connection can report more than once
        lost = scrub(error.message, this.secrets);
        this.options.onLockLost?.(pipeline, lost);
      };
      client.on('error', onError);
      try {
        await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      } catch (error) {
        client.off('error', onError);
        client.release(true);
        if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
          throw new LockBusyError(pipeline, this.lockWaitMs);
        }
        throw unavailable(error, `waiting for the lock on ${pipeline}`, this.secrets);
      }
      try {
        return await fn();
      } finally {
        await this.unlock(client, key, lost !== null);
        client.off('error', onError);
      }
    });
  }

  /** Releases the lock; a connection that failed or cannot unlock is closed, which releases it too. */
  private async unlock(client: PoolClient, key: string, broken: boolean): Promise<void> {
    if (!broken) {
      try {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        client.release();
        return;
      } catch {
        // fall through
      }
    }
    client.release(true);
  }

  async append(e: AuditEntry): Promise<void> {
    await this.query(
      'recording an audit entry',
      `INSERT INTO ${this.s}.${AUDIT_TABLE} (${AUDIT_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        e.id,
        e.time,
        e.decision,
        e.tool,
        e.orchestrator,
        e.pipeline,
        e.principal,
        e.client,
        JSON.stringify(e.params),
        e.params_digest,
        e.idempotency_key,
        e.reason,
        e.run_id,
        e.latency_ms === null ? null : Math.round(e.latency_ms),
      ],
    );
  }

  async acceptedSince(since: number): Promise<AcceptedTrigger[]> {
    const rows = await this.query<{ pipeline: string; principal: string | null; time: Date }>(
      'reading accepted triggers',
      `SELECT pipeline, principal, time FROM ${this.s}.${AUDIT_TABLE}
       WHERE time >= $1 AND decision IN ('accepted', 'reconciled') AND run_id IS NOT NULL
         AND tool <> 'cancel_run' AND reason IS DISTINCT FROM $2`,
      [new Date(since).toISOString(), ALREADY_STARTED_REASON],
    );
    return rows.map((r) => ({ pipeline: r.pipeline, principal: r.principal, at: r.time.getTime() }));
  }

  async openIntents(pipeline?: string): Promise<AuditEntry[]> {
    const rows = await this.query<AuditRow>(
      'reading open intents',
      `SELECT ${AUDIT_COLUMNS} FROM ${this.s}.${AUDIT_TABLE} i
       WHERE decision = 'intent' AND ($1::text IS NULL OR pipeline = $1)
         AND NOT EXISTS (SELECT 1 FROM ${this.s}.${AUDIT_TABLE} o WHERE o.id = i.id AND o.decision <> 'intent')
       ORDER BY seq`,
      [pipeline ?? null],
    );
    return rows.map(toEntry);
  }

  async entriesWithKey(pipeline: string, idempotencyKey: string): Promise<AuditEntry[]> {
    const rows = await this.query<AuditRow>(
      'reading entries by idempotency key',
      `SELECT ${AUDIT_COLUMNS} FROM ${this.s}.${AUDIT_TABLE}
       WHERE pipeline = $1 AND idempotency_key = $2 ORDER BY seq`,
      [pipeline, idempotencyKey],
    );
    return rows.map(toEntry);
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    const rows = await this.query<AuditRow>(
      'reading the audit log',
      `SELECT ${AUDIT_COLUMNS} FROM (
         SELECT * FROM ${this.s}.${AUDIT_TABLE} ORDER BY seq DESC LIMIT $1
       ) newest ORDER BY seq`,
      [Math.max(1, Math.floor(limit))],
    );
    return rows.map(toEntry);
  }

  async issueConfirmation(
    pipeline: string,
    paramsDigest: string,
  ): Promise<{ token: string; expires_at: string }> {
    const now = this.now();
    const token = randomBytes(18).toString('base64url');
    const expires = new Date(now + CONFIRMATION_TTL_MS).toISOString();
    await this.query(
      'issuing a confirmation token',
      `WITH swept AS (DELETE FROM ${this.s}.${CONFIRMATION_TABLE} WHERE expires_at < $5)
       INSERT INTO ${this.s}.${CONFIRMATION_TABLE} (nonce, pipeline, params_digest, expires_at)
       VALUES ($1, $2, $3, $4)`,
      [token, pipeline, paramsDigest, expires, new Date(now - 2 * CONFIRMATION_TTL_MS).toISOString()],
    );
    return { token, expires_at: expires };
  }

  async checkConfirmation(token: string, pipeline: string, paramsDigest: string): Promise<TokenCheck> {
    if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'the confirmation token is malformed' };
    const rows = await this.query<{
      pipeline: string;
      params_digest: string;
      expires_at: Date;
      used_at: Date | null;
    }>(
      'checking a confirmation token',
      `SELECT pipeline, params_digest, expires_at, used_at FROM ${this.s}.${CONFIRMATION_TABLE} WHERE nonce = $1`,
      [token],
    );
    const row = rows[0];
    if (!row) return { ok: false, reason: 'the confirmation token was not issued by this server' };
    if (row.expires_at.getTime() < this.now()) {
      return { ok: false, reason: 'the confirmation token has expired' };
    }
    if (row.pipeline !== pipeline || row.params_digest !== paramsDigest) {
      return {
        ok: false,
        reason: TOKEN_MISMATCH,
      };
    }
    if (row.used_at) return { ok: false, reason: 'the confirmation token was already used' };
    return { ok: true, nonce: token };
  }

  async consumeConfirmation(nonce: string): Promise<boolean> {
    const result = await this.run(
      'using a confirmation token',
      `UPDATE ${this.s}.${CONFIRMATION_TABLE} SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL`,
      [nonce, new Date(this.now()).toISOString()],
    );
    return result.rowCount === 1;
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lockPool.end()]).catch(() => undefined);
  }

  private async query<R extends QueryResultRow>(doing: string, sql: string, params: unknown[]): Promise<R[]> {
    return (await this.run<R>(doing, sql, params)).rows;
  }

  private async run<R extends QueryResultRow>(
    doing: string,
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw unavailable(error, doing, this.secrets);
    }
  }
}

/** An audit row as node-postgres returns it: the entry, with `time` as a Date. */
type AuditRow = Omit<AuditEntry, 'time'> & { time: Date };

function toEntry(r: AuditRow): AuditEntry {
  return { ...r, time: r.time.toISOString() };
}
