import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type AuthConfig, type OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import { startAirflowEmulator, type AirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld, createScaleWorld, DEMO_FACTS } from '../../emulators/world/index.js';
import { createAdapter } from '../index.js';
import { AirflowAdapter } from './adapter.js';

// A Wednesday: no Monday-failure of marketing_attribution within the last 24 h.
const NOW = new Date('2026-03-11T12:00:00Z');
const DAY_MS = 24 * 3600 * 1000;
const USER = { username: 'monitor', password: 'Sup3r-Secret-pw' };
const STATIC_TOKEN = 'static-token-0123456789';

function config(url: string, auth: AuthConfig, name = 'test-airflow'): OrchestratorConfig {
  return orchestratorConfig({
    name,
    type: 'airflow',
    url,
    auth,
    headers: { 'x-proxy-tenant': 'tests' },
    timeout_ms: 5000,
  });
}

async function rejection(promise: Promise<unknown>): Promise<MonitorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MonitorError, `expected a MonitorError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

const bytesOf = (lines: string[]): number => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);

describe('AirflowAdapter against the Airflow 3 emulator', () => {
  let emulator: AirflowEmulator;
  let adapter: AirflowAdapter;
  const extra: { close(): Promise<void> }[] = [];

  before(async () => {
    emulator = await startAirflowEmulator({
      world: createDemoWorld({ now: NOW }),
      users: [USER],
      staticTokens: [STATIC_TOKEN],
      // Smaller than the 100 the adapter asks for: pages must follow what the server actually returns.
      maximumPageLimit: 40,
      logChunkBytes: 600,
    });
    adapter = new AirflowAdapter(config(emulator.url, { kind: 'basic', ...USER }), {
      retryInitialDelayMs: 1,
    });
  });

  after(async () => {
    await adapter.close();
    for (const c of extra) await c.close();
    await emulator.close();
  });

  const requestsTo = (pattern: RegExp, method = 'GET') =>
    emulator.requests.filter((r) => r.method === method && pattern.test(r.path));

  describe('pipelines', () => {
    it('lists every visible DAG, across pages, with the planted facts', async () => {
      emulator.resetRequests();
      const all = await adapter.listPipelines({});
      assert.ok(all.length >= DEMO_FACTS.minDags);
      assert.equal(new Set(all.map((p) => p.pipeline_id)).size, all.length);
      assert.ok(!all.some((p) => p.pipeline_id === DEMO_FACTS.staleDag));
      assert.ok(requestsTo(/^\/api\/v2\/dags$/).length >= 1);

      const sales = all.find((p) => p.pipeline_id === DEMO_FACTS.healthy.dagId);
      assert.ok(sales);
      assert.equal(sales.orchestrator, 'test-airflow');
      assert.equal(sales.schedule, DEMO_FACTS.healthy.schedule);
      assert.deepEqual([...sales.tags].sort(), [...DEMO_FACTS.healthy.tags].sort());
      assert.deepEqual(sales.owners, [DEMO_FACTS.healthy.owner]);
      assert.equal(sales.broken, null);
      assert.equal(sales.url, `${emulator.url}/dags/daily_sales_etl`);

      const broken = all.find((p) => p.pipeline_id === DEMO_FACTS.importError.dagId);
      assert.ok(broken?.broken);
      assert.match(broken.broken.error, /ModuleNotFoundError: No module named 'vendor_sdk'/);
      assert.equal(all.find((p) => p.pipeline_id === DEMO_FACTS.paused.dagId)?.paused, true);
    });

    it('filters by owner, tag, search and paused on the server', async () => {
      emulator.resetRequests();
      const owned = await adapter.listPipelines({ owner: 'data-platform' });
      assert.deepEqual(owned.map((p) => p.pipeline_id).sort(), [...DEMO_FACTS.dataPlatformDags].sort());
      assert.match(requestsTo(/^\/api\/v2\/dags$/)[0]?.query ?? '', /owners=data-platform/);

      const tagged = await adapter.listPipelines({ tag: 'sales' });
      assert.ok(tagged.some((p) => p.pipeline_id === 'daily_sales_etl'));
      assert.ok(tagged.every((p) => p.tags.includes('sales')));

      const searched = await adapter.listPipelines({ search: 'SALES_e' });
      assert.deepEqual(
        searched.map((p) => p.pipeline_id),
        ['daily_sales_etl'],
      );
      const inventory = await adapter.listPipelines({ search: 'inventory', owner: 'data-platform' });
      assert.ok(inventory.some((p) => p.pipeline_id === 'sync_inventory'));

      const paused = await adapter.listPipelines({ paused: true });
      assert.ok(paused.some((p) => p.pipeline_id === DEMO_FACTS.paused.dagId));
      assert.ok(paused.every((p) => p.paused));

      const before = emulator.requests.length;
      assert.deepEqual(await adapter.listPipelines({ search: '50%|x' }), []);
      assert.equal(emulator.requests.length, before, 'an impossible search makes no request');
    });

    it('filters by latest run status and by recent runs', async () => {
      const lastFailed = await adapter.listPipelines({ lastRunStatus: 'failed' });
      const ids = lastFailed.map((p) => p.pipeline_id);
      for (const id of [...DEMO_FACTS.failedInLast24h, DEMO_FACTS.oldFailure.dagId])
        assert.ok(ids.includes(id), id);
      assert.ok(!ids.includes(DEMO_FACTS.healthy.dagId));

      emulator.resetRequests();
      const recent = await adapter.listPipelines({
        hadRun: { statuses: ['failed'], finishedAfter: new Date(NOW.getTime() - DAY_MS) },
      });
      const recentIds = recent.map((p) => p.pipeline_id);
      for (const id of DEMO_FACTS.failedInLast24h) assert.ok(recentIds.includes(id), id);
      assert.ok(!recentIds.includes(DEMO_FACTS.oldFailure.dagId));
      assert.ok(!recentIds.includes(DEMO_FACTS.recoveredFailure.dagId));
      // One server-side join on DagRun (dag_run_state + dag_run_end_date_gte), no runs listing.
      assert.equal(requestsTo(/^\/api\/v2\/dags\/~\/dagRuns$/).length, 0);
      assert.equal(requestsTo(/^\/api\/v2\/dags$/).length, 1);
    });

    it('gets one DAG; an unknown DAG is not_found', async () => {
      const p = await adapter.getPipeline(DEMO_FACTS.importError.dagId);
      assert.match(p.broken?.error ?? '', /vendor_sdk/);
      const e = await rejection(adapter.getPipeline('no_such_dag'));
      assert.equal(e.kind, 'not_found');
      assert.equal(e.orchestrator, 'test-airflow');
      assert.match(e.hint ?? '', /list_all_pipelines/);
    });

    it('rejects unsafe ids before any request', async () => {
      emulator.resetRequests();
      for (const bad of ['../etc', 'a%2Fb', 'x\u202ey', '']) {
        assert.equal((await rejection(adapter.getPipeline(bad))).kind, 'invalid_input');
      }
      assert.equal((await rejection(adapter.getRun('daily_sales_etl', 'a/../b'))).kind, 'invalid_input');
      assert.equal(emulator.requests.length, 0);
    });
  });

  describe('runs', () => {
    it('returns the latest run of each DAG', async () => {
      emulator.resetRequests();
      const ids = [
        DEMO_FACTS.healthy.dagId,
        DEMO_FACTS.latestFailure.dagId,
        DEMO_FACTS.runningNow.dagId,
        DEMO_FACTS.paused.dagId,
        'no_such_dag',
      ];
      const latest = await adapter.latestRuns(ids);
      assert.equal(latest.get(DEMO_FACTS.healthy.dagId)?.status, 'success');
      assert.equal(latest.get(DEMO_FACTS.latestFailure.dagId)?.status, 'failed');
      const running = latest.get(DEMO_FACTS.runningNow.dagId);
      assert.equal(running?.status, 'running');
      assert.equal(running?.finished_at, null);
      assert.equal(running?.duration_seconds, null);
      const paused = latest.get(DEMO_FACTS.paused.dagId);
      assert.ok(paused?.finished_at);
      assert.ok(Date.parse(paused.finished_at) < NOW.getTime() - 11 * DAY_MS);
      assert.ok(!latest.has('no_such_dag'));
      const runLists = requestsTo(/\/dagRuns$/);
      assert.equal(runLists.length, ids.length);
      assert.ok(runLists.every((r) => /order_by=-run_after/.test(r.query) && /limit=1(&|$)/.test(r.query)));
    });

    it('finds the failures of the last 24 h with one cross-DAG request', async () => {
      emulator.resetRequests();
      const since = new Date(NOW.getTime() - DAY_MS);
      const list = await adapter.listRuns({
        statuses: ['failed'],
        finishedAfter: since,
        orderBy: 'finished_at',
        limit: 50,
      });
      const dagIds = new Set(list.runs.map((r) => r.pipeline_id));
      for (const id of DEMO_FACTS.failedInLast24h) assert.ok(dagIds.has(id), id);
      assert.ok(!dagIds.has(DEMO_FACTS.oldFailure.dagId));
      assert.ok(
        list.runs.every(
          (r) => r.status === 'failed' && r.finished_at && Date.parse(r.finished_at) >= since.getTime(),
        ),
      );
      assert.equal(list.total, list.runs.length);
      assert.equal(list.truncated, false);
      const finished = list.runs.map((r) => Date.parse(r.finished_at ?? ''));
      assert.deepEqual(
        finished,
        [...finished].sort((a, b) => b - a),
        'newest first',
      );
      assert.equal(emulator.requests.length, 1);
      const [request] = emulator.requests;
      assert.equal(request?.path, '/api/v2/dags/~/dagRuns');
      assert.match(request?.query ?? '', /state=failed/);
      assert.match(request?.query ?? '', /end_date_gte=/);
      assert.match(request?.query ?? '', /order_by=-end_date/);

      emulator.resetRequests();
      const detailed = await adapter.listRuns({
        statuses: ['failed'],
        finishedAfter: since,
        orderBy: 'finished_at',
        limit: 50,
        includeFailedTasks: true,
      });
      const inventory = detailed.runs.find((r) => r.pipeline_id === DEMO_FACTS.latestFailure.dagId);
      assert.deepEqual(inventory?.failed_tasks, [DEMO_FACTS.latestFailure.failedTask]);
      assert.equal(inventory?.error_message, 'Task fetch_inventory_snapshot failed (try 2 of 2).');
      const dbt = detailed.runs.find((r) => r.pipeline_id === DEMO_FACTS.secondRecentFailure.dagId);
      assert.deepEqual(dbt?.failed_tasks, [DEMO_FACTS.secondRecentFailure.failedTask]);
      assert.equal(emulator.requests.length, 2, 'one listing of runs, one of their failed task instances');
      assert.equal(emulator.requests[1]?.path, '/api/v2/dags/~/dagRuns/~/taskInstances');
    });

    it('maps statuses to repeated state filters and pages up to the limit', async () => {
      emulator.resetRequests();
      const list = await adapter.listRuns({
        pipelineId: DEMO_FACTS.healthy.dagId,
        statuses: ['success', 'pending'],
        orderBy: 'started_at',
        limit: 25,
      });
      assert.equal(list.runs.length, 25);
      assert.ok(list.total !== null && list.total >= 29);
      assert.equal(list.truncated, true);
      assert.ok(list.runs.every((r) => r.pipeline_id === DEMO_FACTS.healthy.dagId && r.status === 'success'));
      const query = emulator.requests[0]?.query ?? '';
      assert.match(query, /state=success&state=queued|state=queued&state=success/);
      assert.match(query, /order_by=-run_after/);

      const many = await adapter.listRuns({
        pipelineId: DEMO_FACTS.healthy.dagId,
        orderBy: 'started_at',
        limit: 1000,
      });
      assert.equal(many.runs.length, many.total);
      assert.equal(new Set(many.runs.map((r) => r.run_id)).size, many.runs.length);
      assert.equal(many.truncated, false);

      const none = await adapter.listRuns({ statuses: ['cancelled'], orderBy: 'finished_at', limit: 10 });
      assert.deepEqual(none, { runs: [], total: 0, truncated: false });
      const e = await rejection(
        adapter.listRuns({ pipelineId: 'no_such_dag', orderBy: 'started_at', limit: 5 }),
      );
      assert.equal(e.kind, 'not_found');
    });

    it('makes as many requests for 1000 DAGs as for 20', async () => {
      const counts: number[] = [];
      for (const dags of [20, 1000]) {
        const world = createScaleWorld({ dags, runsPerDag: 3, failedInLastDay: 5, now: NOW });
        const em = await startAirflowEmulator({ world, users: [USER] });
        extra.push(em);
        const a = new AirflowAdapter(config(em.url, { kind: 'basic', ...USER }));
        extra.push(a);
        await a.getPipeline('scale_dag_00000'); // authenticate first
        em.resetRequests();
        const list = await a.listRuns({
          statuses: ['failed'],
          finishedAfter: new Date(NOW.getTime() - DAY_MS),
          orderBy: 'finished_at',
          limit: 100,
          includeFailedTasks: true,
        });
        assert.equal(list.runs.length, 5);
        assert.ok(list.runs.every((r) => r.failed_tasks.length === 1 && r.failed_tasks[0] === 'load'));
        counts.push(em.requests.length);
      }
      assert.deepEqual(counts, [2, 2]);
    });

    it('gets a failed run with its failed task', async () => {
      const latest = (await adapter.latestRuns([DEMO_FACTS.latestFailure.dagId])).get(
        DEMO_FACTS.latestFailure.dagId,
      );
      assert.ok(latest);
      const run = await adapter.getRun(DEMO_FACTS.latestFailure.dagId, latest.run_id);
      assert.equal(run.status, 'failed');
      assert.equal(run.native_status, 'failed');
      assert.deepEqual(run.failed_tasks, [DEMO_FACTS.latestFailure.failedTask]);
      assert.equal(run.error_message, 'Task fetch_inventory_snapshot failed (try 2 of 2).');
      assert.ok(run.url?.startsWith(`${emulator.url}/dags/sync_inventory/runs/`));
      assert.ok(run.duration_seconds !== null && run.duration_seconds > 0);

      const e = await rejection(adapter.getRun(DEMO_FACTS.latestFailure.dagId, 'manual__nope'));
      assert.equal(e.kind, 'not_found');
    });

    it('returns all 150 mapped instances of a task', async () => {
      const dagId = DEMO_FACTS.oldFailure.dagId;
      const latest = (await adapter.latestRuns([dagId])).get(dagId);
      assert.ok(latest);
      emulator.resetRequests();
      const tasks = await adapter.listTaskRuns(dagId, latest.run_id);
      const mapped = tasks.filter((t) => t.task_id === DEMO_FACTS.oldFailure.mappedTask);
      assert.equal(mapped.length, DEMO_FACTS.oldFailure.mapCount);
      assert.deepEqual(
        mapped.map((t) => t.map_index).sort((a, b) => (a ?? 0) - (b ?? 0)),
        Array.from({ length: 150 }, (_, i) => i),
      );
      const failed = mapped.find((t) => t.map_index === DEMO_FACTS.oldFailure.failedMapIndex);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.try_number, DEMO_FACTS.oldFailure.failedTry);
      assert.ok(requestsTo(/\/taskInstances$/).length >= 4, 'the server caps pages at 40');

      const run = await adapter.getRun(dagId, latest.run_id);
      assert.deepEqual(run.failed_tasks, ['process_partition']);
      assert.match(run.error_message ?? '', /process_partition failed \(1 mapped instance: map_index 137\)/);
    });
  });

  describe('logs', () => {
    it('reads the latest try through continuation tokens and bounds the tail', async () => {
      const dagId = DEMO_FACTS.latestFailure.dagId;
      const latest = (await adapter.latestRuns([dagId])).get(dagId);
      assert.ok(latest);
      const tasks = await adapter.listTaskRuns(dagId, latest.run_id);
      const failed = tasks.find((t) => t.task_id === DEMO_FACTS.latestFailure.failedTask);
      assert.ok(failed);
      assert.equal(failed.try_number, DEMO_FACTS.latestFailure.failedTry);
      assert.equal(failed.max_tries, 2);

      emulator.resetRequests();
      const request = { taskId: failed.task_id, tryNumber: failed.try_number, mapIndex: failed.map_index };
      const full = await adapter.getTaskLog(dagId, latest.run_id, { ...request, maxBytes: 1_000_000 });
      const chunks = requestsTo(/\/logs\/2$/);
      assert.ok(chunks.length > 3, `expected several chunks, got ${chunks.length}`);
      assert.ok(chunks.slice(1).every((r) => /token=/.test(r.query)));
      assert.ok(chunks.every((r) => /full_content=true/.test(r.query) && /map_index=-1/.test(r.query)));
      assert.equal(full.truncated, false);
      assert.equal(full.bytes_read, bytesOf(full.lines));
      const text = full.lines.join('\n');
      assert.match(text, /Connection timeout to inventory service/);
      assert.match(text, /Traceback \(most recent call last\):/);
      assert.match(text, new RegExp(DEMO_FACTS.latestFailure.failedMarker));
      assert.doesNotMatch(text, new RegExp(DEMO_FACTS.latestFailure.retryMarker));
      assert.match(
        full.lines[3] ?? '',
        /^\[.+\] INFO airflow\.dag_processing\.bundles\.manager\.DagBundlesManager - DAG bundles loaded/,
      );

      const tail = await adapter.getTaskLog(dagId, latest.run_id, { ...request, maxBytes: 400 });
      assert.equal(tail.truncated, true);
      assert.ok(bytesOf(tail.lines) <= 400);
      assert.equal(tail.bytes_read, full.bytes_read);
      assert.deepEqual(tail.lines, full.lines.slice(full.lines.length - tail.lines.length));
      assert.equal(tail.task_id, failed.task_id);
      assert.equal(tail.try_number, 2);
      assert.equal(tail.map_index, null);

      const first = await adapter.getTaskLog(dagId, latest.run_id, {
        ...request,
        tryNumber: 1,
        maxBytes: 1_000_000,
      });
      assert.match(first.lines.join('\n'), new RegExp(DEMO_FACTS.latestFailure.retryMarker));

      const missing = await rejection(
        adapter.getTaskLog(dagId, latest.run_id, { ...request, tryNumber: 3, maxBytes: 100 }),
      );
      assert.equal(missing.kind, 'not_found');
    });

    it('stops at the end of what a running task has written', async () => {
      const dagId = DEMO_FACTS.runningNow.dagId;
      const latest = (await adapter.latestRuns([dagId])).get(dagId);
      assert.ok(latest);
      const log = await adapter.getTaskLog(dagId, latest.run_id, {
        taskId: DEMO_FACTS.runningNow.runningTask,
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      assert.ok(log.lines.length > 5);
      assert.equal(log.truncated, false);
    });
  });

  describe('authentication', () => {
    it('refreshes an expired token once, for concurrent requests', async () => {
      await adapter.getPipeline(DEMO_FACTS.healthy.dagId);
      emulator.expireAllTokens();
      emulator.resetRequests();
      const ids = [...DEMO_FACTS.dataPlatformDags];
      const latest = await adapter.latestRuns(ids);
      assert.equal(latest.size, ids.length);
      assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 1, 'one coalesced token exchange');
      assert.ok(emulator.requests.some((r) => r.status === 401));
    });

    it('reports a bad password as an auth error without the password', async () => {
      const bad = new AirflowAdapter(
        config(emulator.url, { kind: 'basic', username: USER.username, password: 'wrong-Pa55word' }),
      );
      extra.push(bad);
      const e = await rejection(bad.listPipelines({}));
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /^test-airflow: Airflow rejected the credentials \(HTTP 401\)/);
      assert.ok(!e.message.includes('wrong-Pa55word'));
      assert.ok(!(e.hint ?? '').includes('wrong-Pa55word'));
      assert.match(e.hint ?? '', /username\/password/);
    });

    it('uses a static token without any exchange; a bad one is an auth error', async () => {
      const viaToken = createAdapter(config(emulator.url, { kind: 'token', token: STATIC_TOKEN }));
      extra.push(viaToken);
      emulator.resetRequests();
      const p = await viaToken.getPipeline(DEMO_FACTS.healthy.dagId);
      assert.equal(p.pipeline_id, DEMO_FACTS.healthy.dagId);
      assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 0);

      const badToken = createAdapter(config(emulator.url, { kind: 'token', token: 'not-a-valid-token-42' }));
      extra.push(badToken);
      const e = await rejection(badToken.getPipeline(DEMO_FACTS.healthy.dagId));
      assert.equal(e.kind, 'auth');
      assert.ok(!e.message.includes('not-a-valid-token-42'));
      assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 0);

      const none = createAdapter(config(emulator.url, { kind: 'none' }));
      extra.push(none);
      assert.equal((await rejection(none.listPipelines({}))).kind, 'auth');
    });
  });

  describe('availability', () => {
    it('reports a closed port as upstream_unavailable', async () => {
      const gone = await startAirflowEmulator({ world: createDemoWorld({ now: NOW }) });
      const url = gone.url;
      await gone.close();
      const down = new AirflowAdapter(config(url, { kind: 'basic', ...USER }, 'down-airflow'), {
        retryInitialDelayMs: 1,
      });
      extra.push(down);
      const e = await rejection(down.listPipelines({}));
      assert.equal(e.kind, 'upstream_unavailable');
      assert.equal(e.orchestrator, 'down-airflow');
      assert.ok(e.message.includes(new URL(url).host), e.message);
      assert.ok(!e.message.includes(USER.password));
    });

    it('the factory refuses orchestrators that are not supported yet', () => {
      assert.throws(
        () => createAdapter({ ...config('http://127.0.0.1:1', { kind: 'none' }), type: 'dagster' }),
        (e: unknown) => e instanceof MonitorError && e.kind === 'unsupported',
      );
      assert.ok(createAdapter(config('http://127.0.0.1:1', { kind: 'none' })) instanceof AirflowAdapter);
    });
  });

  describe('trigger', () => {
    it('creates a queued run, refuses a duplicate id, and leaves a paused DAG paused', async () => {
      const dagId = DEMO_FACTS.paused.dagId;
      emulator.resetRequests();
      const run = await adapter.triggerRun(dagId, {
        conf: { full_refresh: true },
        runId: 'pm_test_run_1',
        note: 'from tests',
      });
      assert.equal(run.pipeline_id, dagId);
      assert.equal(run.run_id, 'pm_test_run_1');
      assert.equal(run.status, 'pending');
      assert.equal(run.native_status, 'queued');
      assert.equal(run.trigger, 'manual');
      assert.deepEqual(emulator.world.run(dagId, 'pm_test_run_1')?.conf, { full_refresh: true });

      const dup = await rejection(adapter.triggerRun(dagId, { conf: {}, runId: 'pm_test_run_1' }));
      assert.equal(dup.kind, 'refused');
      assert.match(dup.message, /a run with that id already exists/);

      const auto = await adapter.triggerRun(DEMO_FACTS.healthy.dagId, { conf: {} });
      assert.match(auto.run_id, /^manual__/);

      assert.equal((await adapter.getPipeline(dagId)).paused, true);
      assert.equal(emulator.requests.filter((r) => r.method === 'PATCH').length, 0);
      assert.equal(requestsTo(/\/dagRuns$/, 'POST').length, 3, 'no POST is retried');

      const missing = await rejection(adapter.triggerRun('no_such_dag', { conf: {} }));
      assert.equal(missing.kind, 'not_found');
      const brokenDag = await rejection(adapter.triggerRun(DEMO_FACTS.importError.dagId, { conf: {} }));
      assert.equal(brokenDag.kind, 'refused');
    });
  });
});
