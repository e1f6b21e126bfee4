import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type AuthConfig, type OrchestratorConfig } from '../../core/config.js';
import type { PipelineRun } from '../../core/model.js';
import {
  CLOUD_ACCOUNT_ID,
  CLOUD_WORKSPACE_ID,
  startPrefectEmulator,
  type PrefectEmulator,
  type RecordedRequest,
} from '../../emulators/prefect/index.js';
import { prefectSpec, requestProblems } from '../../emulators/prefect/spec.test.util.js';
import {
  createPrefectDemoWorld,
  createScaleWorld,
  PREFECT_DEMO_FACTS as F,
} from '../../emulators/world/index.js';
import { specsMissingMessage } from '../../test/spec-path.js';
import { PrefectAdapter } from './adapter.js';
import { bytesOf, rejection } from '../../test/assertions.js';

// A Wednesday noon.
const NOW = new Date('2026-03-11T12:00:00Z');
const DAY_MS = 24 * 3600 * 1000;
const API_KEY = 'pnu_0123456789abcdefghijklmnopqrstuvwxyz';
const BASIC = { username: 'admin', password: 'Sup3r-Secret-pw' };

function config(url: string, auth: AuthConfig, name = 'test-prefect'): OrchestratorConfig {
  return orchestratorConfig({
    name,
    type: 'prefect',
    url,
    auth,
    headers: { 'x-proxy-tenant': 'tests' },
    timeout_ms: 5000,
  });
}

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('PrefectAdapter against the Prefect 3 emulator (self-hosted /api)', () => {
  let emulator: PrefectEmulator;
  let adapter: PrefectAdapter;
  const extra: { close(): Promise<void> }[] = [];
  /** Every request the main emulator saw, for the request-body contract check at the end. */
  const seen: RecordedRequest[] = [];

  before(async () => {
    emulator = await startPrefectEmulator({ world: createPrefectDemoWorld({ now: NOW }) });
    adapter = new PrefectAdapter(config(emulator.url, { kind: 'none' }), {
      retryInitialDelayMs: 1,
      now: () => new Date(emulator.world.now()),
    });
  });

  after(async () => {
    await adapter.close();
    for (const c of extra) await c.close();
    await emulator.close();
  });

  /** Requests made while running `fn`. */
  const flush = () => {
    seen.push(...emulator.requests);
    emulator.resetRequests();
  };
  async function during<T>(fn: () => Promise<T>): Promise<{ value: T; requests: RecordedRequest[] }> {
    flush();
    const value = await fn();
    return { value, requests: [...emulator.requests] };
  }
  const to = (requests: RecordedRequest[], path: string | RegExp) =>
    requests.filter((r) => (typeof path === 'string' ? r.apiPath === path : path.test(r.apiPath)));
  const uiBase = () => emulator.url.replace(/\/api$/, '');

  describe('pipelines', () => {
    it('lists every deployment with owners, tags, schedules and paused from one paged query', async () => {
      const { value: all, requests } = await during(() => adapter.listPipelines({}));
      assert.equal(all.length, F.deployments);
      assert.equal(to(requests, '/deployments/filter').length, 1);
      assert.equal(to(requests, '/flows/filter').length, 1, 'flow names in one request');
      const listing = to(requests, '/deployments/filter')[0]?.body as Record<string, unknown>;
      assert.equal(listing.sort, 'NAME_ASC');
      assert.ok((listing.limit as number) <= 200);

      const healthy = all.find((p) => p.pipeline_id === F.healthy.pipelineId);
      assert.ok(healthy);
      assert.equal(healthy.orchestrator, 'test-prefect');
      assert.deepEqual(healthy.owners, [F.healthy.owner]);
      assert.deepEqual(sorted(healthy.tags), sorted(F.healthy.tags), 'owner tags are not tags');
      assert.equal(healthy.schedule, F.healthy.schedule);
      assert.equal(healthy.paused, false);
      assert.equal(healthy.broken, null);
      const deploymentId = emulator.prefect.deployments.find(
        (d) => d.dag.dag_id === F.healthy.pipelineId,
      )?.id;
      assert.equal(healthy.url, `${uiBase()}/deployments/deployment/${deploymentId}`);

      const byId = (id: string) => all.find((p) => p.pipeline_id === id);
      assert.equal(byId(F.failed.pipelineId)?.schedule, 'every 1 hour');
      assert.equal(byId(F.rrule.pipelineId)?.schedule, `RRULE:${F.rrule.rrule}`);
      assert.equal(byId(F.runningNow.pipelineId)?.schedule, null);
      assert.equal(byId(F.paused.pipelineId)?.paused, true);
      assert.deepEqual(byId(F.teamTag.pipelineId)?.owners, [F.teamTag.owner]);
      assert.ok(!byId(F.teamTag.pipelineId)?.tags.some((t) => t.startsWith('team:')));
      assert.ok(byId(F.sameFlow.pipelineId), 'two deployments of one flow');
    });

    it('filters by owner, tag, search and paused', async () => {
      const owned = await adapter.listPipelines({ owner: 'Data-Platform' });
      assert.deepEqual(sorted(owned.map((p) => p.pipeline_id)), sorted(F.dataPlatformDeployments));

      const { value: tagged, requests } = await during(() => adapter.listPipelines({ tag: 'salesforce' }));
      assert.deepEqual(
        sorted(tagged.map((p) => p.pipeline_id)),
        sorted([F.healthy.pipelineId, F.sameFlow.pipelineId]),
      );
      assert.deepEqual(
        (to(requests, '/deployments/filter')[0]?.body as { deployments: unknown }).deployments,
        { tags: { all_: ['salesforce'] } },
        'tag filtered on the server',
      );

      const { value: searched, requests: s } = await during(() =>
        adapter.listPipelines({ search: 'HUBSPOT' }),
      );
      assert.deepEqual(
        searched.map((p) => p.pipeline_id),
        [F.failed.pipelineId],
      );
      assert.deepEqual((to(s, '/deployments/filter')[0]?.body as { deployments: unknown }).deployments, {
        flow_or_deployment_name: { like_: 'HUBSPOT' },
      });
      assert.deepEqual(
        (await adapter.listPipelines({ search: 'salesforce/pr' })).map((p) => p.pipeline_id),
        [F.healthy.pipelineId],
      );
      const { value: none, requests: n } = await during(() => adapter.listPipelines({ search: 'a/b/c' }));
      assert.deepEqual(none, []);
      assert.equal(n.length, 0, 'an impossible search makes no request');

      const paused = await adapter.listPipelines({ paused: true });
      assert.deepEqual(
        paused.map((p) => p.pipeline_id),
        [F.paused.pipelineId],
      );
      assert.equal((await adapter.listPipelines({ owner: 'data-platform', search: 'backfill' })).length, 1);
    });

    it('finds deployments with a failure in the last 24 h in one joined query', async () => {
      const { value, requests } = await during(() =>
        adapter.listPipelines({
          hadRun: { statuses: ['failed'], finishedAfter: new Date(NOW.getTime() - DAY_MS) },
        }),
      );
      assert.deepEqual(sorted(value.map((p) => p.pipeline_id)), sorted(F.failedInLast24h));
      assert.equal(to(requests, '/deployments/filter').length, 1);
      assert.equal(to(requests, '/flow_runs/filter').length, 0);
      const body = to(requests, '/deployments/filter')[0]?.body as { flow_runs: { state: unknown } };
      assert.deepEqual(body.flow_runs.state, { type: { any_: ['FAILED', 'CRASHED'] } });

      const lastFailed = await adapter.listPipelines({ lastRunStatus: 'failed' });
      assert.deepEqual(sorted(lastFailed.map((p) => p.pipeline_id)), sorted(F.failedInLast24h));
    });

    it('gets one deployment; unknown and malformed ids are not_found; unsafe ids make no request', async () => {
      const { value: p, requests } = await during(() => adapter.getPipeline(F.paused.pipelineId));
      assert.equal(p.paused, true);
      assert.ok(requests.length <= 1);
      for (const id of ['nope/nope', 'no-slash-here']) {
        const e = await rejection(adapter.getPipeline(id));
        assert.equal(e.kind, 'not_found');
        assert.equal(e.orchestrator, 'test-prefect');
        assert.match(e.hint ?? '', /list_all_pipelines/);
      }
      const { requests: none } = await during(async () => {
        for (const bad of ['../etc', 'a%2Fb', 'x\u202ey', '']) {
          assert.equal((await rejection(adapter.getPipeline(bad))).kind, 'invalid_input');
        }
        assert.equal((await rejection(adapter.getRun(F.healthy.pipelineId, 'a/../b'))).kind, 'invalid_input');
      });
      assert.equal(none.length, 0);
    });
  });

  describe('runs', () => {
    it('returns the latest run of each deployment in a few grouped requests', async (t) => {
      const ids = [
        F.healthy.pipelineId,
        F.failed.pipelineId,
        F.crashed.pipelineId,
        F.late.pipelineId,
        F.runningNow.pipelineId,
        F.paused.pipelineId,
        F.eventTriggered.pipelineId,
        F.sameFlow.pipelineId,
        'nope/nope',
      ];
      await adapter.listPipelines({}); // names known, as after a listing
      const { value: latest, requests } = await during(() => adapter.latestRuns(ids));
      const runLists = to(requests, '/flow_runs/filter');
      assert.ok(runLists.length <= 3, `${runLists.length} flow run queries for ${ids.length} deployments`);
      assert.ok(runLists.every((r) => (r.body as { sort: string }).sort === 'START_TIME_DESC'));
      t.diagnostic(`latestRuns: ${runLists.length} flow run queries for ${ids.length} ids`);
      // Known names are cached after the listing; the unknown id costs one deployments lookup.
      assert.equal(to(requests, '/deployments/filter').length, 1);
      assert.equal(requests.length, runLists.length + 1);

      assert.equal(latest.get(F.healthy.pipelineId)?.status, 'success');
      const failed = latest.get(F.failed.pipelineId);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.native_status, 'Failed');
      assert.equal(failed?.error_message, F.failed.stateMessage);
      assert.equal(failed?.trigger, 'scheduled');
      const crashed = latest.get(F.crashed.pipelineId);
      assert.equal(crashed?.status, 'failed');
      assert.equal(crashed?.native_status, 'Crashed');
      assert.equal(crashed?.error_message, F.crashed.stateMessage);
      const late = latest.get(F.late.pipelineId);
      assert.equal(late?.status, 'pending');
      assert.equal(late?.native_status, 'Late');
      assert.equal(late?.started_at, null);
      const running = latest.get(F.runningNow.pipelineId);
      assert.equal(running?.status, 'running');
      assert.equal(running?.finished_at, null);
      assert.equal(running?.trigger, 'manual');
      const paused = latest.get(F.paused.pipelineId);
      assert.ok(paused?.finished_at);
      assert.ok(Date.parse(paused.finished_at) < NOW.getTime() - (F.paused.lastRunDaysAgo - 1) * DAY_MS);
      assert.equal(latest.get(F.eventTriggered.pipelineId)?.trigger, 'event');
      assert.ok(!latest.has('nope/nope'));
      for (const run of latest.values())
        assert.notEqual(run.native_status, 'Scheduled', 'upcoming runs are not latest');
    });

    it('finds the failures (FAILED and CRASHED) of the last 24 h with one query, at any number of deployments', async () => {
      const since = new Date(NOW.getTime() - DAY_MS);
      const { value: list, requests } = await during(() =>
        adapter.listRuns({ statuses: ['failed'], finishedAfter: since, orderBy: 'finished_at', limit: 50 }),
      );
      assert.deepEqual(sorted([...new Set(list.runs.map((r) => r.pipeline_id))]), sorted(F.failedInLast24h));
      assert.deepEqual(sorted(list.runs.map((r) => r.native_status)), ['Crashed', 'Failed']);
      assert.ok(
        list.runs.every((r) => r.status === 'failed' && Date.parse(r.finished_at ?? '') >= since.getTime()),
      );
      assert.equal(list.total, list.runs.length);
      assert.equal(list.truncated, false);
      const [query] = to(requests, '/flow_runs/filter');
      const body = query?.body as { flow_runs: Record<string, unknown>; sort: string };
      assert.deepEqual(body.flow_runs.state, { type: { any_: ['FAILED', 'CRASHED'] } });
      // Future schedule slots are not history; runs due by now (just triggered, Late) are.
      assert.ok(typeof (body.flow_runs.expected_start_time as { before_?: unknown }).before_ === 'string');
      assert.deepEqual(body.flow_runs.end_time, { after_: since.toISOString() });
      assert.equal(body.sort, 'END_TIME_DESC');
      assert.equal(requests.length, 1, 'names were cached');

      const { value: detailed, requests: r2 } = await during(() =>
        adapter.listRuns({
          statuses: ['failed'],
          finishedAfter: since,
          orderBy: 'finished_at',
          limit: 50,
          includeFailedTasks: true,
        }),
      );
      const hubspot = detailed.runs.find((r) => r.pipeline_id === F.failed.pipelineId);
      assert.equal(hubspot?.failed_tasks.length, 1);
      assert.match(hubspot?.failed_tasks[0] ?? '', new RegExp(`^${F.failed.failedTask}-[0-9a-f]{3}$`));
      assert.equal(hubspot?.error_message, F.failed.stateMessage);
      const churn = detailed.runs.find((r) => r.pipeline_id === F.crashed.pipelineId);
      assert.match(churn?.failed_tasks[0] ?? '', new RegExp(`^${F.crashed.task}-`));
      assert.equal(r2.length, 2, 'one run query, one task run query for all failed runs');
      const taskQuery = to(r2, '/task_runs/filter')[0]?.body as { task_runs: Record<string, unknown> };
      assert.deepEqual(taskQuery.task_runs.state, { type: { any_: ['FAILED', 'CRASHED'] } });

      const counts: number[] = [];
      for (const dags of [20, 600]) {
        const world = createScaleWorld({ dags, runsPerDag: 3, failedInLastDay: 5, now: NOW });
        const em = await startPrefectEmulator({ world });
        extra.push(em);
        const a = new PrefectAdapter(config(em.url, { kind: 'none' }), { now: () => new Date(world.now()) });
        extra.push(a);
        const result = await a.listRuns({
          statuses: ['failed'],
          finishedAfter: since,
          orderBy: 'finished_at',
          limit: 100,
          includeFailedTasks: true,
        });
        assert.equal(result.runs.length, 5);
        assert.ok(
          result.runs.every((r) => r.failed_tasks.length === 1 && r.failed_tasks[0]?.startsWith('load-')),
        );
        assert.ok(result.runs.every((r) => /^scale_dag_\d+\/default$/.test(r.pipeline_id)));
        counts.push(em.requests.length);
      }
      assert.deepEqual(counts, [4, 4], 'runs + deployment names + flow names + failed task runs');
    });

    it('pages a deployment’s history up to the limit, with the total from /flow_runs/count', async () => {
      const { value: list, requests } = await during(() =>
        adapter.listRuns({ pipelineId: F.failed.pipelineId, orderBy: 'started_at', limit: 25 }),
      );
      assert.equal(list.runs.length, 25);
      assert.equal(list.truncated, true);
      assert.ok(list.total !== null && list.total > 600, `total ${list.total}`);
      assert.equal(to(requests, '/flow_runs/count').length, 1);
      assert.ok(list.runs.every((r) => r.pipeline_id === F.failed.pipelineId));
      const starts = list.runs.map((r) => Date.parse(r.started_at ?? ''));
      assert.deepEqual(
        starts,
        [...starts].sort((a, b) => b - a),
        'newest first',
      );

      const { value: all, requests: pages } = await during(() =>
        adapter.listRuns({ pipelineId: F.failed.pipelineId, orderBy: 'started_at', limit: 5000 }),
      );
      assert.equal(all.truncated, false);
      assert.equal(all.total, all.runs.length);
      assert.equal(new Set(all.runs.map((r) => r.run_id)).size, all.runs.length);
      const runPages = to(pages, '/flow_runs/filter');
      assert.ok(runPages.length >= 4, `${runPages.length} pages`);
      assert.deepEqual(
        runPages.map((r) => (r.body as { offset: number }).offset),
        runPages.map((_, i) => i * 200),
      );
      assert.ok(!all.runs.some((r) => r.native_status === 'Scheduled'), 'upcoming runs are not history');

      const succeeded = await adapter.listRuns({
        pipelineId: F.healthy.pipelineId,
        statuses: ['success'],
        startedAfter: new Date(NOW.getTime() - 7 * DAY_MS),
        orderBy: 'started_at',
        limit: 100,
      });
      assert.ok(succeeded.runs.length >= 40 && succeeded.runs.length <= 42, `${succeeded.runs.length}`);
      assert.ok(succeeded.runs.every((r) => r.status === 'success' && r.trigger === 'scheduled'));

      const { value: none, requests: n } = await during(() =>
        adapter.listRuns({ statuses: ['unknown'], orderBy: 'finished_at', limit: 10 }),
      );
      assert.deepEqual(none, { runs: [], total: 0, truncated: false });
      assert.equal(n.length, 0);
      const e = await rejection(
        adapter.listRuns({ pipelineId: 'nope/nope', orderBy: 'started_at', limit: 5 }),
      );
      assert.equal(e.kind, 'not_found');
    });

    it('gets a failed run with its failed task, and its task runs', async () => {
      const latest = (await adapter.latestRuns([F.failed.pipelineId])).get(
        F.failed.pipelineId,
      ) as PipelineRun;
      const run = await adapter.getRun(F.failed.pipelineId, latest.run_id);
      assert.equal(run.status, 'failed');
      assert.equal(run.native_status, 'Failed');
      assert.equal(run.error_message, F.failed.stateMessage);
      assert.equal(run.failed_tasks.length, 1);
      assert.equal(run.url, `${uiBase()}/runs/flow-run/${latest.run_id}`);
      assert.ok(run.duration_seconds !== null && run.duration_seconds > 0);

      const tasks = await adapter.listTaskRuns(F.failed.pipelineId, latest.run_id);
      const failed = tasks.find((t) => t.task_id === run.failed_tasks[0]);
      assert.ok(failed);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.try_number, F.failed.tries);
      assert.equal(failed.max_tries, F.failed.tries);
      assert.equal(failed.map_index, null);
      assert.match(failed.error ?? '', /HTTPStatusError: Client error '401 Unauthorized'/);
      assert.equal(tasks.length, 1, 'downstream tasks were never called: no task runs');

      const crashed = (await adapter.latestRuns([F.crashed.pipelineId])).get(
        F.crashed.pipelineId,
      ) as PipelineRun;
      const crashTasks = await adapter.listTaskRuns(F.crashed.pipelineId, crashed.run_id);
      assert.deepEqual(
        crashTasks.map((t) => [t.task_id.replace(/-[0-9a-f]{3}$/, ''), t.native_status]),
        [
          ['load_features', 'Completed'],
          [F.crashed.task, 'Crashed'],
        ],
      );

      const other = await rejection(adapter.getRun(F.healthy.pipelineId, latest.run_id));
      assert.equal(other.kind, 'not_found', 'a run of another deployment');
      const { value: e, requests } = await during(() =>
        rejection(adapter.getRun(F.failed.pipelineId, 'manual__nope')),
      );
      assert.equal(e.kind, 'not_found');
      assert.equal(to(requests, /^\/flow_runs/).length, 0);
      const missing = await rejection(
        adapter.getRun(F.failed.pipelineId, '00000000-0000-4000-8000-000000000000'),
      );
      assert.equal(missing.kind, 'not_found');
    });
  });

  describe('logs', () => {
    it('reads a task log newest-first and returns it in order', async () => {
      const latest = (await adapter.latestRuns([F.failed.pipelineId])).get(
        F.failed.pipelineId,
      ) as PipelineRun;
      const tasks = await adapter.listTaskRuns(F.failed.pipelineId, latest.run_id);
      const task = tasks[0];
      assert.ok(task);
      const request = {
        taskId: task.task_id,
        tryNumber: task.try_number,
        mapIndex: null,
        maxBytes: 1_000_000,
      };
      const { value: full, requests } = await during(() =>
        adapter.getTaskLog(F.failed.pipelineId, latest.run_id, request),
      );
      const logQueries = to(requests, '/logs/filter');
      assert.equal(logQueries.length, 1);
      assert.equal((logQueries[0]?.body as { sort: string }).sort, 'TIMESTAMP_DESC');
      assert.equal(full.truncated, false);
      assert.equal(full.bytes_read, bytesOf(full.lines));
      const text = full.lines.join('\n');
      assert.match(text, /Retry 1\/2 will start/);
      assert.match(text, /Retries are exhausted/);
      assert.match(text, /Traceback \(most recent call last\):/);
      assert.match(text, /httpx\.HTTPStatusError: Client error '401 Unauthorized'/);
      assert.match(
        full.lines[full.lines.length - 1] ?? '',
        /ERROR prefect\.task_runs - Finished in state Failed\(/,
      );
      const stamps = full.lines
        .filter((l) => l.startsWith('['))
        .map((l) => Date.parse(l.slice(1, l.indexOf(']'))));
      assert.deepEqual(
        stamps,
        [...stamps].sort((a, b) => a - b),
        'chronological',
      );
      assert.match(full.lines[0] ?? '', /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] INFO prefect\.task_runs - /);

      const tail = await adapter.getTaskLog(F.failed.pipelineId, latest.run_id, {
        ...request,
        maxBytes: 600,
      });
      assert.equal(tail.truncated, true);
      assert.ok(bytesOf(tail.lines) <= 600);
      assert.deepEqual(tail.lines, full.lines.slice(full.lines.length - tail.lines.length));
    });

    it('reads a 3 MB log from its end in a few requests (truncated)', async () => {
      const world = emulator.world;
      const run = world
        .runsOf(F.bigLog.pipelineId)
        .find((r) => r.state === 'success' && r.run_after > NOW.getTime() - (F.bigLog.daysAgo + 1) * DAY_MS);
      assert.ok(run);
      const runId = emulator.prefect.flowRunId(run);
      const tasks = await adapter.listTaskRuns(F.bigLog.pipelineId, runId);
      const big = tasks.find((t) => t.task_id.startsWith(`${F.bigLog.task}-`));
      assert.ok(big);
      const { value: log, requests } = await during(() =>
        adapter.getTaskLog(F.bigLog.pipelineId, runId, {
          taskId: big.task_id,
          tryNumber: 1,
          mapIndex: null,
          maxBytes: 50_000,
        }),
      );
      const pages = to(requests, '/logs/filter');
      assert.ok(pages.length <= 3, `${pages.length} log pages for ${F.bigLog.lines} lines`);
      assert.equal(log.truncated, true);
      assert.ok(bytesOf(log.lines) <= 50_000);
      assert.ok(log.bytes_read >= 50_000 && log.bytes_read < 200_000, `${log.bytes_read}`);
      assert.match(log.lines[log.lines.length - 1] ?? '', /Finished in state Completed\(\)/);
    });

    it('falls back to the flow run’s logs when a task run has none; unknown tasks are not_found', async () => {
      const latest = (await adapter.latestRuns([F.crashed.pipelineId])).get(
        F.crashed.pipelineId,
      ) as PipelineRun;
      const tasks = await adapter.listTaskRuns(F.crashed.pipelineId, latest.run_id);
      const crashedTask = tasks.find((t) => t.native_status === 'Crashed');
      assert.ok(crashedTask);
      emulator.faults.push({ path: '/logs/filter', times: 1, mutate: () => [] });
      const log = await adapter.getTaskLog(F.crashed.pipelineId, latest.run_id, {
        taskId: crashedTask.task_id,
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      assert.match(log.lines[0] ?? '', /has no logs of its own/);
      const text = log.lines.join('\n');
      assert.match(text, /Beginning flow run/);
      assert.match(text, /exited with non-zero status code 137/);

      const e = await rejection(
        adapter.getTaskLog(F.crashed.pipelineId, latest.run_id, {
          taskId: 'no_such_task-000',
          tryNumber: 1,
          mapIndex: null,
          maxBytes: 100,
        }),
      );
      assert.equal(e.kind, 'not_found');
    });
  });

  describe('trigger', () => {
    it('creates one run per idempotency key, and leaves a paused deployment paused', async () => {
      const dagId = F.paused.pipelineId;
      const before = emulator.world.runsOf(dagId).length;
      const { value: first, requests } = await during(() =>
        adapter.triggerRun(dagId, {
          conf: { full_refresh: true },
          runId: 'pm-test-run-1',
          note: 'from tests',
        }),
      );
      assert.equal(first.pipeline_id, dagId);
      assert.equal(first.status, 'pending');
      assert.equal(first.native_status, 'Scheduled');
      assert.equal(first.trigger, 'manual');
      const post = to(requests, /\/create_flow_run$/)[0];
      assert.deepEqual(post?.body, {
        parameters: { full_refresh: true },
        tags: ['pipeline-monitor'],
        idempotency_key: 'pm-test-run-1',
        context: { 'pipeline-monitor': { note: 'from tests' } },
      });
      assert.equal(post?.status, 201);

      const again = await adapter.triggerRun(dagId, { conf: { full_refresh: true }, runId: 'pm-test-run-1' });
      assert.equal(again.run_id, first.run_id, 'the same run for the same key');
      assert.equal(emulator.world.runsOf(dagId).length, before + 1, 'one run created');
      assert.equal((await adapter.getPipeline(dagId)).paused, true);

      const { value: plain, requests: r2 } = await during(() =>
        adapter.triggerRun(F.healthy.pipelineId, { conf: {} }),
      );
      assert.notEqual(plain.run_id, first.run_id);
      assert.ok(!('idempotency_key' in (to(r2, /create_flow_run$/)[0]?.body as object)));

      const missing = await rejection(adapter.triggerRun('nope/nope', { conf: {} }));
      assert.equal(missing.kind, 'not_found');
      const bad = await rejection(
        adapter.triggerRun(dagId, { conf: [] as unknown as Record<string, unknown> }),
      );
      assert.equal(bad.kind, 'invalid_input');
    });
  });

  describe('hostile answers', () => {
    const hostile = async (fault: Parameters<PrefectEmulator['faults']['push']>[0]) => {
      emulator.faults.splice(0, emulator.faults.length, fault);
      try {
        return await rejection(adapter.listRuns({ statuses: ['failed'], orderBy: 'finished_at', limit: 5 }));
      } finally {
        emulator.faults.splice(0);
      }
    };

    it('429 with Retry-After is upstream_unavailable with the wait', async () => {
      // Longer than the longest Retry-After waited for (30 s): answered at once, saying when to try again.
      const e = await hostile({
        path: '/flow_runs/filter',
        respond: { status: 429, body: '{"detail":"Rate limit exceeded"}', headers: { 'retry-after': '170' } },
      });
      assert.equal(e.kind, 'upstream_unavailable');
      assert.equal(e.orchestrator, 'test-prefect');
      assert.match(
        e.message,
        /^test-prefect: Prefect .*HTTP 429, retry after 170 s \(at \d\d:\d\d:\d\d UTC\)/,
      );
      assert.match(e.hint ?? '', /try again after 170 s/);
    });

    it('500, non-JSON, a missing field and a 422 are clear errors naming the orchestrator', async () => {
      const e500 = await hostile({
        path: '/flow_runs/filter',
        respond: { status: 500, body: '{"exception_message":"Internal Server Error"}' },
      });
      assert.equal(e500.kind, 'upstream_error');
      assert.match(
        e500.message,
        /^test-prefect: Prefect at 127\.0\.0\.1:\d+ answered POST \/flow_runs\/filter with HTTP 500/,
      );

      const html = await hostile({
        path: '/flow_runs/filter',
        respond: { status: 200, body: '<html>proxy login</html>', headers: { 'content-type': 'text/html' } },
      });
      assert.equal(html.kind, 'upstream_error');
      assert.match(html.message, /test-prefect: unexpected response from Prefect .*not JSON \(text\/html\)/);

      const missing = await hostile({
        path: '/flow_runs/filter',
        mutate: (body) => (body as Record<string, unknown>[]).map(({ flow_id: _drop, ...rest }) => rest),
      });
      assert.equal(missing.kind, 'upstream_error');
      assert.match(missing.message, /missing field \[0\]\.flow_id/);

      const invalid = await hostile({
        path: '/flow_runs/filter',
        respond: {
          status: 422,
          body: JSON.stringify({
            detail: [{ type: 'enum', loc: ['body', 'sort'], msg: "Input should be 'ID_DESC'", input: 'X' }],
          }),
        },
      });
      assert.equal(invalid.kind, 'invalid_input');
      assert.match(invalid.message, /body\.sort: Input should be 'ID_DESC'/);
    });

    it('an API URL without /api is upstream_error with a hint about the URL', async () => {
      const wrong = new PrefectAdapter(config(emulator.url.replace(/\/api$/, ''), { kind: 'none' }));
      extra.push(wrong);
      const e = await rejection(wrong.listPipelines({}));
      assert.equal(e.kind, 'upstream_error');
      assert.match(e.message, /has no Prefect API at POST \/deployments\/filter \(HTTP 404\)/);
      assert.match(e.hint ?? '', /PREFECT_API_URL/);
    });

    it('a closed port is upstream_unavailable', async () => {
      const gone = await startPrefectEmulator({ world: createPrefectDemoWorld({ now: NOW }) });
      const url = gone.url;
      await gone.close();
      const down = new PrefectAdapter(config(url, { kind: 'token', token: API_KEY }, 'down-prefect'), {
        retryInitialDelayMs: 1,
      });
      extra.push(down);
      const e = await rejection(down.listPipelines({}));
      assert.equal(e.kind, 'upstream_unavailable');
      assert.equal(e.orchestrator, 'down-prefect');
      assert.ok(!e.message.includes(API_KEY));
    });
  });

  it('sent only request bodies that match the Prefect 3.8.3 OpenAPI request schemas', (t) => {
    const spec = prefectSpec();
    if (!spec) {
      t.skip(specsMissingMessage());
      return;
    }
    flush();
    const posts = seen.filter((r) => r.method === 'POST');
    assert.ok(posts.length > 30, `${posts.length} requests checked`);
    assert.deepEqual(requestProblems(spec, seen), []);
    t.diagnostic(`${posts.length} request bodies match their schemas`);
  });
});

describe('PrefectAdapter: authentication and Prefect Cloud paths', () => {
  let cloud: PrefectEmulator;
  let basic: PrefectEmulator;
  const open: { close(): Promise<void> }[] = [];

  before(async () => {
    cloud = await startPrefectEmulator({
      world: createPrefectDemoWorld({ now: NOW }),
      apiKeys: [API_KEY],
      cloudPath: true,
    });
    basic = await startPrefectEmulator({ world: createPrefectDemoWorld({ now: NOW }), basicAuth: BASIC });
  });

  after(async () => {
    for (const c of open) await c.close();
    await cloud.close();
    await basic.close();
  });

  const make = (url: string, auth: AuthConfig) => {
    const a = new PrefectAdapter(config(url, auth), {
      retryInitialDelayMs: 1,
      now: () => new Date(cloud.world.now()),
    });
    open.push(a);
    return a;
  };

  it('works with a Bearer API key under /api/accounts/…/workspaces/…, sending Content-Length', async () => {
    assert.ok(cloud.url.endsWith(`/api/accounts/${CLOUD_ACCOUNT_ID}/workspaces/${CLOUD_WORKSPACE_ID}`));
    const a = make(cloud.url, { kind: 'token', token: API_KEY });
    const pipelines = await a.listPipelines({});
    assert.equal(pipelines.length, F.deployments);
    const healthy = pipelines.find((p) => p.pipeline_id === F.healthy.pipelineId);
    assert.match(
      healthy?.url ?? '',
      new RegExp(`/account/${CLOUD_ACCOUNT_ID}/workspace/${CLOUD_WORKSPACE_ID}/deployments/deployment/`),
    );
    const failures = await a.listRuns({
      statuses: ['failed'],
      finishedAfter: new Date(NOW.getTime() - DAY_MS),
      orderBy: 'finished_at',
      limit: 20,
      includeFailedTasks: true,
    });
    assert.deepEqual(
      sorted([...new Set(failures.runs.map((r) => r.pipeline_id))]),
      sorted(F.failedInLast24h),
    );
    const run = failures.runs.find((r) => r.pipeline_id === F.failed.pipelineId) as PipelineRun;
    const log = await a.getTaskLog(run.pipeline_id, run.run_id, {
      taskId: run.failed_tasks[0] ?? '',
      tryNumber: 3,
      mapIndex: null,
      maxBytes: 4000,
    });
    assert.ok(log.lines.length > 0);
    const triggered = await a.triggerRun(F.healthy.pipelineId, { conf: {}, runId: 'cloud-key-1' });
    assert.equal(triggered.status, 'pending');
    assert.ok(cloud.requests.length > 5);
    assert.ok(cloud.requests.every((r) => r.authScheme === 'Bearer' && r.status < 400));
    assert.ok(cloud.requests.filter((r) => r.method === 'POST').every((r) => r.contentLength !== null));
    const spec = prefectSpec();
    if (spec) assert.deepEqual(requestProblems(spec, cloud.requests), []);
  });

  it('a missing or wrong API key is an auth error naming the orchestrator, never the key', async () => {
    const none = await rejection(make(cloud.url, { kind: 'none' }).listPipelines({}));
    assert.equal(none.kind, 'auth');
    assert.match(
      none.message,
      /^test-prefect: Prefect rejected the request \(no credentials are configured\) \(HTTP 401\)/,
    );
    const wrongKey = 'pnu_wrong-key-0000000000';
    const wrong = await rejection(
      make(cloud.url, { kind: 'token', token: wrongKey }).latestRuns([F.healthy.pipelineId]),
    );
    assert.equal(wrong.kind, 'auth');
    assert.equal(wrong.orchestrator, 'test-prefect');
    assert.match(wrong.message, /rejected the API key \(HTTP 401\)/);
    assert.ok(!wrong.message.includes(wrongKey) && !(wrong.hint ?? '').includes(wrongKey));
    assert.match(wrong.hint ?? '', /PREFECT_API_KEY/);
  });

  it('works with basic auth (PREFECT_API_AUTH_STRING); a wrong password is an auth error without it', async () => {
    const a = make(basic.url, { kind: 'basic', ...BASIC });
    const p = await a.getPipeline(F.healthy.pipelineId);
    assert.equal(p.pipeline_id, F.healthy.pipelineId);
    assert.ok(basic.requests.every((r) => r.authScheme === 'Basic'));
    const wrong = await rejection(
      make(basic.url, { kind: 'basic', username: 'admin', password: 'wrong-Pa55word' }).listPipelines({}),
    );
    assert.equal(wrong.kind, 'auth');
    assert.match(wrong.message, /basic-auth credentials \(HTTP 401\)/);
    assert.ok(!wrong.message.includes('wrong-Pa55word') && !(wrong.hint ?? '').includes('wrong-Pa55word'));
    assert.match(wrong.hint ?? '', /PREFECT_API_AUTH_STRING/);
    assert.equal((await rejection(make(basic.url, { kind: 'none' }).listPipelines({}))).kind, 'auth');
  });
});
