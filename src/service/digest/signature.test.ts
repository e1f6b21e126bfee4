import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { extractError } from './extract-error.js';
import { failureSignature, normalizeMessage } from './signature.js';

const CORPUS = new URL('../../../src/service/digest/corpus/', import.meta.url);
const corpusLines = (name: string) =>
  readFileSync(new URL(`${name}.log`, CORPUS), 'utf8')
    .trim()
    .split('\n');
const sig = (line: string) =>
  extractError([`[2024-01-01, 00:00:00 UTC] {x.py:1} ERROR - ${line}`])?.signature;

test('normalization keeps the shape of hosts and drops what varies', () => {
  assert.equal(
    normalizeMessage('Connection to db-1.internal timed out after 30s'),
    normalizeMessage('Connection to db-2.internal timed out after 31s'),
  );
  assert.equal(
    normalizeMessage('Connection to db-1.internal timed out after 30s'),
    'connection to db-<n>.internal timed out after <n>s',
  );
  assert.notEqual(
    normalizeMessage('Connection to db-1.internal timed out'),
    normalizeMessage('Connection to cache-1.internal timed out'),
  );
  assert.equal(
    normalizeMessage(
      'Job 3f9e2c1a-5b7d-4e8f-9a0b-1c2d3e4f5a6b failed at 2024-05-01T03:00:00Z on 10.0.3.12:5432 (obj <X object at 0x7f3a2c1b5e50>, commit 9fceb02d0ae598e95dc970b74767f19372d61af8)',
    ),
    'job <id> failed at <ts> on <ip> (obj <obj>, commit <hex>)',
  );
  assert.equal(
    normalizeMessage(
      'Max retries exceeded with url: https://api.partner.io/v1/orders?page=3&since=2024-01-01',
    ),
    normalizeMessage(
      'Max retries exceeded with url: https://api.partner.io/v1/orders?page=7&since=2024-02-01',
    ),
  );
});

test('signatures that must group', () => {
  const pairs: [string, string][] = [
    [
      'TimeoutError: Connection to db-1.internal timed out after 30s',
      'TimeoutError: Connection to db-2.internal timed out after 31s',
    ],
    ["KeyError: 'customer_id'", "KeyError: 'order_id'"],
    [
      "snowflake.connector.errors.ProgrammingError: 002003 (42S02): SQL compilation error: Object 'RAW.STRIPE.CHARGES' does not exist or not authorized.",
      "snowflake.connector.errors.ProgrammingError: 002003 (42S02): SQL compilation error: Object 'RAW.SHOPIFY.ORDERS' does not exist or not authorized.",
    ],
    [
      'psycopg2.OperationalError: connection to server at "pg-1.internal" (10.0.3.12), port 5432 failed: Connection refused',
      'psycopg2.OperationalError: connection to server at "pg-7.internal" (10.0.9.40), port 5433 failed: Connection refused',
    ],
    [
      'google.api_core.exceptions.NotFound: 404 Not found: Table acme:sales.orders_2024_05_01 was not found in location US',
      'google.api_core.exceptions.NotFound: 404 Not found: Table acme:sales.orders_2024_06_12 was not found in location US',
    ],
    [
      // The same exception printed by Airflow 2 (qualified) and Airflow 3 (short type).
      "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.x.io', port=443): Read timed out. (read timeout=30)",
      "ReadTimeout: HTTPSConnectionPool(host='api.x.io', port=443): Read timed out. (read timeout=60)",
    ],
  ];
  for (const [a, b] of pairs) {
    assert.ok(sig(a), a);
    assert.equal(sig(a), sig(b), `${a}\n${b}`);
  }
});

test('signatures that must not group', () => {
  const pairs: [string, string][] = [
    [
      'snowflake.connector.errors.DatabaseError: 250001 (08001): Failed to connect to DB: xy12345.snowflakecomputing.com:443. Incorrect username or password was specified.',
      'snowflake.connector.errors.ProgrammingError: 000630 (57014): Statement reached its statement or warehouse timeout of 3600 second(s) and was canceled.',
    ],
    [
      'TimeoutError: Connection to db-1.internal timed out after 30s',
      'TimeoutError: Connection to cache-1.internal timed out after 30s',
    ],
    ["KeyError: 'customer_id'", "ValueError: 'customer_id'"],
    [
      'psycopg2.errors.UndefinedTable: relation "staging.orders" does not exist',
      'psycopg2.errors.UndefinedColumn: column "amount" does not exist',
    ],
    [
      'psycopg2.OperationalError: connection to server at "pg-1.internal" (10.0.3.12), port 5432 failed: Connection refused',
      'psycopg2.OperationalError: connection to server at "pg-1.internal" (10.0.3.12), port 5432 failed: FATAL:  password authentication failed for user "etl"',
    ],
    [
      'botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied',
      'botocore.exceptions.ClientError: An error occurred (SlowDown) when calling the PutObject operation: Please reduce your request rate.',
    ],
  ];
  for (const [a, b] of pairs) assert.notEqual(sig(a), sig(b), `${a}\n${b}`);
});

test('a generic wrapper is grouped by what explains it, across orchestrators', () => {
  // dbt failing on a missing Snowflake object, run by Airflow 2 (text log) and by Airflow 3 (structured).
  const af2 = extractError(corpusLines('af2-dbt-snowflake-missing-object'));
  const af3 = extractError([
    '[2026-11-24T01:39:46.995Z] INFO airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook - 02:09:12  Database Error in model fct_orders (models/marts/fct_orders.sql)',
    '[2026-11-24T01:39:53.995Z] INFO airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook - 02:09:12    002003 (42S02): SQL compilation error:',
    "[2026-11-24T01:40:00.995Z] INFO airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook - 02:09:12    Object 'RAW.STRIPE.CHARGES' does not exist or not authorized.",
    '[2026-11-24T01:40:14.995Z] INFO airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook - Command exited with return code 1',
    '[2026-11-24T01:40:22.035Z] ERROR task - Task failed with exception filename=task_runner.py lineno=1133',
    'Traceback (most recent call last):',
    '  File "/home/airflow/.local/lib/python3.12/site-packages/airflow/providers/standard/operators/bash.py", line 233, in execute',
    'AirflowException: Bash command failed. The command returned a non-zero exit code 1.',
  ]);
  assert.equal(af2?.signature, af3?.signature);
  // A different dbt failure behind the same wrapper does not group with it.
  const dq = extractError(corpusLines('af3-dbt-test-failure'));
  assert.notEqual(af2?.signature, dq?.signature);
});

test('signature format', () => {
  assert.match(
    failureSignature('timeout', 'AirflowTaskTimeout', 'Timeout, PID: 12'),
    /^timeout\/AirflowTaskTimeout\/[0-9a-f]{12}$/,
  );
  assert.equal(
    failureSignature('timeout', 'AirflowTaskTimeout', 'Timeout, PID: 12'),
    failureSignature('timeout', 'AirflowTaskTimeout', 'Timeout, PID: 9981'),
  );
  assert.match(failureSignature('unknown', null, 'x'), /^unknown\/-\//);
});
