import type { Pool } from 'pg';
import { advisoryKey } from './lock-key.js';

/** Table names inside the configured schema. */
export const AUDIT_TABLE = 'trigger_audit';
export const CONFIRMATION_TABLE = 'trigger_confirmations';

/** Quotes a schema name already validated by the config (`[a-z_][a-z0-9_]*`). */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe SQL identifier ${name}`);
  return `"${name}"`;
}

/**
 * Creates the schema, tables and indexes if they are missing. Idempotent; replicas starting together take
 * turns under an advisory lock. Nothing is created that exists, so a database user without CREATE
 * privileges can use a schema and tables a DBA made for it.
 */
export async function ensureSchema(pool: Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  const key = advisoryKey(`schema:${schema}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      // Made in one statement list (one transaction), so both tables there means everything is there,
      // and a user without CREATE on the schema can use tables a DBA made.
      const made = await client.query<{ ready: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ready`,
        [`${s}.${AUDIT_TABLE}`, `${s}.${CONFIRMATION_TABLE}`],
      );
      if (!made.rows[0]?.ready) await client.query(createStatements(s));
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
    client.release();
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** Tables and indexes, as one statement list: run in one transaction, so they appear together. */
function createStatements(s: string): string {
  return `
    CREATE TABLE IF NOT EXISTS ${s}.${AUDIT_TABLE} (
      seq bigserial PRIMARY KEY,
      id text NOT NULL,
      time timestamptz NOT NULL,
      decision text NOT NULL CHECK (decision IN ('intent', 'accepted', 'refused', 'failed', 'reconciled')),
      tool text NOT NULL,
      orchestrator text,
      pipeline text NOT NULL,
      principal text,
      client text,
      params jsonb NOT NULL,
      params_digest text NOT NULL,
      idempotency_key text,
      reason text,
      run_id text,
      latency_ms integer
    );
    CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_time ON ${s}.${AUDIT_TABLE} (time);
    CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_pipeline_time ON ${s}.${AUDIT_TABLE} (pipeline, time);
    CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_id ON ${s}.${AUDIT_TABLE} (id);
    CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_key ON ${s}.${AUDIT_TABLE} (pipeline, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ${AUDIT_TABLE}_intents ON ${s}.${AUDIT_TABLE} (seq) WHERE decision = 'intent';
    CREATE TABLE IF NOT EXISTS ${s}.${CONFIRMATION_TABLE} (
      nonce text PRIMARY KEY,
      pipeline text NOT NULL,
      params_digest text NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS ${CONFIRMATION_TABLE}_expires ON ${s}.${CONFIRMATION_TABLE} (expires_at);`;
}
