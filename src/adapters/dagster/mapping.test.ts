import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildSchema, isEnumType } from 'graphql';
import { assertSafeId } from '../../core/identifiers.js';
import { RUN_STATUSES } from '../../core/status.js';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { STDERR_HEADER, STDOUT_HEADER, readCapturedTail, renderEvent } from './logs.js';
import {
  RUN_STATUS_TABLE,
  STEP_STATUS_TABLE,
  errorHeadline,
  errorSummary,
  isoFromMillisString,
  isoFromSeconds,
  isPaused,
  mapRunStatus,
  mapStepStatus,
  ownersOf,
  parseQualifiedJobId,
  qualifiedJobId,
  renderTraceback,
  runStatusesFor,
  scheduleOf,
  toTaskRun,
  triggerOf,
} from './mapping.js';
import type { DagsterJob, PythonErrorShape } from './schemas.js';

const specs = sharedSpecsDir();

describe('status mapping', () => {
  test('covers every DagsterRunStatus and StepEventStatus of the official schema', (t) => {
    if (!specs) {
      t.skip(specsMissingMessage());
      return;
    }
    const schema = buildSchema(readFileSync(join(specs, 'dagster-schema.graphql'), 'utf8'));
    for (const [enumName, table] of [
      ['RunStatus', RUN_STATUS_TABLE],
      ['StepEventStatus', STEP_STATUS_TABLE],
    ] as const) {
      const type = schema.getType(enumName);
      assert.ok(isEnumType(type));
      const natives = table.map((r) => r.native).filter((n) => n !== null);
      assert.deepEqual(
        [...natives].sort(),
        type
          .getValues()
          .map((v) => v.name)
          .sort(),
        enumName,
      );
    }
  });

  test('maps natives onto core statuses, unknown values to unknown', () => {
    assert.equal(mapRunStatus('QUEUED'), 'pending');
    assert.equal(mapRunStatus('STARTING'), 'running');
    assert.equal(mapRunStatus('CANCELING'), 'running');
    assert.equal(mapRunStatus('CANCELED'), 'cancelled');
    assert.equal(mapRunStatus('FAILURE'), 'failed');
    assert.equal(mapRunStatus('MANAGED'), 'unknown');
    assert.equal(mapRunStatus('SOMETHING_NEW'), 'unknown');
    assert.equal(mapStepStatus('SKIPPED'), 'cancelled');
    assert.equal(mapStepStatus(null), 'unknown');
    assert.ok(RUN_STATUS_TABLE.every((r) => (RUN_STATUSES as readonly string[]).includes(r.status)));
  });

  test('turns core statuses into server-side filters', () => {
    assert.deepEqual(runStatusesFor(['failed']), ['FAILURE']);
    assert.deepEqual(runStatusesFor(['pending']), ['QUEUED', 'NOT_STARTED']);
    assert.deepEqual(runStatusesFor(['running']), ['STARTING', 'STARTED', 'CANCELING']);
    assert.deepEqual(runStatusesFor(['cancelled', 'unknown']), ['MANAGED', 'CANCELED']);
  });

  test('trigger kinds come from the run tags', () => {
    const tag = (key: string) => [{ key, value: 'x' }];
    assert.equal(triggerOf(tag('dagster/schedule_name')), 'scheduled');
    assert.equal(triggerOf(tag('dagster/sensor_name')), 'event');
    assert.equal(triggerOf(tag('dagster/backfill')), 'backfill');
    assert.equal(triggerOf([...tag('dagster/backfill'), ...tag('dagster/schedule_name')]), 'backfill');
    assert.equal(triggerOf(tag('pipeline-monitor/request')), 'manual');
    assert.equal(triggerOf([]), 'manual');
  });

  test('times: epoch seconds and millisecond strings to ISO, nonsense to null', () => {
    assert.equal(isoFromSeconds(1773230400.5), '2026-03-11T12:00:00.500Z');
    assert.equal(isoFromSeconds(null), null);
    assert.equal(isoFromSeconds(Number.NaN), null);
    assert.equal(isoFromSeconds(1773230400500), null, 'milliseconds are not seconds');
    assert.equal(isoFromMillisString('1773230400500'), '2026-03-11T12:00:00.500Z');
    assert.equal(isoFromMillisString('soon'), null);
  });

  test('a step without attempts or status', () => {
    const run = toTaskRun({ stepKey: 's', status: null, startTime: null, endTime: null }, 'ignored');
    assert.equal(run.try_number, 0);
    assert.equal(run.status, 'unknown');
    assert.equal(run.error, null);
  });
});

describe('pipeline ids and job details', () => {
  test('qualified ids round-trip and pass the core id check', () => {
    const address = { job: 'daily_refresh', repository: '__repository__', location: 'finance' };
    const id = qualifiedJobId(address);
    assert.equal(id, 'daily_refresh@__repository__:finance');
    assert.deepEqual(parseQualifiedJobId(id), address);
    assert.equal(assertSafeId(id, 'pipeline_id'), id);
    assert.equal(
      assertSafeId('code_location:partner_integrations', 'pipeline_id'),
      'code_location:partner_integrations',
    );
    assert.equal(parseQualifiedJobId('daily_refresh'), null);
    assert.equal(parseQualifiedJobId('a@b'), null);
    assert.equal(parseQualifiedJobId('a@b:'), null);
  });

  const job = (fields: Partial<DagsterJob>): DagsterJob => ({ name: 'j', isAssetJob: false, ...fields });
  const schedule = (cron: string, status: string) => ({
    name: `s_${cron}`,
    cronSchedule: cron,
    executionTimezone: 'UTC',
    scheduleState: { status },
  });

  test('owners: Job.owners first, else owner/team tags', () => {
    assert.deepEqual(
      ownersOf(
        job({
          owners: [
            { __typename: 'TeamDefinitionOwner', team: 'data-platform' },
            { __typename: 'UserDefinitionOwner', email: 'a@example.com' },
          ],
        }),
      ),
      ['data-platform', 'a@example.com'],
    );
    assert.deepEqual(ownersOf(job({ tags: [{ key: 'owner', value: 'team:ml, b@example.com' }] })), [
      'ml',
      'b@example.com',
    ]);
    assert.deepEqual(
      ownersOf(
        job({
          tags: [
            { key: 'dagster/owner', value: 'x' },
            { key: 'Team', value: 'y' },
          ],
        }),
      ),
      ['x', 'y'],
    );
    assert.deepEqual(ownersOf(job({ tags: [{ key: 'domain', value: 'sales' }] })), []);
  });

  test('paused means every schedule and sensor is stopped; schedules show their cron', () => {
    assert.equal(isPaused(job({ schedules: [] })), false);
    assert.equal(isPaused(job({ schedules: [schedule('0 1 * * *', 'STOPPED')] })), true);
    assert.equal(
      isPaused(job({ schedules: [schedule('0 1 * * *', 'STOPPED'), schedule('0 2 * * *', 'RUNNING')] })),
      false,
    );
    assert.equal(isPaused(job({ sensors: [{ name: 's', sensorState: { status: 'STOPPED' } }] })), true);
    assert.equal(
      scheduleOf(job({ schedules: [schedule('0 1 * * *', 'STOPPED'), schedule('0 2 * * *', 'RUNNING')] })),
      '0 2 * * *, 0 1 * * *',
    );
    assert.equal(
      scheduleOf(
        job({ schedules: [{ ...schedule('0 1 * * *', 'RUNNING'), executionTimezone: 'Europe/Paris' }] }),
      ),
      '0 1 * * * (Europe/Paris)',
    );
    assert.equal(
      scheduleOf(job({ sensors: [{ name: 'new_files', sensorState: { status: 'RUNNING' } }] })),
      'sensor: new_files',
    );
    assert.equal(scheduleOf(job({})), null);
  });
});

describe('errors', () => {
  const cause: PythonErrorShape = {
    message:
      "snowflake.connector.errors.ProgrammingError: 002003 (42S02): SQL compilation error:\nObject 'X' does not exist.\n",
    className: 'ProgrammingError',
    stack: ['  File "/app/assets.py", line 41, in stg\n    cursor.execute(SQL)\n'],
    cause: null,
  };
  const error: PythonErrorShape = {
    message:
      'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "stg":\n',
    className: 'DagsterExecutionStepExecutionError',
    stack: [
      '  File "/site/dagster/utils.py", line 87, in op_execution_error_boundary\n    raise error_cls(\n',
    ],
    cause,
  };

  test('headlines keep the qualified class name once', () => {
    assert.equal(
      errorHeadline(cause),
      "snowflake.connector.errors.ProgrammingError: 002003 (42S02): SQL compilation error: Object 'X' does not exist.",
    );
    assert.equal(
      errorHeadline({ message: "'customer_id'", className: 'KeyError' }),
      "KeyError: 'customer_id'",
    );
    assert.equal(errorHeadline({ message: 'KeyError: x', className: 'KeyError' }), 'KeyError: x');
    assert.match(
      errorSummary(error),
      /^dagster\._core\.errors\.DagsterExecutionStepExecutionError: .* — caused by snowflake/,
    );
    assert.ok(errorSummary({ ...error, message: 'x'.repeat(5000) }, 200).length <= 200);
  });

  test('tracebacks print the innermost cause first, like Python', () => {
    const lines = renderTraceback(error);
    assert.deepEqual(lines.slice(0, 3), [
      'Traceback (most recent call last):',
      '  File "/app/assets.py", line 41, in stg',
      '    cursor.execute(SQL)',
    ]);
    assert.ok(lines.includes('The above exception was the direct cause of the following exception:'));
    assert.match(lines.at(-1) ?? '', /^dagster\._core\.errors\.DagsterExecutionStepExecutionError: /);
    const event = renderEvent({
      __typename: 'ExecutionStepFailureEvent',
      timestamp: '1773230400500',
      level: 'ERROR',
      eventType: 'STEP_FAILURE',
      message: 'Execution of step "stg" failed.',
      error,
    });
    assert.equal(event[0], '[2026-03-11T12:00:00.500Z] ERROR STEP_FAILURE - Execution of step "stg" failed.');
  });
});

describe('captured log tail', () => {
  test('joins lines split across chunks, keeps stderr last and the tail bounded', async () => {
    const stdout = Array.from({ length: 200 }, (_, i) => `out line ${i}`).join('\n') + '\n';
    const stderr = 'err 1\r\nerr 2\nTraceback (most recent call last):\nValueError: boom\n';
    const chunk = 37;
    let requests = 0;
    const result = await readCapturedTail(
      async (cursor) => {
        requests++;
        const [o, e] = (cursor ?? '0:0').split(':').map(Number) as [number, number];
        const out = stdout.slice(o, o + chunk);
        const err = stderr.slice(e, e + chunk);
        return { stdout: out || null, stderr: err || null, cursor: `${o + out.length}:${e + err.length}` };
      },
      { maxBytes: 200, maxChunks: 1000 },
    );
    assert.equal(result.complete, true);
    assert.equal(result.truncated, true);
    assert.equal(result.bytes_read, stdout.length + stderr.length);
    assert.equal(requests, Math.ceil(stdout.length / chunk) + 1);
    assert.deepEqual(result.lines.slice(-5), [
      STDERR_HEADER,
      'err 1',
      'err 2',
      'Traceback (most recent call last):',
      'ValueError: boom',
    ]);
    assert.ok(!result.lines.includes(STDOUT_HEADER), 'the stdout header fell out of the tail');
    assert.match(result.lines[0] ?? '', /^out line \d+$/);
    assert.ok(result.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) <= 200);
  });

  test('says when the chunk bound stopped it, and when nothing was captured', async () => {
    let n = 0;
    const endless = await readCapturedTail(
      async () => ({ stdout: `line ${n}\n`, stderr: null, cursor: String(++n) }),
      {
        maxBytes: 1000,
        maxChunks: 5,
      },
    );
    assert.equal(endless.complete, false);
    assert.equal(endless.truncated, true);
    assert.match(endless.lines.at(-1) ?? '', /stopped after 5 log chunks/);
    const empty = await readCapturedTail(async () => ({ stdout: null, stderr: null, cursor: null }), {
      maxBytes: 100,
      maxChunks: 5,
    });
    assert.equal(empty.empty, true);
  });
});
