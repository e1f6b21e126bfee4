import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractError } from './extract-error.js';

test('finds the final exception of the last traceback with its frames', () => {
  const lines = [
    '[2026-11-24T03:00:01Z] {taskinstance.py:441} INFO - Starting attempt 2 of 2',
    '[2026-11-24T03:00:31Z] {taskinstance.py:2905} ERROR - Task failed with exception',
    'Traceback (most recent call last):',
    '  File "/opt/airflow/dags/sync_inventory.py", line 42, in fetch_snapshot',
    '    resp = session.get(url, timeout=30)',
    'requests.exceptions.ConnectTimeout: HTTPConnectionPool(host=inventory.internal, port=443): Max retries exceeded',
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    '  File "/opt/airflow/dags/sync_inventory.py", line 47, in fetch_snapshot',
    '    raise AirflowException("Connection timeout to inventory service")',
    'airflow.exceptions.AirflowException: Connection timeout to inventory service',
    '[2026-11-24T03:00:31Z] {taskinstance.py:1206} INFO - Marking task as FAILED.',
  ];
  const found = extractError(lines);
  assert.equal(found?.error_line, 'airflow.exceptions.AirflowException: Connection timeout to inventory service');
  assert.equal(found?.exception_type, 'AirflowException');
  assert.ok(found?.stack.some((l) => l.includes('sync_inventory.py", line 47')));
});

test('falls back to the last ERROR line, and to null when there is none', () => {
  assert.equal(
    extractError(['INFO - ok', '[x] {bash.py:1} ERROR - Command exited with return code 137', 'INFO - done'])
      ?.error_line,
    'Command exited with return code 137',
  );
  assert.equal(extractError(['INFO - all good']), null);
});
