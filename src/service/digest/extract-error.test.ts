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
  assert.equal(
    found?.error_line,
    'airflow.exceptions.AirflowException: Connection timeout to inventory service',
  );
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

test('Airflow 3 structured tracebacks: outermost exception of a "Caused by:" chain, any exception name', () => {
  const lines = [
    '[2026-11-24T06:17:03.689000Z] ERROR task.stderr - Traceback (most recent call last):',
    '[2026-11-24T06:17:03.689000Z] ERROR task.stderr -   File "/opt/airflow/dags/sync_inventory.py", line 44, in fetch',
    "[2026-11-24T06:17:03.689000Z] ERROR task.stderr - requests.exceptions.ConnectTimeout: HTTPConnectionPool(host='inventory.internal')",
    '[2026-11-24T06:17:03.709000Z] ERROR task - Task failed with exception filename=task_runner.py lineno=1133',
    'Traceback (most recent call last):',
    '  File "/opt/airflow/dags/sync_inventory.py", line 49, in fetch_inventory_snapshot',
    'AirflowException: Connection timeout to inventory service',
    'Caused by:',
    'Traceback (most recent call last):',
    '  File "/home/airflow/.local/lib/python3.12/site-packages/requests/adapters.py", line 688, in send',
    "ConnectTimeout: HTTPConnectionPool(host='inventory.internal', port=443): Max retries exceeded",
    '[2026-11-24T06:17:03.724000Z] INFO task - Marking task as FAILED.',
  ];
  const found = extractError(lines);
  assert.equal(found?.error_line, 'AirflowException: Connection timeout to inventory service');
  assert.equal(found?.exception_type, 'AirflowException');

  const arrow = extractError([
    '[x] ERROR task - Task failed with exception filename=task_runner.py lineno=1133',
    'Traceback (most recent call last):',
    '  File "pyarrow/error.pxi", line 92, in pyarrow.lib.check_status',
    'ArrowInvalid: Parquet magic bytes not found in footer.',
  ]);
  assert.equal(arrow?.exception_type, 'ArrowInvalid');
  assert.equal(arrow?.error_line, 'ArrowInvalid: Parquet magic bytes not found in footer.');
});
