import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type AuthConfig, type OrchestratorConfig } from '../../core/config.js';
import type { MonitorError } from '../../core/errors.js';
import { startDagsterEmulator, type DagsterEmulator } from '../../emulators/dagster/index.js';
import {
  DAGSTER_DEMO_FACTS as F,
  createDagsterDemoWorld,
  createScaleWorld,
} from '../../emulators/world/index.js';
import { DagsterAdapter, REQUEST_TAG, NOTE_TAG, type DagsterAdapterOptions } from './adapter.js';
import { bytesOf, rejection } from '../../test/assertions.js';

// A Wednesday noon (UTC).
const NOW = new Date('2026-03-11T12:00:00Z');
const DAY_MS = 24 * 3600 * 1000;
const CLOUD_TOKEN = 'user:0123456789abcdef-cloud-token';

function config(url: string, auth: AuthConfig = { kind: 'none' }, name = 'test-dagster'): OrchestratorConfig {
  return orchestratorConfig({
    name,
    type: 'dagster',
    url,
    auth,
    headers: { 'x-proxy-tenant': 'tests' },
    timeout_ms: 5000,
  });
}

describe('DagsterAdapter against the Dagster emulator', () => {
  let emulator: DagsterEmulator;
  let adapter: DagsterAdapter;
  const extra: { close(): Promise<void> }[] = [];

  const newAdapter = (url: string, auth?: AuthConfig, options: DagsterAdapterOptions = {}) => {
    const a = new DagsterAdapter(config(url, auth), { retryInitialDelayMs: 1, ...options });
    extra.push(a);
    return a;
  };
  const operations = (name?: string) =>
    emulator.requests.filter((r) => name === undefined || r.operationName === name);

  before(async () => {
    emulator = await startDagsterEmulator({
      world: createDagsterDemoWorld({ now: NOW }),
      capturedLogChunkBytes: 4096,
    });
    adapter = new DagsterAdapter(config(emulator.url), { retryInitialDelayMs: 1, pageSize: 25 });
  });

  after(async () => {
    await adapter.close();
    for (const c of extra) await c.close();
    await emulator.close();
  });

  describe('pipelines', () => {
    it('lists the jobs of every code location in one request, with the planted facts', async () => {
      emulator.resetRequests();
      const all = await adapter.listPipelines({});
      assert.equal(emulator.requests.length, 1);
      assert.equal(emulator.requests[0]?.operationName, 'MonitorWorkspace');
      const ids = all.map((p) => p.pipeline_id);
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(all.filter((p) => p.broken === null).length, F.jobCount);
      assert.ok(!ids.some((id) => id.startsWith('__ASSET_JOB')), 'implicit asset jobs are not pipelines');
      for (const id of F.sharedJobName.ids) assert.ok(ids.includes(id), id);
      assert.ok(!ids.includes(F.sharedJobName.job), 'a shared job name is always qualified');

      const ltv = all.find((p) => p.pipeline_id === F.latestFailure.job);
      assert.ok(ltv);
      assert.equal(ltv.orchestrator, 'test-dagster');
      assert.equal(ltv.schedule, F.latestFailure.schedule);
      assert.deepEqual(ltv.owners, [F.latestFailure.owner, 'maria.lopez@example.com']);
      assert.deepEqual(ltv.tags, ['customer', 'snowflake', 'tier=gold']);
      assert.equal(ltv.paused, false);
      assert.equal(ltv.url, `${emulator.url}/locations/analytics/jobs/customer_ltv_assets`);

      const broken = all.find((p) => p.pipeline_id === F.brokenLocation.pipelineId);
      assert.ok(broken?.broken);
      assert.match(broken.broken.error, /ModuleNotFoundError: No module named 'vendor_sdk'/);
      assert.equal(all.find((p) => p.pipeline_id === F.paused.job)?.paused, true);
    });

    it('filters by owner, tag, search and paused', async () => {
      const owned = await adapter.listPipelines({ owner: 'Data-Platform' });
      assert.deepEqual(owned.map((p) => p.pipeline_id).sort(), [...F.dataPlatformJobs].sort());
      const byEmail = await adapter.listPipelines({ owner: 'maria.lopez@example.com' });
      assert.deepEqual(
        byEmail.map((p) => p.pipeline_id),
        [F.latestFailure.job],
      );

      const snowflake = await adapter.listPipelines({ tag: 'snowflake' });
      assert.deepEqual(snowflake.map((p) => p.pipeline_id).sort(), [
        'customer_ltv_assets',
        'marketing_spend_rollup',
      ]);
      // key=value tags match whole, by key or by value.
      for (const tag of ['domain=finance', 'domain', 'finance']) {
        const finance = await adapter.listPipelines({ tag });
        assert.ok(
          finance.some((p) => p.pipeline_id === 'invoice_reconciliation'),
          tag,
        );
      }

      const searched = await adapter.listPipelines({ search: 'REFRESH' });
      assert.deepEqual(searched.map((p) => p.pipeline_id).sort(), [...F.sharedJobName.ids].sort());
      const located = await adapter.listPipelines({ search: ':finance' });
      assert.deepEqual(
        located.map((p) => p.pipeline_id),
        [F.sharedJobName.ids[1]],
      );
      const brokenSearch = await adapter.listPipelines({ search: 'partner_int' });
      assert.deepEqual(
        brokenSearch.map((p) => p.pipeline_id),
        [F.brokenLocation.pipelineId],
      );

      const paused = await adapter.listPipelines({ paused: true });
      assert.deepEqual(
        paused.map((p) => p.pipeline_id),
        [F.paused.job],
      );
      const active = await adapter.listPipelines({ paused: false });
      assert.ok(!active.some((p) => p.pipeline_id === F.paused.job));
    });

    it('filters by latest run status and by recent failures without a request per job', async () => {
      emulator.resetRequests();
      const failing = await adapter.listPipelines({ lastRunStatus: 'failed' });
      assert.deepEqual(
        failing.map((p) => p.pipeline_id),
        [F.latestFailure.job],
      );
      const running = await adapter.listPipelines({ lastRunStatus: 'running' });
      assert.deepEqual(
        running.map((p) => p.pipeline_id),
        [F.runningNow.job],
      );
      assert.equal(emulator.requests.length, 2, 'one workspace request each, latest runs included');

      emulator.resetRequests();
      const recent = await adapter.listPipelines({
        hadRun: { statuses: ['failed'], finishedAfter: new Date(NOW.getTime() - DAY_MS) },
      });
      assert.deepEqual(
        recent.map((p) => p.pipeline_id),
        [...F.failedInLast24h],
      );
      const week = await adapter.listPipelines({
        hadRun: { statuses: ['failed'], finishedAfter: new Date(NOW.getTime() - 7 * DAY_MS) },
      });
      assert.deepEqual(
        week.map((p) => p.pipeline_id).sort(),
        [F.latestFailure.job, F.recoveredFailure.job, F.healthy.job].sort(),
      );
      assert.deepEqual(
        emulator.requests.map((r) => r.operationName),
        ['MonitorWorkspace', 'MonitorRuns', 'MonitorWorkspace', 'MonitorRuns'],
      );
    });

    it('gets one job; unknown or ambiguous ids are clear errors', async () => {
      const p = await adapter.getPipeline(F.sharedJobName.ids[0]);
      assert.equal(p.owners[0], 'analytics');
      const broken = await adapter.getPipeline(F.brokenLocation.pipelineId);
      assert.match(broken.broken?.error ?? '', /vendor_sdk/);

      const unknown = await rejection(adapter.getPipeline('no_such_job'));
      assert.equal(unknown.kind, 'not_found');
      assert.equal(unknown.orchestrator, 'test-dagster');
      assert.match(unknown.hint ?? '', /list_all_pipelines/);
      assert.match(unknown.hint ?? '', /partner_integrations fails to load/);

      const ambiguous = await rejection(adapter.getPipeline(F.sharedJobName.job));
      assert.equal(ambiguous.kind, 'ambiguous');
      assert.deepEqual([...ambiguous.candidates].sort(), [...F.sharedJobName.ids].sort());
    });

    it('rejects unsafe ids before any request', async () => {
      emulator.resetRequests();
      for (const bad of ['../etc', 'a%2Fb', 'x\u202ey', '']) {
        assert.equal((await rejection(adapter.getPipeline(bad))).kind, 'invalid_input');
      }
      assert.equal((await rejection(adapter.getRun(F.latestFailure.job, 'a/../b'))).kind, 'invalid_input');
      assert.equal(emulator.requests.length, 0);
    });
  });

  describe('runs', () => {
    it('returns the latest run of every job in one request', async () => {
      emulator.resetRequests();
      const ids = [
        F.latestFailure.job,
        F.runningNow.job,
        F.paused.job,
        ...F.sharedJobName.ids,
        F.brokenLocation.job,
        'no_such_job',
      ];
      const latest = await adapter.latestRuns(ids);
      assert.equal(emulator.requests.length, 1);
      assert.equal(latest.get(F.latestFailure.job)?.status, 'failed');
      assert.equal(latest.get(F.latestFailure.job)?.trigger, 'scheduled');
      const running = latest.get(F.runningNow.job);
      assert.equal(running?.status, 'running');
      assert.equal(running?.native_status, 'STARTED');
      assert.equal(running?.finished_at, null);
      assert.equal(running?.duration_seconds, null);
      const paused = latest.get(F.paused.job);
      assert.ok(paused?.finished_at && Date.parse(paused.finished_at) < NOW.getTime() - 8 * DAY_MS);
      for (const id of F.sharedJobName.ids) assert.equal(latest.get(id)?.pipeline_id, id);
      assert.notEqual(latest.get(F.sharedJobName.ids[0])?.run_id, latest.get(F.sharedJobName.ids[1])?.run_id);
      assert.ok(!latest.has('no_such_job'));
      assert.ok(!latest.has(F.brokenLocation.job), 'jobs of a location that does not load are unknown');
    });

    it('finds the failures of the last 24 h with one runsOrError filter, whatever the number of jobs', async () => {
      const since = new Date(NOW.getTime() - DAY_MS);
      const query = {
        statuses: ['failed' as const],
        finishedAfter: since,
        orderBy: 'finished_at' as const,
        limit: 100,
      };
      const fresh = newAdapter(emulator.url);
      emulator.resetRequests();
      const list = await fresh.listRuns(query);
      assert.deepEqual([...new Set(list.runs.map((r) => r.pipeline_id))], [...F.failedInLast24h]);
      assert.equal(list.runs.length, 2, 'the latest two runs failed');
      assert.equal(list.total, 2);
      assert.equal(list.truncated, false);
      assert.ok(
        list.runs.every((r) => r.status === 'failed' && Date.parse(r.finished_at ?? '') >= since.getTime()),
      );
      const runsRequests = operations('MonitorRuns');
      assert.equal(runsRequests.length, 1);
      // One page of runs, plus the job-name index (to qualify shared job names), fetched once.
      const demoCount = emulator.requests.length;
      assert.equal(demoCount, 2);

      const big = await startDagsterEmulator({
        world: createScaleWorld({ dags: 2000, runsPerDag: 4, failedInLastDay: 40, now: NOW }),
      });
      extra.push(big);
      const scaled = newAdapter(big.url);
      const bigList = await scaled.listRuns(query);
      assert.equal(new Set(bigList.runs.map((r) => r.pipeline_id)).size, 40);
      assert.equal(big.requests.length, demoCount, 'same request count for 11 jobs and 2,000 jobs');
    });

    it('fills failed steps cheaply and orders by finish time', async () => {
      emulator.resetRequests();
      const list = await adapter.listRuns({
        statuses: ['failed'],
        finishedAfter: new Date(NOW.getTime() - 30 * DAY_MS),
        orderBy: 'finished_at',
        includeFailedTasks: true,
        limit: 100,
      });
      assert.equal(operations('MonitorRuns').length, 1, 'step statuses come with the runs');
      const ltv = list.runs.find((r) => r.pipeline_id === F.latestFailure.job);
      assert.deepEqual(ltv?.failed_tasks, [F.latestFailure.failedStep]);
      assert.match(ltv?.error_message ?? '', /stg_customers/);
      const partner = list.runs.find((r) => r.pipeline_id === F.healthy.job);
      assert.deepEqual(partner?.failed_tasks, [F.healthy.retriedStep]);
      const ends = list.runs.map((r) => Date.parse(r.finished_at ?? ''));
      assert.deepEqual(
        ends,
        [...ends].sort((a, b) => b - a),
      );
    });

    it('pages a job’s history with runId cursors and says when it is cut', async () => {
      emulator.resetRequests();
      const history = await adapter.listRuns({
        pipelineId: F.runningNow.job,
        orderBy: 'started_at',
        limit: 60,
      });
      assert.equal(history.runs.length, 60);
      assert.equal(history.truncated, true);
      const created = history.runs.map((r) => Date.parse(r.queued_at ?? ''));
      assert.deepEqual(
        created,
        [...created].sort((a, b) => b - a),
      );
      assert.equal(history.runs[0]?.status, 'running');
      assert.equal(new Set(history.runs.map((r) => r.run_id)).size, 60);
      const pages = operations('MonitorRuns');
      assert.equal(pages.length, 3, '25 + 25 + 11 runs');

      const all = await adapter.listRuns({ pipelineId: F.paused.job, orderBy: 'started_at', limit: 1000 });
      assert.equal(all.truncated, false);
      assert.equal(all.total, all.runs.length);

      const finance = await adapter.listRuns({
        pipelineId: F.sharedJobName.ids[1],
        orderBy: 'started_at',
        limit: 100,
      });
      assert.ok(finance.runs.length >= 28);
      assert.ok(finance.runs.every((r) => r.pipeline_id === F.sharedJobName.ids[1]));
      const analytics = await adapter.listRuns({
        pipelineId: F.sharedJobName.ids[0],
        orderBy: 'started_at',
        limit: 100,
      });
      const overlap = analytics.runs.filter((r) => finance.runs.some((f) => f.run_id === r.run_id));
      assert.equal(overlap.length, 0, 'runs of a shared job name are told apart by code location');

      const recent = await adapter.listRuns({
        pipelineId: F.runningNow.job,
        startedAfter: new Date(NOW.getTime() - 5 * 3600 * 1000),
        orderBy: 'started_at',
        limit: 100,
      });
      assert.ok(recent.runs.length >= 4 && recent.runs.length <= 6, String(recent.runs.length));
      emulator.resetRequests();
      const location = await adapter.listRuns({
        pipelineId: F.brokenLocation.pipelineId,
        orderBy: 'started_at',
        limit: 5,
      });
      assert.deepEqual(location.runs, []);
      assert.equal(emulator.requests.length, 0);
      assert.deepEqual(await adapter.listRuns({ statuses: ['unknown'], orderBy: 'started_at', limit: 5 }), {
        runs: [],
        total: 0,
        truncated: false,
      });
    });

    it('reads a failed run: the failed step and its error, every step with its attempts', async () => {
      const runId = emulator.world.latestRun(F.latestFailure.job)?.run_id ?? '';
      const run = await adapter.getRun(F.latestFailure.job, runId);
      assert.equal(run.status, 'failed');
      assert.equal(run.native_status, 'FAILURE');
      assert.deepEqual(run.failed_tasks, [F.latestFailure.failedStep]);
      assert.match(
        run.error_message ?? '',
        /Step stg_customers failed: .*DagsterExecutionStepExecutionError/,
      );
      assert.match(
        run.error_message ?? '',
        /snowflake\.connector\.errors\.ProgrammingError: 002003 \(42S02\)/,
      );
      assert.match(run.error_message ?? '', /ANALYTICS\.PUBLIC\.CUSTOMERS' does not exist or not authorized/);
      assert.equal(run.url, `${emulator.url}/runs/${runId}`);

      const steps = await adapter.listTaskRuns(F.latestFailure.job, runId);
      assert.deepEqual(
        steps.map((s) => s.task_id),
        [...F.latestFailure.succeededSteps, F.latestFailure.failedStep],
      );
      const failed = steps.find((s) => s.status === 'failed');
      assert.equal(failed?.task_id, F.latestFailure.failedStep);
      assert.equal(failed?.native_status, 'FAILURE');
      assert.match(failed?.error ?? '', /^dagster\._core\.errors\.DagsterExecutionStepExecutionError: /);
      assert.match(failed?.error ?? '', /caused by snowflake\.connector\.errors\.ProgrammingError/);
      assert.ok(
        steps.filter((s) => s.status === 'success').every((s) => s.error === null && s.try_number === 1),
      );

      const partnerRun = emulator.world.runsOf(F.healthy.job).find((r) => r.state === 'failed');
      const retried = await adapter.listTaskRuns(F.healthy.job, partnerRun?.run_id ?? '');
      const step = retried.find((s) => s.task_id === F.healthy.retriedStep);
      assert.equal(step?.try_number, F.healthy.retries + 1);
      assert.match(step?.error ?? '', /429 Client Error: Too Many Requests/);

      const runningRun = emulator.world.latestRun(F.runningNow.job)?.run_id ?? '';
      const runningSteps = await adapter.listTaskRuns(F.runningNow.job, runningRun);
      assert.deepEqual(
        runningSteps.map((s) => [s.task_id, s.status]),
        [...F.runningNow.succeededSteps.map((s) => [s, 'success']), [F.runningNow.runningStep, 'running']],
      );
      assert.equal(runningSteps.at(-1)?.finished_at, null);
    });

    it('a run of another job, or an unknown run, is not_found', async () => {
      const runId = emulator.world.latestRun(F.latestFailure.job)?.run_id ?? '';
      const other = await rejection(adapter.getRun(F.runningNow.job, runId));
      assert.equal(other.kind, 'not_found');
      assert.match(other.hint ?? '', /customer_ltv_assets/);
      const unknown = await rejection(
        adapter.getRun(F.runningNow.job, '00000000-0000-4000-8000-000000000000'),
      );
      assert.equal(unknown.kind, 'not_found');
      const wrongLocation = emulator.world.latestRun(F.sharedJobName.ids[0])?.run_id ?? '';
      assert.equal(
        (await rejection(adapter.getRun(F.sharedJobName.ids[1], wrongLocation))).kind,
        'not_found',
      );
    });
  });

  describe('step logs', () => {
    const failedRun = () => emulator.world.latestRun(F.latestFailure.job)?.run_id ?? '';

    it('keeps a bounded tail of the captured output, stderr (with the traceback) last', async () => {
      emulator.resetRequests();
      const maxBytes = 3000;
      const log = await adapter.getTaskLog(F.latestFailure.job, failedRun(), {
        taskId: F.latestFailure.failedStep,
        tryNumber: 1,
        mapIndex: null,
        maxBytes,
      });
      assert.equal(log.truncated, true);
      assert.ok(bytesOf(log.lines) <= maxBytes, `${bytesOf(log.lines)} bytes`);
      assert.ok(log.bytes_read > 5 * maxBytes, `read ${log.bytes_read} bytes`);
      const text = log.lines.join('\n');
      assert.match(text, /STEP_FAILURE - Execution of step "stg_customers" failed\./);
      assert.match(
        text,
        /snowflake\.connector\.errors\.ProgrammingError: 002003 \(42S02\): SQL compilation error:/,
      );
      assert.match(log.lines.filter((l) => l.trim().length > 0).at(-1) ?? '', /raise error_class\(/);
      assert.ok(log.lines.includes('==> stderr <=='));
      // The log is read in cursor chunks (4 KiB here), never whole.
      assert.ok(operations('MonitorCapturedLogs').length > 3);
      assert.equal(operations('MonitorRunEvents').length, 1);

      const small = await adapter.getTaskLog(F.latestFailure.job, failedRun(), {
        taskId: 'raw_orders',
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 1_000_000,
      });
      assert.equal(small.truncated, false);
      assert.match(small.lines.join('\n'), /STEP_SUCCESS - Finished execution of step "raw_orders"/);
    });

    it('reads the log of each attempt of a retried step', async () => {
      const run = emulator.world.runsOf(F.healthy.job).find((r) => r.state === 'failed')?.run_id ?? '';
      const first = await adapter.getTaskLog(F.healthy.job, run, {
        taskId: F.healthy.retriedStep,
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      assert.equal(first.try_number, 1);
      assert.match(first.lines.join('\n'), /STEP_UP_FOR_RETRY/);
      const last = await adapter.getTaskLog(F.healthy.job, run, {
        taskId: F.healthy.retriedStep,
        tryNumber: F.healthy.retries + 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      assert.match(last.lines.join('\n'), /STEP_RESTARTED - Started re-execution \(attempt # 3\)/);
      assert.match(last.lines.join('\n'), /STEP_FAILURE/);
    });

    it('falls back to the step’s events, with the traceback, when nothing was captured', async () => {
      emulator.faults.push({
        kind: 'result',
        field: 'capturedLogs',
        value: { __typename: 'CapturedLogs', logKey: [], stdout: null, stderr: null, cursor: null },
        times: 1,
      });
      const log = await adapter.getTaskLog(F.latestFailure.job, failedRun(), {
        taskId: F.latestFailure.failedStep,
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      const text = log.lines.join('\n');
      assert.match(log.lines[0] ?? '', /no captured stdout\/stderr for step stg_customers/);
      assert.match(text, /STEP_FAILURE - Execution of step "stg_customers" failed\./);
      assert.match(text, /Traceback \(most recent call last\):/);
      assert.match(text, /The above exception was the direct cause of the following exception:/);
      assert.match(text, /File ".*\/customer_ltv\.py", line 41, in stg_customers/);
      assert.match(
        log.lines.at(-1) ?? '',
        /DagsterExecutionStepExecutionError: Error occurred while executing op/,
      );
    });

    it('falls back to the events when the server fails to serve captured logs', async () => {
      emulator.faults.push({
        kind: 'exception',
        field: 'capturedLogs',
        message: 'compute log storage is down',
        times: 1,
      });
      const log = await adapter.getTaskLog(F.latestFailure.job, failedRun(), {
        taskId: F.latestFailure.failedStep,
        tryNumber: 1,
        mapIndex: null,
        maxBytes: 100_000,
      });
      assert.match(log.lines[0] ?? '', /no captured stdout\/stderr .*compute log storage is down/);
      assert.match(log.lines.join('\n'), /ProgrammingError: 002003/);
    });

    it('an unknown step is not_found', async () => {
      const e = await rejection(
        adapter.getTaskLog(F.latestFailure.job, failedRun(), {
          taskId: 'nope',
          tryNumber: 1,
          mapIndex: null,
          maxBytes: 100,
        }),
      );
      assert.equal(e.kind, 'not_found');
      // Steps of a dynamic output are accepted as ids.
      const dyn = await rejection(
        adapter.getTaskLog(F.latestFailure.job, failedRun(), {
          taskId: 'op[key_1]',
          tryNumber: 1,
          mapIndex: null,
          maxBytes: 100,
        }),
      );
      assert.equal(dyn.kind, 'not_found');
    });
  });

  describe('trigger', () => {
    it('launches one run with the request tags; the same request again returns that run', async () => {
      emulator.resetRequests();
      const request = {
        conf: { ops: { score_customers: { config: { threshold: 0.4 } } } },
        runId: 'req-2026-03-11-a',
        note: 'rerun after fix',
      };
      const run = await adapter.triggerRun(F.recoveredFailure.job, request);
      assert.equal(run.pipeline_id, F.recoveredFailure.job);
      assert.equal(run.status, 'pending');
      assert.equal(run.native_status, 'QUEUED');
      assert.equal(run.trigger, 'manual');
      assert.equal(operations('MonitorLaunchRun').length, 1);
      const again = await adapter.triggerRun(F.recoveredFailure.job, request);
      assert.equal(again.run_id, run.run_id);
      assert.equal(operations('MonitorLaunchRun').length, 1, 'no second launch');

      const tagged = await adapter.listRuns({
        pipelineId: F.recoveredFailure.job,
        orderBy: 'started_at',
        limit: 1,
      });
      assert.equal(tagged.runs[0]?.run_id, run.run_id);
      const world = emulator.world.runsOf(F.recoveredFailure.job).find((r) => r.run_id === run.run_id);
      assert.deepEqual(world?.conf, request.conf);
      assert.equal(world?.note, 'rerun after fix');

      // The tags are on the run in Dagster: find it by them.
      const reply = await fetch(`${emulator.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'query($t: [ExecutionTag!]) { runsOrError(filter: { tags: $t }) { __typename ... on Runs { results { runId tags { key value } } } } }',
          variables: { t: [{ key: REQUEST_TAG, value: request.runId }] },
        }),
      });
      const body = (await reply.json()) as {
        data: { runsOrError: { results: { runId: string; tags: { key: string; value: string }[] }[] } };
      };
      const found = body.data.runsOrError.results;
      assert.equal(found.length, 1);
      assert.ok(found[0]?.tags.some((t) => t.key === NOTE_TAG && t.value === request.note));

      const shared = await adapter.triggerRun(F.sharedJobName.ids[1], { conf: {}, runId: 'req-finance-1' });
      assert.equal(shared.pipeline_id, F.sharedJobName.ids[1]);
    });

    it('maps refusals: invalid config, unknown job, broken location, conflicts, unauthorized', async () => {
      const invalid = await rejection(
        adapter.triggerRun(F.recoveredFailure.job, { conf: { not_a_section: 1 } }),
      );
      assert.equal(invalid.kind, 'invalid_input');
      assert.match(invalid.message, /Received unexpected config entry "not_a_section"/);
      assert.equal((await rejection(adapter.triggerRun('no_such_job', { conf: {} }))).kind, 'not_found');
      assert.equal(
        (await rejection(adapter.triggerRun(F.brokenLocation.pipelineId, { conf: {} }))).kind,
        'refused',
      );
      assert.equal(
        (await rejection(adapter.triggerRun(F.sharedJobName.job, { conf: {} }))).kind,
        'ambiguous',
      );
      assert.equal(
        (
          await rejection(
            adapter.triggerRun(F.healthy.job, { conf: [] as unknown as Record<string, unknown> }),
          )
        ).kind,
        'invalid_input',
      );

      emulator.faults.push({
        kind: 'result',
        field: 'launchRun',
        value: { __typename: 'RunConflict', message: 'a run with this id exists' },
        times: 1,
      });
      assert.equal((await rejection(adapter.triggerRun(F.healthy.job, { conf: {} }))).kind, 'refused');
      emulator.faults.push({
        kind: 'result',
        field: 'launchRun',
        value: {
          __typename: 'PythonError',
          message: 'dagster._core.errors.DagsterRunLauncherError: no capacity\n',
          className: 'DagsterRunLauncherError',
          stack: [],
          cause: null,
          causes: [],
        },
        times: 1,
      });
      const python = await rejection(adapter.triggerRun(F.healthy.job, { conf: {} }));
      assert.equal(python.kind, 'upstream_error');
      assert.match(
        python.message,
        /^test-dagster: Dagster raised an error while launching job partner_api_ingest: .*no capacity/,
      );

      const cloud = await startDagsterEmulator({
        world: createDagsterDemoWorld({ now: NOW }),
        cloudTokens: [CLOUD_TOKEN],
        readOnlyTokens: ['viewer-token-0123456789'],
        pathPrefix: '/prod',
      });
      extra.push(cloud);
      const viewer = newAdapter(cloud.url, { kind: 'token', token: 'viewer-token-0123456789' });
      const unauthorized = await rejection(viewer.triggerRun(F.healthy.job, { conf: {} }));
      assert.equal(unauthorized.kind, 'auth');
      assert.ok(!unauthorized.message.includes('viewer-token-0123456789'));
    });
  });

  describe('re-run from failure and cancel', () => {
    // Their own world: these change runs the other cases read.
    let own: DagsterEmulator;
    let a: DagsterAdapter;
    const ops = (name: string) => own.requests.filter((r) => r.operationName === name);
    before(async () => {
      own = await startDagsterEmulator({ world: createDagsterDemoWorld({ now: NOW }) });
      extra.push(own);
      a = newAdapter(own.url);
    });

    it('re-executes a failed run from failure once per request id: a new run linked to it', async () => {
      assert.equal(a.capabilities.rerunFailed, true);
      const failed = own.world.latestRun(F.latestFailure.job);
      assert.ok(failed);
      const before = own.world.runsOf(F.latestFailure.job).length;
      const request = { requestId: 'rerun-req-1', note: 'table restored' };
      const run = await a.rerunFailed(F.latestFailure.job, failed.run_id, request);
      assert.equal(run.pipeline_id, F.latestFailure.job);
      assert.notEqual(run.run_id, failed.run_id);
      assert.equal(run.native_status, 'QUEUED');
      assert.equal(own.world.runsOf(F.latestFailure.job).length, before + 1);
      const sent = ops('MonitorLaunchRunReexecution');
      assert.equal(sent.length, 1);
      assert.deepEqual(sent[0]?.variables, {
        reexecutionParams: {
          parentRunId: failed.run_id,
          strategy: 'FROM_FAILURE',
          extraTags: [
            { key: REQUEST_TAG, value: 'rerun-req-1' },
            { key: NOTE_TAG, value: 'table restored' },
          ],
        },
      });
      // Linked to its parent, as Dagster links a re-execution.
      const reply = await fetch(`${own.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query:
            'query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { parentRunId rootRunId tags { key value } } } }',
          variables: { id: run.run_id },
        }),
      });
      const body = (await reply.json()) as {
        data: { runOrError: { parentRunId: string; rootRunId: string; tags: { key: string }[] } };
      };
      assert.equal(body.data.runOrError.parentRunId, failed.run_id);
      assert.equal(body.data.runOrError.rootRunId, failed.run_id);

      const again = await a.rerunFailed(F.latestFailure.job, failed.run_id, request);
      assert.equal(again.run_id, run.run_id);
      assert.equal(ops('MonitorLaunchRunReexecution').length, 1, 'no second re-execution');
      assert.equal(own.world.runsOf(F.latestFailure.job).length, before + 1);

      // The same request id for another run's re-execution is a mistake, not a duplicate.
      const older = own.world.runsOf(F.latestFailure.job).filter((r) => r.state === 'failed')[0];
      assert.ok(older && older.run_id !== failed.run_id);
      const reused = await rejection(a.rerunFailed(F.latestFailure.job, older.run_id, request));
      assert.equal(reused.kind, 'invalid_input');
    });

    it('refuses runs that did not fail; unknown runs are not_found', async () => {
      const ok = own.world.latestRun(F.healthy.job);
      assert.equal(ok?.state, 'success');
      const refused = await rejection(a.rerunFailed(F.healthy.job, ok.run_id, { requestId: 'r-ok' }));
      assert.equal(refused.kind, 'refused');
      const running = own.world.latestRun(F.runningNow.job);
      assert.equal(running?.state, 'running');
      const active = await rejection(a.rerunFailed(F.runningNow.job, running.run_id, { requestId: 'r-run' }));
      assert.equal(active.kind, 'refused');
      assert.match(active.hint ?? '', /still active/);
      const missing = await rejection(
        a.rerunFailed(F.healthy.job, '00000000-0000-4000-8000-000000000000', { requestId: 'r-x' }),
      );
      assert.equal(missing.kind, 'not_found');
      assert.equal(ops('MonitorLaunchRunReexecution').length, 1, 'nothing sent for a refusal');
    });

    it('maps every other member of LaunchRunReexecutionResult to an error', async () => {
      const failed = own.world.runsOf(F.recoveredFailure.job).find((r) => r.state === 'failed');
      assert.ok(failed);
      const cases: { value: Record<string, unknown> & { __typename: string }; kind: string }[] = [
        { value: { __typename: 'UnauthorizedError', message: 'no permission' }, kind: 'auth' },
        { value: { __typename: 'RunConflict', message: 'conflict' }, kind: 'refused' },
        { value: { __typename: 'InvalidSubsetError', message: 'bad subset' }, kind: 'invalid_input' },
        { value: { __typename: 'InvalidStepError', invalidStepKey: 'x' }, kind: 'invalid_input' },
        {
          value: {
            __typename: 'PipelineNotFoundError',
            message: 'gone',
            pipelineName: F.recoveredFailure.job,
            repositoryName: '__repository__',
            repositoryLocationName: 'ml_platform',
          },
          kind: 'not_found',
        },
        {
          value: {
            __typename: 'PythonError',
            message: 'dagster._core.errors.DagsterInvariantViolationError: boom\n',
            className: 'DagsterInvariantViolationError',
            stack: [],
            cause: null,
            causes: [],
          },
          kind: 'upstream_error',
        },
      ];
      for (const [i, c] of cases.entries()) {
        own.faults.push({ kind: 'result', field: 'launchRunReexecution', value: c.value, times: 1 });
        const error = await rejection(
          a.rerunFailed(F.recoveredFailure.job, failed.run_id, { requestId: `r-fault-${i}` }),
        );
        assert.equal(error.kind, c.kind, `${c.value.__typename}: ${error.message}`);
        assert.match(error.message, new RegExp(F.recoveredFailure.job), error.message);
      }
      const viewerWorld = await startDagsterEmulator({
        world: createDagsterDemoWorld({ now: NOW }),
        cloudTokens: [CLOUD_TOKEN],
        readOnlyTokens: ['viewer-token-0123456789'],
      });
      extra.push(viewerWorld);
      const viewer = newAdapter(viewerWorld.url, { kind: 'token', token: 'viewer-token-0123456789' });
      const parent = viewerWorld.world.latestRun(F.latestFailure.job);
      assert.ok(parent);
      const unauthorized = await rejection(
        viewer.rerunFailed(F.latestFailure.job, parent.run_id, { requestId: 'r-viewer' }),
      );
      assert.equal(unauthorized.kind, 'auth');
      const cancelDenied = await rejection(
        viewer.cancelRun(F.runningNow.job, viewerWorld.world.latestRun(F.runningNow.job)?.run_id ?? ''),
      );
      assert.equal(cancelDenied.kind, 'auth');
    });

    it('terminates a running run (CANCELING) and a queued one (CANCELED); a finished one is refused', async () => {
      assert.equal(a.capabilities.cancel, true);
      const running = own.world.latestRun(F.runningNow.job);
      assert.ok(running);
      const cancelling = await a.cancelRun(F.runningNow.job, running.run_id);
      assert.equal(cancelling.run_id, running.run_id);
      assert.equal(cancelling.native_status, 'CANCELING');
      assert.deepEqual(ops('MonitorTerminateRun')[0]?.variables, {
        runId: running.run_id,
        terminatePolicy: 'SAFE_TERMINATE',
      });
      // Already being terminated: returned as it is, nothing sent.
      const again = await a.cancelRun(F.runningNow.job, running.run_id);
      assert.equal(again.native_status, 'CANCELING');
      assert.equal(ops('MonitorTerminateRun').length, 1);

      const queued = await a.triggerRun(F.healthy.job, { conf: {}, runId: 'to-cancel-1' });
      assert.equal(queued.native_status, 'QUEUED');
      const cancelled = await a.cancelRun(F.healthy.job, queued.run_id);
      assert.equal(cancelled.native_status, 'CANCELED');
      assert.equal(cancelled.status, 'cancelled');
      assert.ok(cancelled.finished_at);
      const refused = await rejection(a.cancelRun(F.healthy.job, queued.run_id));
      assert.equal(refused.kind, 'refused');
      assert.equal(ops('MonitorTerminateRun').length, 2, 'nothing sent for a finished run');
      const missing = await rejection(a.cancelRun(F.healthy.job, '00000000-0000-4000-8000-000000000000'));
      assert.equal(missing.kind, 'not_found');
    });

    it('maps every member of TerminateRunResult', async () => {
      const victim = await a.triggerRun(F.healthy.job, { conf: {}, runId: 'to-cancel-2' });
      const cases: { value: Record<string, unknown> & { __typename: string }; kind: string }[] = [
        { value: { __typename: 'TerminateRunFailure', message: 'Unable to terminate run' }, kind: 'refused' },
        {
          value: { __typename: 'RunNotFoundError', runId: victim.run_id, message: 'gone' },
          kind: 'not_found',
        },
        { value: { __typename: 'UnauthorizedError', message: 'no permission' }, kind: 'auth' },
        {
          value: {
            __typename: 'PythonError',
            message: 'Unable to terminate run',
            className: null,
            stack: [],
            cause: null,
            causes: [],
          },
          kind: 'upstream_error',
        },
      ];
      for (const c of cases) {
        own.faults.push({ kind: 'result', field: 'terminateRun', value: c.value, times: 1 });
        const error = await rejection(a.cancelRun(F.healthy.job, victim.run_id));
        assert.equal(error.kind, c.kind, `${c.value.__typename}: ${error.message}`);
      }
      // Still queued: each refusal left it alone, and a real termination works.
      assert.equal((await a.cancelRun(F.healthy.job, victim.run_id)).native_status, 'CANCELED');
    });
  });

  describe('Dagster+ and hostile servers', () => {
    it('sends the Dagster+ API token header; a missing or wrong token is an auth error that never shows it', async () => {
      const cloud = await startDagsterEmulator({
        world: createDagsterDemoWorld({ now: NOW }),
        cloudTokens: [CLOUD_TOKEN],
        pathPrefix: '/prod',
      });
      extra.push(cloud);
      assert.match(cloud.url, /\/prod$/);
      const ok = newAdapter(cloud.url, { kind: 'token', token: CLOUD_TOKEN });
      assert.equal((await ok.listPipelines({ owner: 'data-platform' })).length, F.dataPlatformJobs.length);
      assert.equal(cloud.requests[0]?.path, '/prod/graphql');

      const none = await rejection(newAdapter(cloud.url).listPipelines({}));
      assert.equal(none.kind, 'auth');
      assert.match(none.hint ?? '', /Dagster\+ needs a user API token/);

      const wrongToken = 'user:wrong-token-987654321';
      const wrong = await rejection(
        newAdapter(cloud.url, { kind: 'token', token: wrongToken }).latestRuns([F.healthy.job]),
      );
      assert.equal(wrong.kind, 'auth');
      assert.match(wrong.message, /^test-dagster: Dagster rejected the credentials \(HTTP 401\)/);
      assert.match(wrong.hint ?? '', /Dagster-Cloud-Api-Token/);
      for (const text of [wrong.message, wrong.hint ?? '', none.message]) {
        assert.ok(!text.includes(wrongToken) && !text.includes(CLOUD_TOKEN));
      }
    });

    it('falls back to owner tags on a Dagster without Job.owners, once', async () => {
      const old = await startDagsterEmulator({
        world: createDagsterDemoWorld({ now: NOW }),
        schema: 'without-job-owners',
      });
      extra.push(old);
      const a = newAdapter(old.url);
      const owned = await a.listPipelines({ owner: 'data-platform' });
      assert.deepEqual(owned.map((p) => p.pipeline_id).sort(), [...F.dataPlatformJobs].sort());
      await a.listPipelines({});
      assert.deepEqual(
        old.requests.map((r) => `${r.status} ${r.operationName}`),
        ['400 MonitorWorkspace', '200 MonitorWorkspaceWithoutOwners', '200 MonitorWorkspaceWithoutOwners'],
      );
    });

    it('turns broken answers into MonitorErrors that name the orchestrator', async () => {
      const cases: {
        fault: Parameters<DagsterEmulator['faults']['push']>[0];
        kind: MonitorError['kind'];
        message: RegExp;
      }[] = [
        {
          fault: {
            kind: 'http',
            status: 400,
            body: JSON.stringify({
              data: null,
              errors: [{ message: 'Cannot query field "isAssetJob" on type "Job".' }],
            }),
          },
          kind: 'upstream_error',
          message:
            /^test-dagster: Dagster at .* rejected the MonitorWorkspace query \(HTTP 400\): Cannot query field "isAssetJob"/,
        },
        {
          fault: {
            kind: 'http',
            status: 500,
            body: JSON.stringify({
              data: null,
              errors: [
                {
                  message: 'dagster._core.errors.DagsterInvariantViolationError: storage unavailable',
                  path: ['workspaceOrError'],
                },
              ],
            }),
          },
          kind: 'upstream_error',
          message:
            /^test-dagster: Dagster at .* failed while answering MonitorWorkspace \(HTTP 500\): .*storage unavailable/,
        },
        {
          fault: { kind: 'exception', field: 'workspaceOrError', message: 'database is locked' },
          kind: 'upstream_error',
          message: /HTTP 500\): database is locked/,
        },
        {
          fault: {
            kind: 'result',
            field: 'workspaceOrError',
            value: {
              __typename: 'PythonError',
              message: 'sqlalchemy.exc.OperationalError: could not connect\n',
              className: 'OperationalError',
              stack: [],
              cause: null,
              causes: [],
            },
          },
          kind: 'upstream_error',
          message:
            /^test-dagster: Dagster raised an error while listing the workspace: sqlalchemy\.exc\.OperationalError: could not connect/,
        },
        {
          fault: { kind: 'http', status: 200, body: '<html>Sign in</html>', contentType: 'text/html' },
          kind: 'upstream_error',
          message: /^test-dagster: unexpected response from Dagster .*not JSON \(text\/html\)/,
        },
        {
          fault: {
            kind: 'http',
            status: 200,
            body: JSON.stringify({
              data: {
                workspaceOrError: {
                  __typename: 'Workspace',
                  locationEntries: [
                    {
                      name: 'x',
                      loadStatus: 'LOADED',
                      locationOrLoadError: { __typename: 'RepositoryLocation', name: 'x' },
                    },
                  ],
                },
              },
            }),
          },
          kind: 'upstream_error',
          message:
            /^test-dagster: unexpected response from Dagster .*missing field workspaceOrError\.locationEntries\[0\]\.locationOrLoadError\.repositories/,
        },
        {
          fault: { kind: 'http', status: 404, body: 'Not Found', contentType: 'text/plain' },
          kind: 'upstream_error',
          message: /^test-dagster: no Dagster GraphQL endpoint at/,
        },
      ];
      for (const c of cases) {
        emulator.faults.push({ ...c.fault, times: 1 });
        const e = await rejection(adapter.listPipelines({}));
        assert.equal(e.kind, c.kind, e.message);
        assert.equal(e.orchestrator, 'test-dagster');
        assert.match(e.message, c.message);
      }
      assert.equal(emulator.faults.length, 0);

      emulator.faults.push({
        kind: 'result',
        field: 'runsOrError',
        value: { __typename: 'InvalidPipelineRunsFilterError', message: 'bad filter' },
        times: 1,
      });
      assert.equal(
        (await rejection(adapter.listRuns({ orderBy: 'started_at', limit: 1 }))).kind,
        'invalid_input',
      );
      emulator.faults.push({
        kind: 'http',
        status: 200,
        body: JSON.stringify({
          data: { runsOrError: { __typename: 'Runs', results: [{ runId: 'x', status: 'SUCCESS' }] } },
        }),
        times: 1,
      });
      const missing = await rejection(adapter.listRuns({ orderBy: 'started_at', limit: 1 }));
      assert.match(missing.message, /missing field runsOrError\.results\[0\]\.jobName/);
    });

    it('reports an unreachable server as upstream_unavailable', async () => {
      const gone = await startDagsterEmulator({ world: createDagsterDemoWorld({ now: NOW }) });
      const url = gone.url;
      await gone.close();
      const e = await rejection(newAdapter(url, undefined, { maxRetries: 0 }).listPipelines({}));
      assert.equal(e.kind, 'upstream_unavailable');
      assert.match(e.message, /^test-dagster: cannot reach Dagster at 127\.0\.0\.1:\d+/);
    });
  });
});
