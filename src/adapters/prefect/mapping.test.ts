import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUN_STATUSES } from '../../core/status.js';
import { readLogTail } from './log-tail.js';
import {
  describeInterval,
  describeSchedule,
  isPaused,
  mapStateType,
  ownersAndTags,
  renderLog,
  scheduleOf,
  splitPipelineId,
  STATE_NAME_NOTES,
  STATE_TYPE_TABLE,
  stateTypesFor,
  taskIds,
  toPipelineRun,
  toTaskRun,
  triggerKind,
  uiBaseOf,
} from './mapping.js';
import type { PrefectDeployment, PrefectFlowRun, PrefectLog, PrefectTaskRun } from './schemas.js';

/** Prefect's StateType enum (3.x and 2.x). */
const STATE_TYPES = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
];

const deployment = (fields: Partial<PrefectDeployment>): PrefectDeployment => ({
  id: 'd1',
  name: 'prod',
  flow_id: 'f1',
  ...fields,
});
const flowRun = (fields: Partial<PrefectFlowRun>): PrefectFlowRun => ({
  id: '0b1c6f9e-3f7a-4b8e-9d7a-2f1e5c3b7a10',
  flow_id: 'f1',
  deployment_id: 'd1',
  ...fields,
});

describe('state mapping', () => {
  test('maps every Prefect StateType, with a note for the debatable ones', () => {
    assert.deepEqual(STATE_TYPE_TABLE.map((r) => r.native).sort(), [...STATE_TYPES].sort());
    assert.ok(STATE_TYPE_TABLE.every((r) => (RUN_STATUSES as readonly string[]).includes(r.status)));
    const status = (type: string | null) => mapStateType(type);
    assert.equal(status('CRASHED'), 'failed');
    assert.equal(status('PAUSED'), 'pending');
    assert.equal(status('CANCELLING'), 'running');
    assert.equal(status('CANCELLED'), 'cancelled');
    assert.equal(status('SCHEDULED'), 'pending');
    assert.equal(status('completed'), 'success', 'case-insensitive');
    assert.equal(status('SOMETHING_NEW'), 'unknown');
    assert.equal(status(null), 'unknown');
    for (const type of ['CRASHED', 'PAUSED', 'CANCELLING']) {
      assert.ok((STATE_TYPE_TABLE.find((r) => r.native === type)?.note ?? '').length > 20, type);
    }
  });

  test('notable state names agree with their type', () => {
    for (const row of STATE_NAME_NOTES) assert.equal(row.status, mapStateType(row.type), row.native ?? '');
    for (const name of [
      'Late',
      'AwaitingRetry',
      'Retrying',
      'Cached',
      'TimedOut',
      'Suspended',
      'AwaitingConcurrencySlot',
    ]) {
      assert.ok(
        STATE_NAME_NOTES.some((r) => r.native === name),
        name,
      );
    }
    assert.match(STATE_NAME_NOTES.find((r) => r.native === 'Late')?.note ?? '', /worker/);
  });

  test('statuses become state type filters', () => {
    assert.deepEqual(stateTypesFor(['failed']), ['FAILED', 'CRASHED']);
    assert.deepEqual(stateTypesFor(['pending']), ['SCHEDULED', 'PENDING', 'PAUSED']);
    assert.deepEqual(stateTypesFor(['running', 'cancelled']), ['RUNNING', 'CANCELLED', 'CANCELLING']);
    assert.deepEqual(stateTypesFor(['unknown']), []);
  });

  test('trigger kinds', () => {
    assert.equal(triggerKind(flowRun({ auto_scheduled: true })), 'scheduled');
    assert.equal(triggerKind(flowRun({ created_by: { type: 'SCHEDULE' } })), 'scheduled');
    assert.equal(
      triggerKind(flowRun({ idempotency_key: 'scheduled d1 s1 2026-03-11T12:00:00+00:00' })),
      'scheduled',
    );
    assert.equal(triggerKind(flowRun({ created_by: { type: 'AUTOMATION', display_value: 'x' } })), 'event');
    assert.equal(triggerKind(flowRun({ created_by: { type: 'USER', display_value: 'me' } })), 'manual');
    assert.equal(triggerKind(flowRun({})), 'manual');
    assert.equal(triggerKind(flowRun({ parent_task_run_id: 't' })), 'unknown');
    assert.equal(triggerKind(flowRun({ deployment_id: null })), 'unknown');
  });

  test('a crashed run: failed, named Crashed, error from the state message', () => {
    const run = toPipelineRun({ orchestrator: 'p', uiBase: 'http://x' }, 'a/b', {
      ...flowRun({}),
      state_type: 'CRASHED',
      state_name: 'Crashed',
      state: {
        type: 'CRASHED',
        name: 'Crashed',
        message: 'Flow run infrastructure exited with non-zero status code 137.',
      },
      start_time: '2026-03-11T06:00:00Z',
      end_time: '2026-03-11T06:18:30Z',
    });
    assert.equal(run.status, 'failed');
    assert.equal(run.native_status, 'Crashed');
    assert.match(run.error_message ?? '', /137/);
    assert.equal(run.duration_seconds, 1110);
    assert.equal(run.url, 'http://x/runs/flow-run/0b1c6f9e-3f7a-4b8e-9d7a-2f1e5c3b7a10');
    const late = toPipelineRun({ orchestrator: 'p', uiBase: 'http://x' }, 'a/b', {
      ...flowRun({}),
      state: { type: 'SCHEDULED', name: 'Late', message: null },
      expected_start_time: '2026-03-11T10:15:00Z',
    });
    assert.deepEqual(
      [late.status, late.native_status, late.error_message, late.queued_at],
      ['pending', 'Late', null, '2026-03-11T10:15:00Z'],
    );
  });
});

describe('deployments', () => {
  test('owners: owner:/team: tags, then labels, then created_by (users only)', () => {
    assert.deepEqual(
      ownersAndTags(deployment({ tags: ['etl', 'owner:data-platform', 'Team: analytics', 'owners=ml'] })),
      {
        owners: ['data-platform', 'analytics', 'ml'],
        tags: ['etl'],
      },
    );
    assert.deepEqual(ownersAndTags(deployment({ tags: ['etl'], labels: { owner: 'finance-eng' } })).owners, [
      'finance-eng',
    ]);
    assert.deepEqual(
      ownersAndTags(deployment({ created_by: { type: 'USER', display_value: 'a@example.com' } })).owners,
      ['a@example.com'],
    );
    assert.deepEqual(
      ownersAndTags(deployment({ created_by: { type: 'AUTOMATION', display_value: 'x' } })).owners,
      [],
    );
    assert.deepEqual(ownersAndTags(deployment({ tags: ['owner:'] })), { owners: [], tags: ['owner:'] });
  });

  test('schedules: cron (with zone), interval, rrule, inactive ones left out, 2.x legacy schedule', () => {
    assert.equal(describeSchedule({ cron: '0 2 * * *', timezone: 'UTC' }), '0 2 * * *');
    assert.equal(
      describeSchedule({ cron: '0 2 * * *', timezone: 'Europe/Paris' }),
      '0 2 * * * (Europe/Paris)',
    );
    assert.equal(describeSchedule({ interval: 3600 }), 'every 1 hour');
    assert.equal(describeInterval(900), 'every 15 minutes');
    assert.equal(describeInterval(86_400 * 2), 'every 2 days');
    assert.equal(describeInterval(90), 'every 90 seconds');
    assert.equal(describeInterval(5400), 'every 90 minutes');
    assert.equal(describeSchedule({ rrule: 'FREQ=WEEKLY;BYDAY=MO' }), 'RRULE:FREQ=WEEKLY;BYDAY=MO');
    assert.equal(
      describeSchedule({ rrule: 'DTSTART:20260101T030000\nRRULE:FREQ=DAILY', timezone: 'UTC' }),
      'DTSTART:20260101T030000 RRULE:FREQ=DAILY',
    );
    const two = deployment({
      schedules: [
        { schedule: { cron: '0 2 * * *' }, active: true },
        { schedule: { interval: 600 }, active: false },
        { schedule: { interval: 1800 } },
      ],
    });
    assert.equal(scheduleOf(two), '0 2 * * *; every 30 minutes');
    assert.equal(
      scheduleOf(deployment({ schedules: [{ schedule: { cron: '* * * * *' }, active: false }] })),
      null,
    );
    assert.equal(
      scheduleOf(deployment({ schedule: { interval: 60 }, is_schedule_active: true })),
      'every 1 minute',
    );
    assert.equal(scheduleOf(deployment({})), null);
  });

  test('paused: `paused`, or a 2.x schedule turned off', () => {
    assert.equal(isPaused(deployment({ paused: true })), true);
    assert.equal(isPaused(deployment({ paused: false, is_schedule_active: false })), true);
    assert.equal(isPaused(deployment({ paused: false })), false);
    assert.equal(isPaused(deployment({})), false);
  });

  test('pipeline ids and UI URLs', () => {
    assert.deepEqual(splitPipelineId('sync-hubspot/hourly'), { flow: 'sync-hubspot', deployment: 'hourly' });
    for (const bad of ['nope', '/x', 'x/', 'a/b/c']) assert.equal(splitPipelineId(bad), null, bad);
    assert.equal(uiBaseOf('http://prefect:4200/api'), 'http://prefect:4200');
    assert.equal(uiBaseOf('http://host/prefect/api/'), 'http://host/prefect');
    assert.equal(
      uiBaseOf('https://api.prefect.cloud/api/accounts/a1/workspaces/w1'),
      'https://app.prefect.cloud/account/a1/workspace/w1',
    );
  });
});

describe('task runs and logs', () => {
  const task = (fields: Partial<PrefectTaskRun>): PrefectTaskRun => ({
    id: 'tr-1',
    name: 'fetch-abc',
    task_key: 'fetch-1234',
    ...fields,
  });

  test('tries, attempts allowed, error; duplicate names fall back to ids', () => {
    const t = toTaskRun(
      task({
        run_count: 3,
        empirical_policy: { retries: 2 },
        state: { type: 'FAILED', name: 'Failed', message: 'Task run encountered an exception ValueError: x' },
        start_time: '2026-03-11T11:00:00Z',
        end_time: '2026-03-11T11:02:00Z',
      }),
      'fetch-abc',
    );
    assert.deepEqual(
      [t.try_number, t.max_tries, t.status, t.map_index, t.duration_seconds],
      [3, 3, 'failed', null, 120],
    );
    assert.match(t.error ?? '', /ValueError/);
    assert.equal(
      toTaskRun(task({ state: { type: 'COMPLETED', name: 'Cached' } }), 'x').native_status,
      'Cached',
    );
    assert.deepEqual(
      taskIds([
        task({ id: 'a', name: 'n-1' }),
        task({ id: 'b', name: 'n-1' }),
        task({ id: 'c', name: 'm-2' }),
      ]),
      ['n-1', 'b', 'm-2'],
    );
  });

  test('log lines render like `[ts] LEVEL logger - message`, tracebacks on their own lines', () => {
    assert.deepEqual(
      renderLog({
        timestamp: '2026-03-11T11:00:00.000000Z',
        level: 40,
        name: 'prefect.flow_runs',
        message: 'boom\nTraceback …\n',
      }),
      ['[2026-03-11T11:00:00.000000Z] ERROR prefect.flow_runs - boom', 'Traceback …'],
    );
  });

  test('the tail is read from the end, page by page, and stops once maxBytes are read', async () => {
    const total = 10_000;
    const logAt = (i: number): PrefectLog => ({
      id: `log-${i}`,
      name: 'prefect.task_runs',
      level: 20,
      message: `line ${i}`,
      timestamp: new Date(Date.UTC(2026, 2, 11) + i * 1000).toISOString(),
    });
    const calls: number[] = [];
    // Newest first, like TIMESTAMP_DESC.
    const fetchPage = async (offset: number, limit: number) => {
      calls.push(offset);
      const out: PrefectLog[] = [];
      for (let k = offset; k < Math.min(total, offset + limit); k++) out.push(logAt(total - 1 - k));
      return out;
    };
    const tail = await readLogTail(fetchPage, { maxBytes: 5000, maxPages: 100, pageSize: 50 });
    assert.equal(tail.truncated, true);
    assert.deepEqual(calls, [0, 50], 'two pages of 50, not 200');
    assert.match(tail.lines[tail.lines.length - 1] ?? '', /line 9999$/);
    assert.ok(tail.lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) <= 5000);
    const ns = tail.lines.map((l) => Number(/line (\d+)$/.exec(l)?.[1]));
    assert.deepEqual(
      ns,
      [...ns].sort((a, b) => a - b),
    );

    const all = await readLogTail(
      async (offset, limit) => (await fetchPage(offset, limit)).slice(0, offset < 100 ? limit : 0),
      {
        maxBytes: 1e9,
        maxPages: 100,
        pageSize: 50,
      },
    );
    assert.equal(all.truncated, false);
    assert.equal(all.records, 100);

    const repeated = await readLogTail(async () => [logAt(1), logAt(1)], {
      maxBytes: 1e6,
      maxPages: 1,
      pageSize: 50,
    });
    assert.equal(repeated.records, 1, 'duplicates across shifting pages are dropped');

    const huge = await readLogTail(async () => [{ ...logAt(0), message: 'x'.repeat(5000) }], {
      maxBytes: 100,
      maxPages: 3,
      pageSize: 50,
    });
    assert.equal(huge.truncated, true);
    assert.equal(huge.lines.length, 1);
    assert.ok(Buffer.byteLength(huge.lines[0] ?? '') < 100);
  });
});
