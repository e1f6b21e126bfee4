import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUN_STATUSES } from '../../core/status.js';
import {
  DAG_RUN_STATUS_TABLE,
  TASK_INSTANCE_STATUS_TABLE,
  dagRunStatesFor,
  duration,
  importErrorMatchesDag,
  mapDagRunState,
  mapRunType,
  mapTaskInstanceState,
  scheduleOf,
  summarizeFailure,
  summarizeImportError,
  toPipeline,
  toPipelineRun,
  toTaskRun,
} from './mapping.js';
import type { AirflowDag, AirflowDagRun, AirflowTaskInstance } from './schemas.js';
import { likeSubstring } from './adapter.js';

const ctx = { orchestrator: 'prod', baseUrl: 'https://airflow.example.com' };

function dag(overrides: Partial<AirflowDag> = {}): AirflowDag {
  return {
    dag_id: 'daily_sales_etl',
    description: ' Loads sales ',
    is_paused: false,
    owners: ['data-eng'],
    tags: [{ name: 'sales' }],
    timetable_summary: '0 2 * * *',
    has_import_errors: false,
    fileloc: '/opt/airflow/dags/sales/daily_sales_etl.py',
    relative_fileloc: 'sales/daily_sales_etl.py',
    bundle_name: 'dags-folder',
    ...overrides,
  };
}

function run(overrides: Partial<AirflowDagRun> = {}): AirflowDagRun {
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

function ti(overrides: Partial<AirflowTaskInstance> = {}): AirflowTaskInstance {
  return {
    task_id: 'extract',
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

describe('status mapping', () => {
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
    assert.equal(scheduleOf({ timetable_summary: 'None' }), null);
    assert.equal(scheduleOf({ timetable_summary: null }), null);
    const broken = toPipeline(ctx, dag({ has_import_errors: true }), null);
    assert.match(broken.broken?.error ?? '', /import error/);
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
    const t = toTaskRun(ti({ map_index: 7, try_number: 2, max_tries: 1, state: 'up_for_retry' }));
    assert.equal(t.map_index, 7);
    assert.equal(t.max_tries, 2);
    assert.equal(t.status, 'running');
    assert.equal(t.duration_seconds, 2.5);
    const none = toTaskRun(ti({ state: null, start_date: null, end_date: null }));
    assert.equal(none.map_index, null);
    assert.equal(none.native_status, 'none');
    assert.equal(none.status, 'pending');
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
    timestamp: '2025-01-01T00:00:00Z',
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
