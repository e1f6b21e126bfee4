import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogRequest, OrchestratorAdapter } from '../../core/adapter.js';
import { MonitorError } from '../../core/errors.js';
import type { LogSlice, PipelineRun, TaskRun } from '../../core/model.js';
import { UntrustedText } from '../text/untrusted.js';
import { DIGEST_BUDGET_CHARS, digestFailure, fitDigest, type FailureDigest } from './failure-digest.js';

const run: PipelineRun = {
  orchestrator: 'test',
  pipeline_id: 'p',
  run_id: 'r1',
  status: 'failed',
  native_status: 'failed',
  queued_at: null,
  started_at: null,
  finished_at: null,
  duration_seconds: null,
  trigger: 'scheduled',
  error_message: null,
  failed_tasks: ['load'],
  url: null,
};

function task(
  id: string,
  native: string,
  error: string | null = null,
  finished = '2024-01-01T00:01:00Z',
): TaskRun {
  return {
    task_id: id,
    map_index: null,
    try_number: 2,
    max_tries: 2,
    status: 'failed',
    native_status: native,
    started_at: null,
    finished_at: finished,
    duration_seconds: null,
    error,
  };
}

function adapter(tasks: TaskRun[], log: string[] | Error): OrchestratorAdapter & { requests: LogRequest[] } {
  const requests: LogRequest[] = [];
  const fake = {
    name: 'test',
    type: 'airflow' as const,
    capabilities: { crossPipelineRunQuery: true, taskLogs: true, trigger: false },
    requests,
    listTaskRuns: async () => tasks,
    getTaskLog: async (_p: string, _r: string, request: LogRequest): Promise<LogSlice> => {
      requests.push(request);
      if (log instanceof Error) throw log;
      return {
        task_id: request.taskId,
        try_number: request.tryNumber,
        map_index: null,
        lines: log,
        truncated: false,
        bytes_read: 1,
      };
    },
  };
  return fake as unknown as OrchestratorAdapter & { requests: LogRequest[] };
}

const text = new UntrustedText(['s3cr3t-configured-pw']);

test('digests the root-cause task from its latest try, with class, causes, context and signature', async () => {
  const a = adapter(
    [task('report', 'upstream_failed', null, '2024-01-01T00:02:00Z'), task('load', 'failed')],
    [
      '[2024-01-01, 00:00:59 UTC] {sql.py:1} WARNING - could not reach postgresql://etl:hunter2@db-1.internal:5432/x, retrying',
      '[2024-01-01, 00:01:00 UTC] {taskinstance.py:1937} ERROR - Task failed with exception',
      'Traceback (most recent call last):\n  File "/opt/dags/load.py", line 9, in load\npsycopg2.OperationalError: could not connect to server: Connection refused',
    ],
  );
  const d = await digestFailure(a, run, text);
  assert.equal(d.failed_task, 'load');
  assert.equal(d.try_number, 2);
  assert.equal(a.requests[0]?.tryNumber, 2);
  assert.equal(d.class, 'connection');
  assert.equal(d.exception_type, 'OperationalError');
  assert.equal(d.error_line, 'psycopg2.OperationalError: could not connect to server: Connection refused');
  assert.deepEqual(d.stack, ['/opt/dags/load.py:9 in load']);
  assert.match(d.signature ?? '', /^connection\/OperationalError\//);
  assert.equal(d.context.length, 1);
  assert.ok(!d.context[0]?.includes('hunter2'), d.context[0]);
  assert.equal(d.trimmed, false);
});

test('without a log: the task error, classified; upstream-only failures are upstream_failed', async () => {
  const missing = new MonitorError('not_found', 'no log');
  const d = await digestFailure(
    adapter([task('load', 'failed', 'ReadTimeout: Read timed out. (read timeout=30)')], missing),
    run,
    text,
  );
  assert.equal(d.class, 'timeout');
  assert.equal(d.error_line, 'ReadTimeout: Read timed out. (read timeout=30)');
  assert.match(d.signature ?? '', /^timeout\//);

  const up = await digestFailure(adapter([task('report', 'upstream_failed')], []), run, text);
  assert.equal(up.class, 'upstream_failed');
  assert.equal(up.error_line, null);
  assert.equal(up.signature, null);

  await assert.rejects(digestFailure(adapter([task('load', 'failed')], new Error('bug')), run, text), /bug/);
});

test('keeps the digest within its budget, trimming the stack and context first', async () => {
  const frames = Array.from({ length: 40 }, (_, i) => [
    `  File "/opt/dags/very/long/path/to/a/module_${i}/${'x'.repeat(120)}.py", line ${i}, in fn_${i}`,
    `    ${'y'.repeat(150)}(${i})`,
  ]).flat();
  const lines = [
    ...Array.from(
      { length: 5 },
      (_, i) => `[t] {x.py:1} ERROR - detail ${i}: ${'failed because '.repeat(30)}`,
    ),
    '[t] {taskinstance.py:1} ERROR - Task failed with exception',
    'Traceback (most recent call last):',
    ...frames,
    `ValueError: ${'the input was rejected '.repeat(40)}`,
  ];
  const d = await digestFailure(adapter([task('load', 'failed')], lines), run, text);
  assert.ok(JSON.stringify(d).length <= DIGEST_BUDGET_CHARS, String(JSON.stringify(d).length));
  assert.equal(d.trimmed, true);
  assert.equal(d.exception_type, 'ValueError');
  assert.ok((d.error_line ?? '').startsWith('ValueError: the input was rejected'));
  // The innermost frame is the last one dropped.
  if (d.stack.length > 0) assert.match(d.stack[d.stack.length - 1] ?? '', /module_39/);

  const huge: FailureDigest = {
    failed_task: 't',
    map_index: null,
    try_number: 1,
    class: 'unknown',
    exception_type: 'E',
    error_line: 'e'.repeat(3000),
    causes: ['c'.repeat(240), 'c'.repeat(240), 'c'.repeat(240)],
    context: ['x'.repeat(300)],
    stack: ['s'.repeat(200)],
    signature: 'unknown/E/000000000000',
    trimmed: false,
  };
  const fitted = fitDigest(huge);
  assert.ok(JSON.stringify(fitted).length <= DIGEST_BUDGET_CHARS);
  assert.deepEqual([fitted.stack, fitted.context], [[], []]);
  assert.equal(fitted.trimmed, true);
  assert.equal(huge.stack.length, 1, 'the input is not modified');
});

test('secrets in the log never reach the digest', async () => {
  const d = await digestFailure(
    adapter(
      [task('load', 'failed')],
      [
        '[t] {x.py:1} ERROR - -----BEGIN RSA PRIVATE KEY-----',
        '[t] {x.py:1} ERROR - MIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
        '[t] {x.py:1} ERROR - -----END RSA PRIVATE KEY-----',
        '[t] {x.py:1} ERROR - Task failed with exception',
        'Traceback (most recent call last):',
        '  File "/opt/dags/load.py", line 9, in load',
        'ValueError: login with password s3cr3t-configured-pw and token=abcd1234efgh5678 rejected',
      ],
    ),
    run,
    text,
  );
  const all = JSON.stringify(d);
  for (const secret of ['MIIEpAIBAAKCAQEAu1SU1Lf', 's3cr3t-configured-pw', 'abcd1234efgh5678']) {
    assert.ok(!all.includes(secret), `${secret} leaked: ${all}`);
  }
});
