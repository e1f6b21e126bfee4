import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type AuthConfig, type OrchestratorConfig } from '../../core/config.js';
import type { MonitorError } from '../../core/errors.js';
import {
  startAirflowEmulator,
  type AirflowEmulator,
  type AirflowEmulatorOptions,
} from '../../emulators/airflow/index.js';
import { createDemoWorld, createScaleWorld, DEMO_FACTS } from '../../emulators/world/index.js';
import { createAdapter } from '../index.js';
import { AirflowAdapter, type AirflowAdapterOptions } from './adapter.js';
import { bytesOf, rejection } from '../../test/assertions.js';

/**
 * One behaviour suite, run against the Airflow 2 emulator (/api/v1: HTTP Basic or a static token) and the
 * Airflow 3 emulator (/api/v2: JWT from /auth/token, or a static token). What differs between the APIs is
 * asserted per version where the request shapes differ; the answers are the same.
 */

// A Wednesday: no Monday-failure of marketing_attribution within the last 24 h.
const NOW = new Date('2026-03-11T12:00:00Z');
const DAY_MS = 24 * 3600 * 1000;
const USER = { username: 'monitor', password: 'Sup3r-Secret-pw' };
const STATIC_TOKEN = 'static-token-0123456789';
const VERSIONS = ['v1', 'v2'] as const;

function config(
  url: string,
  auth: AuthConfig,
  fields: Partial<OrchestratorConfig> = {},
  name = 'test-airflow',
): OrchestratorConfig {
  return orchestratorConfig({
    name,
    type: 'airflow',
    url,
    auth,
    headers: { 'x-proxy-tenant': 'tests' },
    timeout_ms: 5000,
    ...fields,
  });
}

/** No secret of the configuration (nor its Basic encoding) appears in an error. */
function assertNoSecret(e: MonitorError, ...secrets: string[]): void {
  const text = `${e.message}\n${e.hint ?? ''}`;
  for (const secret of [...secrets, Buffer.from(`${USER.username}:${USER.password}`).toString('base64')]) {
    assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
  }
}

for (const version of VERSIONS) {
  const prefix = `/api/${version}`;
  const airflow = version === 'v1' ? 'Airflow 2 (/api/v1)' : 'Airflow 3 (/api/v2)';

  describe(`AirflowAdapter against the ${airflow} emulator`, () => {
    let emulator: AirflowEmulator;
    let adapter: AirflowAdapter;
    const extra: { close(): Promise<void> }[] = [];

    const start = async (options: Omit<AirflowEmulatorOptions, 'apiVersion'>) => {
      const em = await startAirflowEmulator({ apiVersion: version, ...options });
      extra.push(em);
      return em;
    };
    const make = (
      url: string,
      auth: AuthConfig,
      fields: Partial<OrchestratorConfig> = {},
      options: AirflowAdapterOptions = {},
    ) => {
      const a = new AirflowAdapter(config(url, auth, { api_version: version, ...fields }), {
        retryInitialDelayMs: 1,
        now: () => NOW.getTime(),
        ...options,
      });
      extra.push(a);
      return a;
    };

    before(async () => {
      emulator = await startAirflowEmulator({
        apiVersion: version,
        world: createDemoWorld({ now: NOW }),
        users: [USER, { username: 'viewer', password: 'Viewer-Secret-pw', role: 'viewer' }],
        staticTokens: [STATIC_TOKEN],
        // Far smaller than the 100 the adapter asks for: pages must follow what the server actually returns.
        maximumPageLimit: 10,
        logChunkBytes: 600,
      });
      adapter = make(emulator.url, { kind: 'basic', ...USER });
    });

    after(async () => {
      for (const c of extra) await c.close(); // the adapters made here, the extra emulators
      await emulator.close();
    });

    const requestsTo = (pattern: RegExp, method = 'GET') =>
      emulator.requests.filter((r) => r.method === method && pattern.test(r.path));
    const dagsPath = new RegExp(`^${prefix}/dags$`);
    const batchRunsPath = `${prefix}/dags/~/dagRuns/list`;

    describe('detection', () => {
      it(`finds ${version} with api_version auto, once`, async () => {
        const auto = make(emulator.url, { kind: 'basic', ...USER }, { api_version: 'auto' });
        emulator.resetRequests();
        assert.equal(auto.apiVersion, null);
        await Promise.all([auto.getPipeline(DEMO_FACTS.healthy.dagId), auto.getPipeline('daily_sales_etl')]);
        assert.equal(auto.apiVersion, version);
        const detection = emulator.requests
          .filter((r) => r.path.endsWith('/version') || r.path === '/auth/token')
          .map((r) => `${r.method} ${r.path} ${r.status}`);
        // A username/password: the Airflow 3 token exchange is tried first and doubles as the probe.
        assert.deepEqual(
          detection,
          version === 'v2'
            ? ['POST /auth/token 201']
            : ['POST /auth/token 404', 'GET /api/v2/version 404', 'GET /api/v1/version 200'],
        );
        await auto.listRuns({ pipelineId: DEMO_FACTS.healthy.dagId, orderBy: 'started_at', limit: 1 });
        assert.equal(
          emulator.requests.filter((r) => r.path.endsWith('/version')).length,
          version === 'v2' ? 0 : 2,
        );
        assert.ok(
          emulator.requests.every((r) => !r.path.startsWith(version === 'v1' ? '/api/v2/dags' : '/api/v1')),
        );

        const viaToken = make(emulator.url, { kind: 'token', token: STATIC_TOKEN }, { api_version: 'auto' });
        emulator.resetRequests();
        await viaToken.getPipeline(DEMO_FACTS.healthy.dagId);
        assert.equal(viaToken.apiVersion, version);
        assert.deepEqual(
          emulator.requests.map((r) => r.path),
          version === 'v2'
            ? ['/api/v2/version', '/api/v2/dags/daily_sales_etl']
            : ['/api/v2/version', '/api/v1/version', '/api/v1/dags/daily_sales_etl'],
        );
      });

      it('does not probe when pinned', async () => {
        emulator.resetRequests();
        await adapter.getPipeline(DEMO_FACTS.healthy.dagId);
        assert.ok(emulator.requests.every((r) => !r.path.endsWith('/version')));
        assert.equal(adapter.apiVersion, version);
      });
    });

    describe('pipelines', () => {
      it('lists every visible DAG, across pages, with the planted facts', async () => {
        emulator.resetRequests();
        const all = await adapter.listPipelines({});
        assert.ok(all.length >= DEMO_FACTS.minDags);
        assert.equal(new Set(all.map((p) => p.pipeline_id)).size, all.length);
        assert.ok(!all.some((p) => p.pipeline_id === DEMO_FACTS.staleDag));
        assert.ok(requestsTo(dagsPath).length >= 3, 'the server caps pages at 10');

        const sales = all.find((p) => p.pipeline_id === DEMO_FACTS.healthy.dagId);
        assert.ok(sales);
        assert.equal(sales.orchestrator, 'test-airflow');
        assert.equal(sales.schedule, DEMO_FACTS.healthy.schedule);
        assert.deepEqual([...sales.tags].sort(), [...DEMO_FACTS.healthy.tags].sort());
        assert.deepEqual(sales.owners, [DEMO_FACTS.healthy.owner]);
        assert.equal(sales.broken, null);
        assert.equal(
          sales.url,
          version === 'v2'
            ? `${emulator.url}/dags/daily_sales_etl`
            : `${emulator.url}/dags/daily_sales_etl/grid`,
        );

        const broken = all.find((p) => p.pipeline_id === DEMO_FACTS.importError.dagId);
        assert.ok(broken?.broken);
        assert.match(broken.broken.error, /ModuleNotFoundError: No module named 'vendor_sdk'/);
        assert.equal(all.find((p) => p.pipeline_id === DEMO_FACTS.paused.dagId)?.paused, true);
        assert.equal(requestsTo(new RegExp(`^${prefix}/importErrors$`)).length, 1);
      });

      it('filters by owner, tag, search and paused (on the server where the API can)', async () => {
        emulator.resetRequests();
        const owned = await adapter.listPipelines({ owner: 'data-platform' });
        assert.deepEqual(owned.map((p) => p.pipeline_id).sort(), [...DEMO_FACTS.dataPlatformDags].sort());
        const ownerQuery = requestsTo(dagsPath)[0]?.query ?? '';
        if (version === 'v2') assert.match(ownerQuery, /owners=data-platform/);
        else assert.doesNotMatch(ownerQuery, /owners=/, 'Airflow 2 has no owner filter: filtered here');

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
        if (version === 'v2') {
          // One server-side join on DagRun (dag_run_state + dag_run_end_date_gte), no runs listing.
          assert.equal(requestsTo(/\/dagRuns/).length + requestsTo(/\/dagRuns/, 'POST').length, 0);
          assert.equal(requestsTo(dagsPath).length, 1);
        } else {
          // The failed runs, then only their DAGs: nothing grows with the DAGs on the server.
          assert.equal(requestsTo(/\/dagRuns\/list$/, 'POST').length, 1);
          assert.equal(requestsTo(dagsPath).length, 0);
          assert.equal(requestsTo(/^\/api\/v1\/dags\/[^/]+$/).length, recentIds.length);
        }
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
      it('returns the latest run of each DAG from one batch listing, then per-DAG fallbacks', async () => {
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
        // The batch covers the last 7 days; the paused DAG (12 days) and the unknown one get one GET each.
        const batch = requestsTo(new RegExp(`^${batchRunsPath}$`), 'POST');
        const single = requestsTo(/\/dagRuns$/);
        assert.equal(batch.length, 1);
        assert.deepEqual(single.map((r) => decodeURIComponent(r.path.split('/')[4] ?? '')).sort(), [
          DEMO_FACTS.paused.dagId,
          'no_such_dag',
        ]);
        const order = version === 'v2' ? '-run_after' : '-execution_date';
        assert.ok(single.every((r) => r.query.includes(`order_by=${order}`) && /limit=1(&|$)/.test(r.query)));
        assert.equal(emulator.requests.length, 3);
        // One DAG: one request, no batch.
        emulator.resetRequests();
        await adapter.latestRuns([DEMO_FACTS.healthy.dagId]);
        assert.equal(emulator.requests.length, 1);
      });

      it('reads the latest runs of 1000 DAGs in a few pages instead of 1000 requests', async () => {
        const counts: number[] = [];
        for (const dags of [20, 1000]) {
          const world = createScaleWorld({ dags, runsPerDag: 3, failedInLastDay: 5, now: NOW });
          const em = await start({ world, users: [USER] });
          const a = make(em.url, { kind: 'basic', ...USER });
          const ids = world.dags.map((d) => d.dag_id);
          await a.getPipeline(ids[0] as string); // authenticate first
          em.resetRequests();
          const latest = await a.latestRuns(ids);
          assert.equal(latest.size, dags);
          for (const dag of world.dags) {
            const newest = [...world.runsOf(dag.dag_id)].sort((x, y) => y.run_after - x.run_after)[0];
            assert.equal(latest.get(dag.dag_id)?.run_id, newest?.run_id, dag.dag_id);
          }
          assert.ok(em.requests.every((r) => r.path === batchRunsPath));
          counts.push(em.requests.length);
        }
        assert.equal(counts[0], 1);
        // 1000 DAGs, their latest runs within the newest ~1500 runs: 3 pages of 500.
        assert.ok((counts[1] ?? Infinity) <= 4, `1000 DAGs: ${counts[1]} requests`);
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
        if (version === 'v2') {
          assert.equal(request?.path, '/api/v2/dags/~/dagRuns');
          assert.match(request?.query ?? '', /state=failed/);
          assert.match(request?.query ?? '', /end_date_gte=/);
          assert.match(request?.query ?? '', /order_by=-end_date/);
        } else {
          assert.equal(`${request?.method} ${request?.path}`, `POST ${batchRunsPath}`);
        }

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
        assert.equal(
          `${emulator.requests[1]?.method} ${emulator.requests[1]?.path}`,
          version === 'v2'
            ? 'GET /api/v2/dags/~/dagRuns/~/taskInstances'
            : 'POST /api/v1/dags/~/dagRuns/~/taskInstances/list',
        );
      });

      it('sweeps the failures of the last 24 h with as many requests for 1000 DAGs as for 20', async () => {
        const counts: number[] = [];
        for (const dags of [20, 1000]) {
          const world = createScaleWorld({ dags, runsPerDag: 3, failedInLastDay: 5, now: NOW });
          const em = await start({ world, users: [USER] });
          const a = make(em.url, { kind: 'basic', ...USER });
          await a.getPipeline('scale_dag_00000'); // authenticate first
          em.resetRequests();
          const finishedAfter = new Date(NOW.getTime() - DAY_MS);
          // What list_failed_pipelines asks: the failed runs with their failed tasks, and the DAGs they belong to.
          const [list, pipelines] = await Promise.all([
            a.listRuns({
              statuses: ['failed'],
              finishedAfter,
              orderBy: 'finished_at',
              limit: 5000,
              includeFailedTasks: true,
            }),
            a.listPipelines({ hadRun: { statuses: ['failed'], finishedAfter } }),
          ]);
          assert.equal(list.runs.length, 5);
          assert.equal(list.truncated, false);
          assert.ok(list.runs.every((r) => r.failed_tasks.length === 1 && r.failed_tasks[0] === 'load'));
          assert.equal(pipelines.length, 5);
          counts.push(em.requests.length);
        }
        assert.equal(counts[0], counts[1], `20 DAGs: ${counts[0]} requests, 1000 DAGs: ${counts[1]}`);
        // v2: runs + their failed tasks + one DAG listing; v1: runs + failed tasks + runs again + the 5 DAGs.
        assert.equal(counts[0], version === 'v2' ? 3 : 8);
      });

      it('maps statuses to state filters and pages up to the limit', async () => {
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
        assert.ok(
          list.runs.every((r) => r.pipeline_id === DEMO_FACTS.healthy.dagId && r.status === 'success'),
        );
        assert.ok(emulator.requests.length >= 3, 'the server caps pages at 10');
        const query = emulator.requests[0]?.query ?? '';
        assert.match(query, /state=success&state=queued|state=queued&state=success/);
        assert.match(query, version === 'v2' ? /order_by=-run_after/ : /order_by=-execution_date/);
        const started = list.runs.map((r) => Date.parse(r.queued_at ?? ''));
        assert.deepEqual(
          started,
          [...started].sort((a, b) => b - a),
          'newest first',
        );

        const many = await adapter.listRuns({
          pipelineId: DEMO_FACTS.healthy.dagId,
          orderBy: 'started_at',
          limit: 1000,
        });
        assert.equal(many.runs.length, many.total);
        assert.equal(new Set(many.runs.map((r) => r.run_id)).size, many.runs.length);
        assert.equal(many.truncated, false);

        const bounded = make(emulator.url, { kind: 'basic', ...USER }, {}, { maxPages: 2 });
        const cut = await bounded.listRuns({
          pipelineId: DEMO_FACTS.healthy.dagId,
          orderBy: 'started_at',
          limit: 1000,
        });
        assert.equal(cut.runs.length, 20);
        assert.equal(cut.truncated, true, 'the page bound was hit');

        emulator.resetRequests();
        const none = await adapter.listRuns({ statuses: ['cancelled'], orderBy: 'finished_at', limit: 10 });
        assert.deepEqual(none, { runs: [], total: 0, truncated: false });
        assert.equal(emulator.requests.length, 0);
        const e = await rejection(
          adapter.listRuns({ pipelineId: 'no_such_dag', orderBy: 'started_at', limit: 5 }),
        );
        assert.equal(e.kind, 'not_found');
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
        assert.equal(run.trigger, 'scheduled');
        assert.ok(
          run.url?.startsWith(
            version === 'v2'
              ? `${emulator.url}/dags/sync_inventory/runs/`
              : `${emulator.url}/dags/sync_inventory/grid?dag_run_id=`,
          ),
        );
        assert.ok(run.duration_seconds !== null && run.duration_seconds > 0);

        const e = await rejection(adapter.getRun(DEMO_FACTS.latestFailure.dagId, 'manual__nope'));
        assert.equal(e.kind, 'not_found');
        const tasks = await rejection(adapter.listTaskRuns(DEMO_FACTS.latestFailure.dagId, 'manual__nope'));
        assert.equal(tasks.kind, 'not_found');
      });

      it('returns all 150 mapped instances of a task, across pages', async () => {
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
        assert.ok(requestsTo(/\/taskInstances$/).length >= 15, 'the server caps pages at 10');

        const run = await adapter.getRun(dagId, latest.run_id);
        assert.deepEqual(run.failed_tasks, ['process_partition']);
        assert.match(
          run.error_message ?? '',
          /process_partition failed \(1 mapped instance: map_index 137\)/,
        );
      });
    });

    describe('logs', () => {
      it(`reads the latest try ${version === 'v1' ? 'through continuation tokens' : 'as one NDJSON stream'} and bounds the tail`, async () => {
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
        assert.ok(chunks.every((r) => /map_index=-1/.test(r.query)));
        assert.equal(full.truncated, false);
        if (version === 'v1') {
          assert.ok(chunks.length > 3, `expected several chunks, got ${chunks.length}`);
          assert.ok(chunks.slice(1).every((r) => /token=/.test(r.query)));
          assert.equal(full.bytes_read, bytesOf(full.lines));
        } else {
          // Airflow 3: the whole log in one NDJSON answer; bytes_read counts the bytes streamed.
          assert.deepEqual(
            chunks.map((r) => r.query),
            ['map_index=-1&full_content=true'],
          );
          assert.ok(full.bytes_read > bytesOf(full.lines));
        }
        const text = full.lines.join('\n');
        assert.match(text, /Connection timeout to inventory service/);
        assert.match(text, /Traceback \(most recent call last\):/);
        assert.match(text, new RegExp(DEMO_FACTS.latestFailure.failedMarker));
        assert.doesNotMatch(text, new RegExp(DEMO_FACTS.latestFailure.retryMarker));
        if (version === 'v2') {
          assert.match(
            full.lines[3] ?? '',
            /^\[.+\] INFO airflow\.dag_processing\.bundles\.manager\.DagBundlesManager - DAG bundles loaded/,
          );
        } else {
          assert.ok(!text.includes("[('"), 'the Python repr is decoded, not shown');
          assert.ok(!full.lines.some((l) => /\\n/.test(l)), 'escapes are decoded');
        }

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

        if (version === 'v2') {
          const missing = await rejection(
            adapter.getTaskLog(dagId, latest.run_id, { ...request, tryNumber: 3, maxBytes: 100 }),
          );
          assert.equal(missing.kind, 'not_found');
        } else {
          // Airflow 2 answers a try that never ran with a 200 and the log server's 404 as text.
          const missing = await adapter.getTaskLog(dagId, latest.run_id, {
            ...request,
            tryNumber: 3,
            maxBytes: 1000,
          });
          assert.match(missing.lines.join('\n'), /Could not read served logs/);
        }
      });

      it('stops at the end of what a running task has written', async () => {
        const dagId = DEMO_FACTS.runningNow.dagId;
        const latest = (await adapter.latestRuns([dagId])).get(dagId);
        assert.ok(latest);
        emulator.resetRequests();
        const log = await adapter.getTaskLog(dagId, latest.run_id, {
          taskId: DEMO_FACTS.runningNow.runningTask,
          tryNumber: 1,
          mapIndex: null,
          maxBytes: 100_000,
        });
        assert.ok(log.lines.length > 5);
        assert.equal(log.truncated, false);
        assert.ok(emulator.requests.length < 100);
      });
    });

    describe('authentication', () => {
      if (version === 'v2') {
        it('exchanges the username/password for a JWT once, and reuses it', async () => {
          const fresh = make(emulator.url, { kind: 'basic', ...USER });
          emulator.resetRequests();
          await Promise.all([fresh.getPipeline('daily_sales_etl'), fresh.getPipeline('sync_inventory')]);
          await fresh.listPipelines({ tag: 'sales' });
          assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 1);
          assert.ok(emulator.requests.every((r) => r.status < 400));
        });

        it('refreshes an expired token once, for concurrent requests', async () => {
          await adapter.getPipeline(DEMO_FACTS.healthy.dagId);
          emulator.expireAllTokens();
          emulator.resetRequests();
          const ids = [...DEMO_FACTS.dataPlatformDags];
          const latest = await Promise.all(ids.map((id) => adapter.latestRuns([id])));
          assert.equal(latest.filter((m) => m.size === 1).length, ids.length);
          assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 1, 'one coalesced token exchange');
          assert.ok(emulator.requests.some((r) => r.status === 401));
        });

        it('refreshes a token before it expires, by its exp claim', async () => {
          const em = await start({ world: createDemoWorld({ now: NOW }), users: [USER], tokenTtlSeconds: 2 });
          const a = make(em.url, { kind: 'basic', ...USER }, {}, { now: Date.now });
          await a.getPipeline('daily_sales_etl');
          await new Promise((resolve) => setTimeout(resolve, 1100)); // past half of the 2 s lifetime
          em.resetRequests();
          await a.getPipeline('daily_sales_etl');
          assert.deepEqual(
            em.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
            ['POST /auth/token 201', 'GET /api/v2/dags/daily_sales_etl 200'],
            'renewed ahead of time: no 401 first',
          );
        });
      } else {
        it('sends HTTP Basic on every request, with no token exchange', async () => {
          const fresh = make(emulator.url, { kind: 'basic', ...USER });
          emulator.resetRequests();
          await fresh.getPipeline('daily_sales_etl');
          await fresh.latestRuns(['daily_sales_etl', 'sync_inventory']);
          assert.ok(emulator.requests.length >= 2);
          assert.ok(emulator.requests.every((r) => r.status < 400));
          assert.equal(emulator.requests.filter((r) => r.path === '/auth/token').length, 0);
        });
      }

      it('reports a bad password as an auth error without the password', async () => {
        const bad = make(emulator.url, {
          kind: 'basic',
          username: USER.username,
          password: 'wrong-Pa55word',
        });
        const e = await rejection(bad.listPipelines({}));
        assert.equal(e.kind, 'auth');
        assert.match(e.message, /^test-airflow: Airflow rejected the credentials \(HTTP 401\)/);
        assertNoSecret(
          e,
          'wrong-Pa55word',
          Buffer.from(`${USER.username}:wrong-Pa55word`).toString('base64'),
        );
        assert.match(e.hint ?? '', /username\/password/);
      });

      it('uses a static token without any exchange; a bad one is an auth error', async () => {
        const viaToken = createAdapter(
          config(emulator.url, { kind: 'token', token: STATIC_TOKEN }, { api_version: version }),
        );
        extra.push(viaToken);
        emulator.resetRequests();
        const p = await viaToken.getPipeline(DEMO_FACTS.healthy.dagId);
        assert.equal(p.pipeline_id, DEMO_FACTS.healthy.dagId);
        assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 0);

        const badToken = createAdapter(
          config(emulator.url, { kind: 'token', token: 'not-a-valid-token-42' }),
        );
        extra.push(badToken);
        const e = await rejection(badToken.getPipeline(DEMO_FACTS.healthy.dagId));
        assert.equal(e.kind, 'auth');
        assertNoSecret(e, 'not-a-valid-token-42');
        assert.match(e.hint ?? '', /token/);
        assert.equal(requestsTo(/^\/auth\/token$/, 'POST').length, 0);

        const none = createAdapter(config(emulator.url, { kind: 'none' }));
        extra.push(none);
        assert.equal((await rejection(none.listPipelines({}))).kind, 'auth');
      });

      // The Airflow 2 emulator has roles; on Airflow 3 a 403 is injected below (hostile answers).
      it(
        'reports a missing permission (403) as auth, naming the account',
        { skip: version === 'v2' },
        async () => {
          const viewer = make(emulator.url, {
            kind: 'basic',
            username: 'viewer',
            password: 'Viewer-Secret-pw',
          });
          const e = await rejection(viewer.triggerRun(DEMO_FACTS.healthy.dagId, { conf: {} }));
          assert.equal(e.kind, 'auth');
          assert.match(e.message, /HTTP 403/);
          assertNoSecret(e, 'Viewer-Secret-pw');
        },
      );
    });

    describe('hostile answers', () => {
      type Fault = NonNullable<AirflowEmulatorOptions['faults']>;
      let faulty: AirflowEmulator;
      let fault: ReturnType<Fault> = null;
      let client: AirflowAdapter;
      before(async () => {
        faulty = await start({
          world: createDemoWorld({ now: NOW }),
          users: [USER],
          faults: (req) => (req.path.startsWith(`${prefix}/dags`) ? fault : null),
        });
        client = make(faulty.url, { kind: 'basic', ...USER }, {}, { maxResponseBytes: 64 * 1024 });
      });

      const cases: { name: string; fault: NonNullable<ReturnType<Fault>>; kind: string; message: RegExp }[] =
        [
          {
            name: '500 with a detail',
            fault: { status: 500, body: JSON.stringify({ detail: 'database is locked' }) },
            kind: 'upstream_error',
            message: /answered GET \/api\/v\d\/dags\/daily_sales_etl with HTTP 500: database is locked/,
          },
          {
            name: 'an HTML error page',
            fault: { status: 502, body: '<html><h1>502 Bad Gateway</h1></html>', contentType: 'text/html' },
            kind: 'upstream_error',
            message: /HTTP 502$/,
          },
          {
            name: 'a 200 that is not JSON',
            fault: { status: 200, body: '<!doctype html><title>Login</title>', contentType: 'text/html' },
            kind: 'upstream_error',
            message: /unexpected response .*: not JSON \(text\/html\)/,
          },
          {
            name: 'JSON missing a required field',
            fault: { status: 200, body: JSON.stringify({ dag_id: 'daily_sales_etl', is_paused: false }) },
            kind: 'upstream_error',
            message: /missing field (owners|fileloc)/,
          },
          {
            name: 'a body over the size cap',
            fault: { status: 200, body: JSON.stringify({ dag_id: 'x', pad: 'x'.repeat(100_000) }) },
            kind: 'upstream_error',
            message: /larger than 65536 bytes/,
          },
          {
            name: '404',
            fault: { status: 404, body: JSON.stringify({ detail: 'Not Found' }) },
            kind: 'not_found',
            message: /DAG daily_sales_etl not found/,
          },
          {
            name: '401',
            fault: { status: 401, body: JSON.stringify({ detail: 'Not authenticated' }) },
            kind: 'auth',
            message: /rejected the credentials \(HTTP 401\)/,
          },
          {
            name: '403',
            fault: {
              status: 403,
              body: JSON.stringify({ title: 'Forbidden', status: 403, type: 'about:blank' }),
            },
            kind: 'auth',
            message: /refused access \(HTTP 403\)/,
          },
        ];
      for (const c of cases) {
        it(`turns ${c.name} into a clear ${c.kind}`, async () => {
          fault = c.fault;
          try {
            const e = await rejection(client.getPipeline('daily_sales_etl'));
            assert.equal(e.kind, c.kind, e.message);
            assert.equal(e.orchestrator, 'test-airflow');
            assert.match(e.message, /^test-airflow: /);
            assert.match(e.message, c.message);
            assertNoSecret(e, USER.password);
          } finally {
            fault = null;
          }
        });
      }

      it('retries a GET on 503 and recovers', async () => {
        let failures = 2;
        fault = null;
        const flaky = await start({
          world: createDemoWorld({ now: NOW }),
          users: [USER],
          faults: (req) =>
            req.path === `${prefix}/dags/daily_sales_etl` && failures-- > 0
              ? { status: 503, body: '' }
              : null,
        });
        const a = make(flaky.url, { kind: 'basic', ...USER });
        assert.equal((await a.getPipeline('daily_sales_etl')).pipeline_id, 'daily_sales_etl');
        assert.equal(flaky.requests.filter((r) => r.path === `${prefix}/dags/daily_sales_etl`).length, 3);
      });

      it('reports a slow server as upstream_unavailable', async () => {
        const slow = await start({ world: createDemoWorld({ now: NOW }), users: [USER], latencyMs: 400 });
        const a = make(slow.url, { kind: 'basic', ...USER }, { timeout_ms: 150 });
        const e = await rejection(a.getPipeline('daily_sales_etl'));
        assert.equal(e.kind, 'upstream_unavailable');
        assert.match(e.message, /no answer within 150 ms/);
      });
    });

    describe('availability', () => {
      it('reports a closed port as upstream_unavailable', async () => {
        const gone = await startAirflowEmulator({
          apiVersion: version,
          world: createDemoWorld({ now: NOW }),
        });
        const url = gone.url;
        await gone.close();
        const down = make(url, { kind: 'basic', ...USER }, { api_version: 'auto' });
        const e = await rejection(down.listPipelines({}));
        assert.equal(e.kind, 'upstream_unavailable');
        assert.equal(e.orchestrator, 'test-airflow');
        assert.ok(e.message.includes(new URL(url).host), e.message);
        assertNoSecret(e, USER.password);
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

        const p = await adapter.getPipeline(dagId);
        assert.equal(p.paused, true, 'still paused: triggering never unpauses');
        assert.equal(emulator.requests.filter((r) => r.method === 'PATCH').length, 0);
        assert.equal(requestsTo(/\/dagRuns$/, 'POST').length, 3, 'no POST is retried');
        const stillQueued = (await adapter.latestRuns([dagId])).get(dagId);
        assert.equal(stillQueued?.status, 'pending');

        const missing = await rejection(adapter.triggerRun('no_such_dag', { conf: {} }));
        assert.equal(missing.kind, 'not_found');
        const brokenDag = await rejection(adapter.triggerRun(DEMO_FACTS.importError.dagId, { conf: {} }));
        assert.equal(brokenDag.kind, 'refused');
      });
    });
  });
}

describe('adapter factory', () => {
  it('makes an AirflowAdapter for an Airflow orchestrator, whatever its API version', () => {
    for (const api_version of ['auto', 'v1', 'v2'] as const) {
      const a = createAdapter(config('http://127.0.0.1:1', { kind: 'none' }, { api_version }));
      assert.ok(a instanceof AirflowAdapter);
    }
  });
});
