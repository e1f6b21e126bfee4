import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedSpecsDir, specsMissingMessage } from '../../../test/spec-path.js';
import type { RunRecord } from '../records.js';
import { v2Dialect } from '../v2/dialect.js';
import { V1_TI_BATCH_RUNS, v1Dialect } from './dialect.js';
import { V1DagPageSchema, V1LogChunkSchema, V1RunPageSchema, V1TaskInstancePageSchema } from './schemas.js';

const v1Dag = {
  dag_id: 'daily_sales_etl',
  description: null,
  is_paused: null,
  is_active: true,
  owners: ['data-platform', ' finance-eng'],
  tags: [{ name: 'etl' }, null, { name: 'sales' }],
  schedule_interval: { __type: 'CronExpression', value: '0 2 * * *' },
  timetable_description: 'At 02:00',
  has_import_errors: null,
  fileloc: '/opt/airflow/dags/sales.py',
  file_token: 'Ii9vcHQvYWlyZmxvdy9kYWdzL3NhbGVzLnB5Ig.abc',
  next_dagrun: '2026-03-12T02:00:00+00:00',
};

function run(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    dag_id: 'a',
    dag_run_id: 'r',
    state: 'failed',
    run_type: 'scheduled',
    run_after: '2026-03-10T00:00:00+00:00',
    queued_at: null,
    start_date: null,
    end_date: null,
    duration: null,
    ...overrides,
  };
}

describe('Airflow 2 responses → records', () => {
  it('reads a DAG: schedule_interval, nullable fields, stale DAGs', () => {
    const page = V1DagPageSchema.parse({
      dags: [v1Dag, { ...v1Dag, dag_id: 'gone', is_active: false, tags: null, schedule_interval: null }],
      total_entries: 2,
    });
    assert.equal(page.total, 2);
    assert.deepEqual(page.items[0], {
      dag_id: 'daily_sales_etl',
      description: null,
      is_paused: false,
      is_stale: false,
      owners: ['data-platform', 'finance-eng'],
      tags: ['etl', 'sales'],
      schedule: '0 2 * * *',
      has_import_errors: false,
      fileloc: '/opt/airflow/dags/sales.py',
      relative_fileloc: null,
      bundle_name: null,
    });
    assert.equal(page.items[1]?.is_stale, true);
    assert.deepEqual(page.items[1]?.tags, []);
    assert.equal(page.items[1]?.schedule, 'At 02:00');
    const missing = V1DagPageSchema.safeParse({ dags: [{ ...v1Dag, owners: undefined }], total_entries: 1 });
    assert.equal(missing.success, false);
  });

  it('reads runs: the logical date stands in for run_after', (t) => {
    const page = V1RunPageSchema.parse({
      dag_runs: [
        {
          dag_id: 'd',
          dag_run_id: 'manual__1',
          state: 'success',
          run_type: 'dataset_triggered',
          execution_date: '2026-03-10T00:00:00+00:00',
          logical_date: '2026-03-10T00:00:00+00:00',
          start_date: '2026-03-10T00:00:05+00:00',
          end_date: '2026-03-10T00:10:05+00:00',
          external_trigger: false,
          conf: {},
        },
        {
          dag_id: 'd',
          dag_run_id: 'old',
          state: 'queued',
          run_type: 'manual',
          execution_date: '2020-01-01T00:00:00+00:00',
        },
      ],
      total_entries: 2,
    });
    assert.equal(page.items[0]?.run_after, '2026-03-10T00:00:00+00:00');
    assert.equal(page.items[0]?.queued_at, null);
    assert.equal(page.items[1]?.run_after, '2020-01-01T00:00:00+00:00');
    const dir = sharedSpecsDir();
    if (dir === null) return t.skip(specsMissingMessage());
    const example = JSON.parse(
      readFileSync(join(dir, 'examples', 'airflow', 'v1_get_dag_runs_response.test-expected.json'), 'utf8'),
    ) as unknown;
    const shared = V1RunPageSchema.parse(example);
    assert.equal(shared.items.length, 2);
    assert.equal(shared.items[0]?.run_after, '2020-06-11T18:00:00+00:00');
  });

  it('reads task instances: "none" is no state, servers before 2.3 have no map_index', () => {
    const page = V1TaskInstancePageSchema.parse({
      task_instances: [
        { task_id: 'a', try_number: 1, max_tries: 0, state: 'none' },
        {
          task_id: 'b',
          try_number: 2,
          max_tries: 1,
          state: 'shutdown',
          map_index: 3,
          dag_id: 'd',
          dag_run_id: 'r',
        },
      ],
      total_entries: 2,
    });
    assert.equal(page.items[0]?.state, null);
    assert.equal(page.items[0]?.map_index, -1);
    assert.equal(page.items[1]?.state, 'shutdown');
  });

  it('reads log chunks in their Python-repr form', () => {
    const chunk = V1LogChunkSchema.parse({
      content: "[('worker', 'one\\ntwo')]",
      continuation_token: 'eyJlbmRfb2ZfbG9nIjp0cnVlfQ.sig',
    });
    assert.deepEqual(chunk, { lines: ['one', 'two'], continuation_token: 'eyJlbmRfb2ZfbG9nIjp0cnVlfQ.sig' });
  });
});

describe('Airflow 2 requests', () => {
  it('lists DAGs with only the filters v1 has', () => {
    const request = v1Dialect.listDags({
      owner: 'x',
      tag: 'etl',
      paused: false,
      pattern: '%sales%',
      lastRunState: 'failed',
    });
    assert.equal(request.path, '/api/v1/dags');
    assert.deepEqual(request.query, {
      only_active: true,
      tags: 'etl',
      paused: false,
      dag_id_pattern: '%sales%',
      order_by: 'dag_id',
    });
    assert.deepEqual(v1Dialect.dagFilters, { owners: false, lastRunState: false, hadRun: false });
    assert.deepEqual(v2Dialect.dagFilters, { owners: true, lastRunState: true, hadRun: true });
  });

  it('lists one DAG’s runs by GET and runs across DAGs by the batch POST', () => {
    const one = v1Dialect.listRuns({
      dagId: 'a b',
      states: ['failed'],
      startedAfter: '2026-03-01T00:00:00.000Z',
      orderBy: 'started_at',
    });
    assert.equal(one.method, 'GET');
    assert.equal(one.path, '/api/v1/dags/a%20b/dagRuns');
    assert.deepEqual(one.query, {
      state: ['failed'],
      end_date_gte: undefined,
      execution_date_gte: '2026-03-01T00:00:00.000Z',
      order_by: '-execution_date',
    });
    const all = v1Dialect.listRuns({
      states: ['failed'],
      finishedAfter: '2026-03-10T00:00:00.000Z',
      orderBy: 'finished_at',
    });
    assert.equal(all.method, 'POST');
    assert.equal(all.path, '/api/v1/dags/~/dagRuns/list');
    assert.equal(all.paging, 'body');
    assert.deepEqual(JSON.parse(JSON.stringify(all.body)), {
      states: ['failed'],
      end_date_gte: '2026-03-10T00:00:00.000Z',
      order_by: '-end_date',
    });
    const some = v1Dialect.listRuns({ dagIds: ['a', 'b'], orderBy: 'started_at' });
    assert.deepEqual(some.body?.dag_ids, ['a', 'b']);
    assert.equal(some.body?.order_by, '-execution_date');
  });

  it('asks for failed task instances in batches of runs', () => {
    const runs = Array.from({ length: V1_TI_BATCH_RUNS + 3 }, (_, i) =>
      run({ dag_id: `d${i % 2}`, dag_run_id: `r${i}` }),
    );
    const plans = v1Dialect.failedTaskInstances(runs);
    assert.equal(plans.length, 2);
    assert.equal(plans[0]?.request.path, '/api/v1/dags/~/dagRuns/~/taskInstances/list');
    assert.equal(plans[0]?.request.paging, 'none');
    assert.deepEqual(plans[0]?.request.body?.dag_ids, ['d0', 'd1']);
    assert.equal((plans[0]?.request.body?.dag_run_ids as string[]).length, V1_TI_BATCH_RUNS);
    assert.deepEqual(plans[0]?.request.body?.state, ['failed']);
    assert.equal(plans[1]?.runs.length, 3);
  });

  it('v2 covers failed task instances with one run_after window', () => {
    const plans = v2Dialect.failedTaskInstances([
      run({ run_after: '2026-03-10T02:00:00.123456Z' }),
      run({ run_after: '2026-03-09T02:00:00Z' }),
    ]);
    assert.equal(plans.length, 1);
    assert.deepEqual(plans[0]?.request.query, {
      state: ['failed'],
      run_after_gte: '2026-03-09T02:00:00Z',
      run_after_lte: '2026-03-10T02:00:00.123456Z',
    });
    assert.deepEqual(v2Dialect.failedTaskInstances([run({ run_after: null })]), []);
  });

  it('triggers without a logical date on v1, with an explicit null on v2', () => {
    assert.deepEqual(v1Dialect.trigger('d', { conf: { a: 1 }, runId: 'r1' }).json, {
      conf: { a: 1 },
      dag_run_id: 'r1',
    });
    assert.deepEqual(v2Dialect.trigger('d', { conf: {} }).json, { logical_date: null, conf: {} });
    assert.equal(v1Dialect.trigger('d', { conf: {} }).method, 'POST');
  });

  it('reads logs as JSON in chunks (no full_content), with the continuation token', () => {
    const request = v1Dialect.log({
      dagId: 'd',
      runId: 'r:1',
      taskId: 't',
      tryNumber: 2,
      mapIndex: -1,
      token: 'tok',
    });
    assert.equal(request.path, '/api/v1/dags/d/dagRuns/r%3A1/taskInstances/t/logs/2');
    assert.deepEqual(request.query, { map_index: -1, token: 'tok' });
    assert.equal(request.headers?.accept, 'application/json');
  });
});
