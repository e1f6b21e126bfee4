import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AIRFLOW2_DEMO_FACTS,
  DAGSTER_DEMO_FACTS,
  DEMO_FACTS,
  PREFECT_DEMO_FACTS,
} from '../../emulators/world/index.js';
import { useDemoSession } from '../demo-session.js';

type Row = Record<string, unknown>;
const rows = (value: unknown) => value as Row[];

describe('the built CLI over stdio, against the demo world (Airflow 3 and 2, Dagster, Prefect)', () => {
  const session = useDemoSession();

  test('lists the read tools and the write tools when triggers are enabled', async () => {
    const { tools } = await session.mcp.client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      [
        'list_all_pipelines',
        'list_failed_pipelines',
        'get_health_summary',
        'get_pipeline_status',
        'get_pipeline_history',
        'get_run_details',
        'get_task_logs',
        'trigger_pipeline',
        'rerun_failed_tasks',
        'cancel_run',
      ],
    );
  });

  test('list_failed_pipelines finds the planted failures of the last 24 h and not the older ones', async () => {
    const answer = await session.mcp.call('list_failed_pipelines', { hours: 24 });
    assert.equal(answer.isError, false, answer.text);
    const out = answer.structured as Row;
    const failed = rows(out.failed_pipelines).map((p) => p.pipeline_id);
    for (const id of DEMO_FACTS.failedInLast24h)
      assert.ok(failed.includes(id), `${id} missing from ${failed.join(',')}`);
    assert.ok(
      !failed.includes(DEMO_FACTS.recoveredFailure.dagId),
      'a failure 3 days ago is outside the window',
    );
    assert.ok(!failed.includes(DEMO_FACTS.oldFailure.dagId), 'a failure 30 h ago is outside the window');
    assert.ok(!failed.includes(DEMO_FACTS.healthy.dagId));
    const inventory = rows(out.failures).find((f) => f.pipeline_id === DEMO_FACTS.latestFailure.dagId);
    assert.ok(inventory, 'sync_inventory failure row');
    assert.match(String(inventory.error), /Connection timeout to inventory service/);
    assert.deepEqual(inventory.owners, [DEMO_FACTS.latestFailure.owner]);
    assert.deepEqual(inventory.failed_tasks, [DEMO_FACTS.latestFailure.failedTask]);
    assert.equal(inventory.error_class, 'connection');
    assert.equal(out.total_failures, rows(out.failures).length);
    assert.match(answer.text, /sync_inventory/);
  });

  test('failures merge every orchestrator, each row saying where it came from, causes grouped', async () => {
    const out = (await session.mcp.call('list_failed_pipelines', { hours: 24, digests: 20 }))
      .structured as Row;
    const failed = rows(out.failed_pipelines).map(
      (p) => `${String(p.orchestrator)}:${String(p.pipeline_id)}`,
    );
    for (const id of [
      ...DEMO_FACTS.failedInLast24h.map((d) => `airflow:${d}`),
      ...AIRFLOW2_DEMO_FACTS.failedInLast24h.map((d) => `airflow-legacy:${d}`),
      ...DAGSTER_DEMO_FACTS.failedInLast24h.map((d) => `dagster:${d}`),
      ...PREFECT_DEMO_FACTS.failedInLast24h.map((d) => `prefect:${d}`),
    ]) {
      assert.ok(failed.includes(id), `${id} missing from ${failed.join(', ')}`);
    }
    const classOf = (pipeline: string) =>
      rows(out.failures).find((f) => f.pipeline_id === pipeline)?.error_class;
    assert.equal(classOf(DEMO_FACTS.latestFailure.dagId), 'connection');
    assert.equal(classOf(PREFECT_DEMO_FACTS.failed.pipelineId), 'auth');
    assert.equal(classOf('score-churn-model/prod'), 'oom_or_killed');
    const causes = rows(out.causes);
    assert.ok(causes.length > 0);
    assert.equal(
      causes.reduce((n, c) => n + Number(c.failures), 0),
      out.digested,
    );
  });

  test('get_health_summary answers "what needs my attention?" in one call', async () => {
    const answer = await session.mcp.call('get_health_summary', {});
    assert.equal(answer.isError, false, answer.text);
    const out = answer.structured as Row;
    assert.ok(Number(out.total_failures) >= 4);
    const attention = rows(out.attention).map((a) => `${String(a.pipeline_id)}=${String(a.status)}`);
    assert.ok(attention.includes(`${PREFECT_DEMO_FACTS.late.pipelineId}=late`), attention.join(', '));
    const team = (await session.mcp.call('get_health_summary', { owner: 'data-platform' })).structured as Row;
    for (const p of rows(team.failed_pipelines)) {
      assert.ok(
        [
          ...DEMO_FACTS.dataPlatformDags,
          ...AIRFLOW2_DEMO_FACTS.dataPlatformDags,
          ...DAGSTER_DEMO_FACTS.dataPlatformJobs,
          ...PREFECT_DEMO_FACTS.dataPlatformDeployments,
        ].includes(String(p.pipeline_id) as never),
        String(p.pipeline_id),
      );
    }
  });

  test('a wider window finds the older failures too', async () => {
    // Only Airflow 3's: over 5 days more pipelines fail across the worlds than `failed_pipelines` lists.
    const out = (await session.mcp.call('list_failed_pipelines', { hours: 24 * 5, orchestrator: 'airflow' }))
      .structured as Row;
    const failed = rows(out.failed_pipelines).map((p) => p.pipeline_id);
    assert.ok(failed.includes(DEMO_FACTS.recoveredFailure.dagId));
    assert.ok(failed.includes(DEMO_FACTS.oldFailure.dagId));
  });

  test('the owner filter keeps only that owner’s failures', async () => {
    const out = (await session.mcp.call('list_failed_pipelines', { hours: 24, owner: 'analytics' }))
      .structured as Row;
    const ids = rows(out.failed_pipelines).map((p) => p.pipeline_id);
    assert.ok(ids.includes(DEMO_FACTS.secondRecentFailure.dagId), ids.join(','));
    assert.ok(ids.includes(DAGSTER_DEMO_FACTS.latestFailure.job), ids.join(','));
    assert.ok(!ids.includes(DEMO_FACTS.latestFailure.dagId), 'data-platform failure filtered out');
    for (const f of rows(out.failures)) assert.ok((f.owners as string[]).includes('analytics'));
  });

  test('get_pipeline_status of the healthy ETL: success with a duration', async () => {
    const answer = await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.healthy.dagId });
    const run = (answer.structured as Row).latest_run as Row;
    assert.equal(run.status, 'success');
    const minutes = Number(run.duration_seconds) / 60;
    assert.ok(
      minutes >= DEMO_FACTS.healthy.minDurationMinutes && minutes <= DEMO_FACTS.healthy.maxDurationMinutes,
      `${minutes}`,
    );
    assert.match(answer.text, /It took \d+m/);
  });

  test('get_pipeline_status of the failing sync: the task and the error, not "Task failed"', async () => {
    const out = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as Row;
    const digest = out.digest as Row;
    assert.equal((out.latest_run as Row).status, 'failed');
    assert.equal(digest.failed_task, DEMO_FACTS.latestFailure.failedTask);
    assert.equal(digest.try_number, DEMO_FACTS.latestFailure.failedTry);
    assert.equal(digest.exception_type, DEMO_FACTS.latestFailure.errorType);
    assert.match(String(digest.error_line), /Connection timeout to inventory service/);
  });

  test('running and paused pipelines are reported as such', async () => {
    const running = (
      await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.runningNow.dagId })
    ).structured as Row;
    assert.equal((running.latest_run as Row).status, 'running');
    const paused = (await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.paused.dagId }))
      .structured as Row;
    assert.equal((paused.pipeline as Row).paused, true);
  });

  test('list_all_pipelines by owner: exactly that team, with total and last runs', async () => {
    const out = (await session.mcp.call('list_all_pipelines', { owner: 'data-platform' })).structured as Row;
    const of = (orchestrator: string) =>
      rows(out.pipelines)
        .filter((p) => p.orchestrator === orchestrator)
        .map((p) => p.pipeline_id);
    assert.deepEqual(of('airflow'), [...DEMO_FACTS.dataPlatformDags]);
    assert.deepEqual(of('airflow-legacy'), [...AIRFLOW2_DEMO_FACTS.dataPlatformDags]);
    assert.deepEqual(of('dagster'), [...DAGSTER_DEMO_FACTS.dataPlatformJobs]);
    assert.deepEqual(of('prefect'), [...PREFECT_DEMO_FACTS.dataPlatformDeployments]);
    assert.equal(
      out.total,
      DEMO_FACTS.dataPlatformDags.length +
        AIRFLOW2_DEMO_FACTS.dataPlatformDags.length +
        DAGSTER_DEMO_FACTS.dataPlatformJobs.length +
        PREFECT_DEMO_FACTS.dataPlatformDeployments.length,
    );
    for (const p of rows(out.pipelines)) assert.ok((p.owners as string[]).includes('data-platform'));
    const sync = rows(out.pipelines).find((p) => p.pipeline_id === 'sync_inventory');
    assert.equal(sync?.status, 'failed');
  });

  test('list_all_pipelines pages with a cursor and reports the broken DAG', async () => {
    const first = (await session.mcp.call('list_all_pipelines', { limit: 10 })).structured as Row;
    assert.ok(Number(first.total) >= DEMO_FACTS.minDags);
    assert.equal(first.truncated, true);
    const seen = new Set(rows(first.pipelines).map((p) => p.pipeline_id));
    let cursor = first.next_cursor as string | null;
    while (cursor) {
      const page = (await session.mcp.call('list_all_pipelines', { limit: 10, cursor })).structured as Row;
      for (const p of rows(page.pipelines)) {
        assert.ok(!seen.has(p.pipeline_id), `duplicate ${String(p.pipeline_id)}`);
        seen.add(p.pipeline_id);
        if (p.pipeline_id === DEMO_FACTS.importError.dagId)
          assert.match(String(p.broken_error), /vendor_sdk/);
      }
      cursor = page.next_cursor as string | null;
    }
    assert.equal(seen.size, first.total);
    const failedOnly = (await session.mcp.call('list_all_pipelines', { status: 'failed' })).structured as Row;
    for (const p of rows(failedOnly.pipelines)) assert.equal(p.status, 'failed');
    const pausedOnly = (await session.mcp.call('list_all_pipelines', { status: 'paused' })).structured as Row;
    assert.deepEqual(
      rows(pausedOnly.pipelines)
        .map((p) => p.pipeline_id)
        .sort(),
      [
        DEMO_FACTS.paused.dagId,
        AIRFLOW2_DEMO_FACTS.paused.dagId,
        DAGSTER_DEMO_FACTS.paused.job,
        PREFECT_DEMO_FACTS.paused.pipelineId,
      ].sort(),
    );
  });

  test('get_pipeline_history: runs newest first with duration stats', async () => {
    const out = (
      await session.mcp.call('get_pipeline_history', { pipeline_id: 'daily_sales_etl', limit: 10 })
    ).structured as Row;
    const runs = rows(out.runs);
    assert.equal(runs.length, 10);
    const starts = runs.map((r) => String(r.started_at));
    assert.deepEqual([...starts].sort().reverse(), starts);
    const analysis = out.analysis as {
      success_rate: number;
      duration: Row & { trend: Row };
      patterns: unknown[];
    };
    assert.equal(analysis.success_rate, 1);
    const median = Number(analysis.duration.median_seconds) / 60;
    assert.ok(median >= 25 && median <= 30, `${median}`);
    assert.equal(analysis.duration.trend.direction, 'stable');
    assert.deepEqual(analysis.patterns, []);
    assert.ok(Number(out.total_runs) >= 30);
    assert.equal(out.truncated, true);
  });

  test('history finds the planted patterns: fails every Monday, getting slower', async () => {
    const monday = await session.mcp.call('get_pipeline_history', {
      pipeline_id: DEMO_FACTS.mondayFailure.dagId,
    });
    const patterns = (monday.structured as { analysis: { patterns: Row[] } }).analysis.patterns;
    assert.deepEqual(
      patterns.map((p) => [p.kind, p.weekday]),
      [['weekday', 'Monday']],
    );
    assert.match(monday.text, /Monday/);
    const slower = await session.mcp.call('get_pipeline_history', {
      pipeline_id: DEMO_FACTS.slowingDown.dagId,
    });
    const trend = (slower.structured as { analysis: { duration: { trend: Row } } }).analysis.duration.trend;
    assert.equal(trend.direction, 'slower');
    assert.ok(Number(trend.change_percent) > 100, String(trend.change_percent));
    assert.match(slower.text, /slower/i);
  });

  test('get_run_details: the failed task and summarized mapped instances', async () => {
    const history = (
      await session.mcp.call('get_pipeline_history', { pipeline_id: 'partition_reprocess', limit: 1 })
    ).structured as Row;
    const runId = String(rows(history.runs)[0]?.run_id);
    const out = (
      await session.mcp.call('get_run_details', { pipeline_id: 'partition_reprocess', run_id: runId })
    ).structured as Row;
    const mapped = rows(out.tasks).find((t) => t.task_id === DEMO_FACTS.oldFailure.mappedTask);
    const summary = mapped?.mapped as Row;
    assert.equal(summary.instances, DEMO_FACTS.oldFailure.mapCount);
    assert.deepEqual(summary.failed_map_indexes, [DEMO_FACTS.oldFailure.failedMapIndex]);
    assert.equal((out.digest as Row).map_index, DEMO_FACTS.oldFailure.failedMapIndex);
    assert.match(String((out.digest as Row).error_line), /Parquet magic bytes/);
  });

  test('get_task_logs defaults to the failed task’s latest try and bounds the tail', async () => {
    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as Row;
    const runId = String((status.latest_run as Row).run_id);
    const answer = await session.mcp.call('get_task_logs', { pipeline_id: 'sync_inventory', run_id: runId });
    const out = answer.structured as Row;
    assert.equal(out.task_id, DEMO_FACTS.latestFailure.failedTask);
    assert.equal(out.try_number, DEMO_FACTS.latestFailure.failedTry);
    const text = (out.lines as string[]).join('\n');
    assert.match(text, /Traceback \(most recent call last\)/);
    assert.match(text, new RegExp(DEMO_FACTS.latestFailure.failedMarker));
    assert.match(answer.text, /<untrusted-data source="task log">/);
    const short = (
      await session.mcp.call('get_task_logs', { pipeline_id: 'sync_inventory', run_id: runId, tail_lines: 5 })
    ).structured as Row;
    assert.equal((short.lines as string[]).length, 5);
    assert.equal(short.truncated, true);
    const first = (
      await session.mcp.call('get_task_logs', { pipeline_id: 'sync_inventory', run_id: runId, try_number: 1 })
    ).structured as Row;
    assert.match((first.lines as string[]).join('\n'), new RegExp(DEMO_FACTS.latestFailure.retryMarker));
  });
});
