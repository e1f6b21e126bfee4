import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
