import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUN_STATUSES } from '../../core/status.js';
import { likeSubstring } from './adapter.js';
import {
  DAG_RUN_STATUS_TABLE,
  TASK_INSTANCE_STATUS_TABLE,
  V1_DAG_RUN_STATUS_TABLE,
  V1_RUN_TYPE_TABLE,
  V1_STATUS,
  V1_TASK_INSTANCE_STATUS_TABLE,
  V2_STATUS,
  dagRunStatesFor,
  duration,
  importErrorMatchesDag,
  mapDagRunState,
  mapRunType,
  mapTaskInstanceState,
  normalizeSchedule,
  summarizeFailure,
  summarizeImportError,
  toPipeline,
  toPipelineRun,
  toTaskRun,
  type MappingContext,
} from './mapping.js';
import type { DagRecord, RunRecord, TaskInstanceRecord } from './records.js';
import { v1Dialect } from './v1/dialect.js';
import { v2Dialect } from './v2/dialect.js';

const base = 'https://airflow.example.com';
const ctx: MappingContext = { orchestrator: 'prod', status: V2_STATUS, links: v2Dialect.links(base) };
const ctxV1: MappingContext = { orchestrator: 'prod2', status: V1_STATUS, links: v1Dialect.links(base) };

function dag(overrides: Partial<DagRecord> = {}): DagRecord {
  return {
    dag_id: 'daily_sales_etl',
    description: ' Loads sales ',
    is_paused: false,
    is_stale: false,
    owners: ['data-eng'],
    tags: ['sales'],
    schedule: '0 2 * * *',
    has_import_errors: false,
    fileloc: '/opt/airflow/dags/sales/daily_sales_etl.py',
    relative_fileloc: 'sales/daily_sales_etl.py',
    bundle_name: 'dags-folder',
    ...overrides,
  };
}

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    dag_id: 'daily_sales_etl',
    dag_run_id: 'scheduled__2025-01-15T02:00:00+00:00',
    state: 'success',
    run_type: 'scheduled',
    run_after: '2025-01-15T02:00:00Z',
    queued_at: '2025-01-15T02:00:01Z',
    start_date: '2025-01-15T02:00:05Z',
    end_date: '2025-01-15T02:10:05Z',
    duration: 600.04,
    ...overrides,
  };
}

function ti(overrides: Partial<TaskInstanceRecord> = {}): TaskInstanceRecord {
  return {
    task_id: 'extract',
    dag_id: 'daily_sales_etl',
    dag_run_id: 'r1',
    map_index: -1,
    try_number: 1,
    max_tries: 0,
    state: 'success',
    start_date: '2025-01-15T02:00:05Z',
    end_date: '2025-01-15T02:00:07.5Z',
    duration: null,
    ...overrides,
  };
}

describe('status mapping (Airflow 3)', () => {
  it('maps every DagRun state', () => {
    assert.equal(mapDagRunState('queued'), 'pending');
    assert.equal(mapDagRunState('running'), 'running');
    assert.equal(mapDagRunState('success'), 'success');
    assert.equal(mapDagRunState('failed'), 'failed');
    assert.equal(mapDagRunState('something_new'), 'unknown');
    assert.equal(mapDagRunState('constructor'), 'unknown');
  });

  it('maps every TaskInstance state, null included', () => {
    const expected: Record<string, string> = {
      removed: 'cancelled',
      scheduled: 'pending',
      queued: 'pending',
      up_for_reschedule: 'pending',
      deferred: 'pending',
      restarting: 'pending',
      running: 'running',
      up_for_retry: 'running',
      success: 'success',
      failed: 'failed',
      upstream_failed: 'failed',
      skipped: 'cancelled',
    };
    for (const [native, status] of Object.entries(expected))
      assert.equal(mapTaskInstanceState(native), status, native);
    assert.equal(mapTaskInstanceState(null), 'pending');
    assert.equal(mapTaskInstanceState(undefined), 'pending');
    assert.equal(mapTaskInstanceState('none'), 'pending');
    assert.equal(mapTaskInstanceState('__proto__'), 'unknown');
    assert.equal(mapTaskInstanceState('shutdown'), 'unknown', 'an Airflow 2 state is not an Airflow 3 one');
  });

  it('tables only use core statuses and cover the spec enums', () => {
    for (const row of [...DAG_RUN_STATUS_TABLE, ...TASK_INSTANCE_STATUS_TABLE]) {
      assert.ok((RUN_STATUSES as readonly string[]).includes(row.status));
    }
    assert.deepEqual(DAG_RUN_STATUS_TABLE.map((r) => r.native).sort(), [
      'failed',
      'queued',
      'running',
      'success',
    ]);
    assert.equal(TASK_INSTANCE_STATUS_TABLE.length, 13); // 12 enum values + null
  });

  it('maps run types', () => {
    assert.equal(mapRunType('scheduled'), 'scheduled');
    assert.equal(mapRunType('manual'), 'manual');
    assert.equal(mapRunType('backfill'), 'backfill');
    assert.equal(mapRunType('asset_triggered'), 'event');
    assert.equal(mapRunType('asset_materialization'), 'event');
    assert.equal(mapRunType('dataset_triggered'), 'event');
    assert.equal(mapRunType('toString'), 'unknown');
  });

  it('turns statuses into DagRun state filters', () => {
    assert.deepEqual(dagRunStatesFor(['pending', 'failed']).sort(), ['failed', 'queued']);
    assert.deepEqual(dagRunStatesFor(['cancelled', 'unknown']), []);
  });
});

describe('status mapping (Airflow 2)', () => {
  it('covers the 2.10 spec enums plus the states older 2.x servers send', () => {
    for (const row of [...V1_DAG_RUN_STATUS_TABLE, ...V1_TASK_INSTANCE_STATUS_TABLE]) {
      assert.ok((RUN_STATUSES as readonly string[]).includes(row.status));
    }
    assert.deepEqual(V1_DAG_RUN_STATUS_TABLE.map((r) => r.native).sort(), [
      'failed',
      'queued',
      'running',
      'success',
    ]);
    // TaskState in the 2.10 spec: null + 13 strings ("none" included); then sensing and shutdown (< 2.4 / < 2.7).
    const natives = V1_TASK_INSTANCE_STATUS_TABLE.map((r) => r.native);
    for (const state of [
      null,
      'success',
      'running',
      'failed',
      'upstream_failed',
      'skipped',
      'up_for_retry',
      'up_for_reschedule',
      'queued',
      'none',
      'scheduled',
      'deferred',
      'removed',
      'restarting',
      'sensing',
      'shutdown',
    ])
      assert.ok(natives.includes(state), String(state));
    assert.equal(new Set(natives).size, natives.length);
    const v1Only = V1_TASK_INSTANCE_STATUS_TABLE.filter((r) => r.note.startsWith('v1 only'));
    assert.deepEqual(v1Only.map((r) => r.native).sort(), ['none', 'sensing', 'shutdown']);
  });

  it('maps the v1-only states and run types', () => {
    assert.equal(V1_STATUS.taskInstance('none'), 'pending');
    assert.equal(V1_STATUS.taskInstance(null), 'pending');
    assert.equal(V1_STATUS.taskInstance('sensing'), 'running');
    assert.equal(V1_STATUS.taskInstance('shutdown'), 'cancelled');
    assert.equal(V1_STATUS.taskInstance('failed'), 'failed');
    assert.equal(V1_STATUS.taskInstance('hasOwnProperty'), 'unknown');
    assert.equal(V1_STATUS.runType('dataset_triggered'), 'event');
    assert.equal(V1_STATUS.runType('asset_triggered'), 'unknown', 'an Airflow 3 run type');
    assert.deepEqual(Object.keys(V1_RUN_TYPE_TABLE).sort(), [
      'backfill',
      'dataset_triggered',
      'manual',
      'scheduled',
    ]);
    assert.deepEqual(V1_STATUS.dagRunStatesFor(['running', 'pending']).sort(), ['queued', 'running']);
  });
});

describe('entity mapping', () => {
  it('maps a DAG', () => {
    const p = toPipeline(ctx, dag(), null);
    assert.deepEqual(p, {
      orchestrator: 'prod',
      pipeline_id: 'daily_sales_etl',
      description: 'Loads sales',
      owners: ['data-eng'],
      tags: ['sales'],
      schedule: '0 2 * * *',
      paused: false,
      broken: null,
      url: 'https://airflow.example.com/dags/daily_sales_etl',
    });
    assert.equal(normalizeSchedule('None'), null);
    assert.equal(normalizeSchedule(null), null);
    assert.equal(toPipeline(ctx, dag({ schedule: 'None' }), null).schedule, null);
    const broken = toPipeline(ctx, dag({ has_import_errors: true }), null);
    assert.match(broken.broken?.error ?? '', /import error/);
  });

  it('links into the UI of each Airflow version', () => {
    assert.equal(toPipeline(ctxV1, dag(), null).url, 'https://airflow.example.com/dags/daily_sales_etl/grid');
    assert.equal(
      toPipelineRun(ctxV1, run()).url,
      'https://airflow.example.com/dags/daily_sales_etl/grid?dag_run_id=scheduled__2025-01-15T02%3A00%3A00%2B00%3A00',
    );
  });

  it('maps a run with duration and url', () => {
    const r = toPipelineRun(ctx, run());
    assert.equal(r.status, 'success');
    assert.equal(r.duration_seconds, 600);
    assert.equal(r.trigger, 'scheduled');
    assert.equal(r.queued_at, '2025-01-15T02:00:01Z');
    assert.equal(
      r.url,
      'https://airflow.example.com/dags/daily_sales_etl/runs/scheduled__2025-01-15T02%3A00%3A00%2B00%3A00',
    );
    const running = toPipelineRun(
      ctx,
      run({ state: 'running', end_date: null, duration: null, queued_at: null }),
    );
    assert.equal(running.duration_seconds, null);
    assert.equal(running.queued_at, '2025-01-15T02:00:00Z');
    assert.equal(toPipelineRun(ctx, run({ start_date: 'garbage' })).started_at, null);
  });

  it('maps task instances (map index, tries, duration from dates)', () => {
    const t = toTaskRun(ctx, ti({ map_index: 7, try_number: 2, max_tries: 1, state: 'up_for_retry' }));
    assert.equal(t.map_index, 7);
    assert.equal(t.max_tries, 2);
    assert.equal(t.status, 'running');
    assert.equal(t.duration_seconds, 2.5);
    const none = toTaskRun(ctx, ti({ state: null, start_date: null, end_date: null }));
    assert.equal(none.map_index, null);
    assert.equal(none.native_status, 'none');
    assert.equal(none.status, 'pending');
    assert.equal(toTaskRun(ctxV1, ti({ state: 'shutdown' })).status, 'cancelled');
    assert.equal(duration(1.26, 'a', '2025-01-01T00:00:00Z'), 1.3);
  });
});

describe('failure summary', () => {
  it('names one failed task with its try', () => {
    const s = summarizeFailure([
      ti({ task_id: 'fetch_inventory_snapshot', state: 'failed', try_number: 2, max_tries: 1 }),
      ti({ task_id: 'load', state: 'upstream_failed' }),
    ]);
    assert.deepEqual(s.failed_tasks, ['fetch_inventory_snapshot']);
    assert.equal(s.error_message, 'Task fetch_inventory_snapshot failed (try 2 of 2).');
  });

  it('groups mapped instances and bounds the list', () => {
    const tis = [3, 1, 2, 9, 8, 7].map((i) => ti({ task_id: 'p', map_index: i, state: 'failed' }));
    const others = ['a', 'b', 'c', 'd', 'e'].map((id) => ti({ task_id: id, state: 'failed' }));
    const s = summarizeFailure([...tis, ...others]);
    assert.equal(s.failed_tasks.length, 6);
    assert.match(s.error_message, /^Tasks p \(6 mapped instances: map_index 1, 2, 3, 7, 8, …\)/);
    assert.match(s.error_message, /and 1 more failed\.$/);
  });

  it('explains a failed run without failed tasks', () => {
    assert.match(summarizeFailure([]).error_message, /marked failed/);
  });
});

describe('import errors', () => {
  const error = {
    import_error_id: 1,
    filename: 'vendor/broken_vendor_sync.py',
    stack_trace:
      'Traceback (most recent call last):\n  File "x.py", line 3, in <module>\n    import vendor_sdk\nModuleNotFoundError: No module named \'vendor_sdk\'\n',
    bundle_name: 'dags-folder',
  };
  it('matches by relative or absolute file', () => {
    const d = dag({
      fileloc: '/opt/dags/vendor/broken_vendor_sync.py',
      relative_fileloc: 'vendor/broken_vendor_sync.py',
    });
    assert.ok(importErrorMatchesDag(error, d));
    assert.ok(
      importErrorMatchesDag(
        error,
        dag({ fileloc: '/opt/dags/vendor/broken_vendor_sync.py', relative_fileloc: null }),
      ),
    );
    assert.ok(!importErrorMatchesDag(error, dag()));
    assert.ok(!importErrorMatchesDag({ ...error, bundle_name: 'other' }, d));
    // Airflow 2: absolute file names, no bundles.
    const v1Error = { ...error, filename: '/opt/dags/vendor/broken_vendor_sync.py', bundle_name: null };
    assert.ok(importErrorMatchesDag(v1Error, { ...d, relative_fileloc: null, bundle_name: null }));
  });
  it('summarizes the traceback by its last line', () => {
    assert.equal(
      summarizeImportError(error),
      "ModuleNotFoundError: No module named 'vendor_sdk' (in vendor/broken_vendor_sync.py)",
    );
  });
});

describe('search pattern', () => {
  it('wraps the substring (an unescaped _ matches a literal _ on every database)', () => {
    assert.equal(likeSubstring('sales_etl'), '%sales_etl%');
  });
});
