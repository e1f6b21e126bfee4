import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { advisoryKey } from './lock-key.js';

/** A PostgreSQL database the tests may create schemas in (`.ci/postgres-start` prints one). */
export const TEST_PG_URL = process.env.PIPELINE_MONITOR_TEST_PG_URL ?? '';

/** node:test `skip` for tests that need PostgreSQL: false when it is there, else the visible reason. */
export const SKIP_WITHOUT_PG: string | false = TEST_PG_URL
  ? false
  : 'PIPELINE_MONITOR_TEST_PG_URL is not set: run `eval "$(.ci/postgres-start)"` first (README, Shared state on PostgreSQL)';

/** A schema name no other test uses; the store creates it. */
export function freshSchema(label: string): string {
  return `test_${label}_${randomBytes(5).toString('hex')}`;
}

/** One statement on a connection of its own. */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (TEST_PG_URL) await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** `pg_locks` columns identifying the advisory lock a store takes for a pipeline (bigint key, objsubid 1). */
export function lockIds(schema: string, pipeline: string): [number, number] {
  const key = BigInt.asUintN(64, BigInt(advisoryKey(`lock:${schema}:${pipeline}`)));
  return [Number(key >> 32n), Number(key & 0xffffffffn)];
}

/** The pids of sessions holding a pipeline's lock. */
export async function lockHolders(schema: string, pipeline: string): Promise<number[]> {
  const rows = await sql<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND classid = $1::oid AND objid = $2::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    lockIds(schema, pipeline),
  );
  return rows.map((r) => r.pid);
}
