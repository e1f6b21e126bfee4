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
  assert.ok(found?.stack.some((l) => l.includes('/opt/airflow/dags/sync_inventory.py:47 in fetch_snapshot')));
  assert.deepEqual(found?.causes, [
    'ConnectTimeout: HTTPConnectionPool(host=inventory.internal, port=443): Max retries exceeded',
  ]);
  assert.equal(found?.class, 'connection');
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

test('Java causes, Dagster wrappers and Prefect crashes', () => {
  const spark = extractError([
    '24/09/09 01:30:15 ERROR Executor: Exception in task 3.0 in stage 2.0 (TID 40)',
    'org.apache.spark.SparkException: Task failed while writing rows.',
    '\tat org.apache.spark.sql.execution.datasources.FileFormatWriter$.executeTask(FileFormatWriter.scala:437)',
    '\tat org.apache.spark.scheduler.Task.run(Task.scala:141)',
    'Caused by: java.lang.OutOfMemoryError: GC overhead limit exceeded',
    '\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)',
    '\t... 12 more',
  ]);
  assert.equal(spark?.exception_type, 'SparkException');
  assert.deepEqual(spark?.causes, ['OutOfMemoryError: GC overhead limit exceeded']);
  assert.equal(spark?.class, 'oom_or_killed');

  const dagster = extractError([
    'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "score":',
    '',
    'Stack Trace:',
    '  File "/usr/local/lib/python3.11/site-packages/dagster/_core/execution/plan/utils.py", line 84, in op_execution_error_boundary',
    '',
    'The above exception was caused by the following exception:',
    'ZeroDivisionError: division by zero',
    '',
    'Stack Trace:',
    '  File "/opt/app/ops.py", line 12, in score',
    '    return total / count',
  ]);
  assert.equal(dagster?.exception_type, 'ZeroDivisionError');
  assert.equal(dagster?.error_line, 'ZeroDivisionError: division by zero');
  assert.deepEqual(dagster?.stack, ['/opt/app/ops.py:12 in score: return total / count']);
  assert.equal(dagster?.class, 'code_error');

  const crash = extractError([
    "20:58:47.103 | ERROR   | Task run 'add_to_collection-0' - Crash detected! Execution was interrupted by an unexpected exception: TypeError: Collection.__init__() missing 1 required positional argument: 'client'",
  ]);
  assert.equal(crash?.exception_type, 'TypeError');
  assert.equal(crash?.class, 'code_error');
});

test('a kill after a handled traceback wins; a retry warning traceback does not', () => {
  const found = extractError([
    '[t] {client.py:88} WARNING - Retrying after error',
    'Traceback (most recent call last):',
    '  File "/opt/app/client.py", line 80, in call',
    'requests.exceptions.ReadTimeout: Read timed out. (read timeout=10)',
    '[t] {features.py:97} INFO - Pivoting 48,211,003 rows',
    '[t] {local_task_job_runner.py:228} INFO - Task exited with return code -9',
  ]);
  assert.equal(found?.error_line, 'Task exited with return code -9');
  assert.equal(found?.class, 'oom_or_killed');
});

test('multi-line log records are read line by line', () => {
  const found = extractError([
    '[t] ERROR task - Task failed with exception',
    'Traceback (most recent call last):\n  File "/opt/a.py", line 1, in f\nOperationalError: server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally',
  ]);
  assert.equal(found?.error_line, 'OperationalError: server closed the connection unexpectedly');
  assert.equal(found?.class, 'connection');
});

test("a notification callback's traceback is not the failure", () => {
  const found = extractError([
    '[t] {local_task_job_runner.py:228} INFO - Task exited with return code Negsignal.SIGKILL',
    "[t] {taskinstance.py:1400} ERROR - Failed to send email to: ['oncall@example.com']",
    'Traceback (most recent call last):',
    '  File "/usr/local/lib/python3.12/smtplib.py", line 255, in __init__',
    'ConnectionRefusedError: [Errno 111] Connection refused',
  ]);
  assert.equal(found?.error_line, 'Task exited with return code Negsignal.SIGKILL');
  assert.equal(found?.class, 'oom_or_killed');
  const only = extractError([
    '[t] {taskinstance.py:1400} ERROR - Failed to send email to: x',
    'Traceback (most recent call last):',
    '  File "/usr/local/lib/python3.12/smtplib.py", line 255, in __init__',
    'ConnectionRefusedError: [Errno 111] Connection refused',
  ]);
  // Nothing else in the tail: the ERROR line is what there is.
  assert.match(only?.error_line ?? '', /Failed to send email/);
});
