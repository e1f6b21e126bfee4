import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { OrchestratorAdapter } from '../../core/adapter.js';
import type { MonitorError } from '../../core/errors.js';
import { type ErrorKind } from '../../core/errors.js';
import type { PipelineRun } from '../../core/model.js';
import { RUN_STATUSES } from '../../core/status.js';
import { createAdapter } from '../index.js';
import {
  CONTRACT_TARGETS,
  type ContractCase,
  type ContractTarget,
  type StartedEmulator,
} from './targets.test.util.js';
import { rejection } from '../../test/assertions.js';

/**
 * One behavioural contract for every adapter: the same cases, through createAdapter, against each
 * orchestrator's emulator serving its demo world (see targets.test.util.ts for who plays which role).
 * A case a target cannot do is skipped with its reason; one that fails on a known bug is a todo.
 */

// The worlds are built at the real now: createAdapter gives the adapters no other clock, and some of them
// compare run times with it (upcoming Prefect runs, Airflow's latest-runs window). Every planted fact the
// cases rely on holds whatever the day and hour.
const NOW = new Date();
const DAY_MS = 24 * 3600 * 1000;
const SINCE_24H = new Date(NOW.getTime() - DAY_MS);

const bytesOf = (lines: readonly string[]): number => lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
const sorted = (ids: readonly string[]) => [...ids].sort();

async function rejects(promise: Promise<unknown>, kind: ErrorKind): Promise<MonitorError> {
  const e = await rejection(promise);
  assert.equal(e.kind, kind, `${e.kind}: ${e.message}`);
  return e;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function describeTarget(target: ContractTarget): void {
  describe(`adapter contract: ${target.name}`, () => {
    const f = target.facts;
    let emulator: StartedEmulator;
    let adapter: OrchestratorAdapter;
    const extra: OrchestratorAdapter[] = [];
    const validAuth = target.credentials?.valid ?? { kind: 'none' as const };
    const name = (taskId: string) => target.taskName(taskId);

    before(async () => {
      emulator = await target.start(NOW);
      adapter = createAdapter(target.config(emulator.url, validAuth));
    });

    after(async () => {
      for (const a of [adapter, ...extra]) await a?.close();
      await emulator?.close();
    });

    /** One contract case: skipped with the target's reason when unsupported, todo when a known bug. */
    const contract = (id: ContractCase, title: string, body: (t: TestContext) => Promise<void>) => {
      const bug = target.knownBugs[id];
      it(`${id}: ${title}`, bug === undefined ? {} : { todo: bug }, async (t) => {
        const unsupported = target.unsupported[id];
        if (unsupported !== undefined) {
          t.skip(unsupported);
          return;
        }
        await body(t);
      });
    };

    const latestRun = async (pipelineId: string): Promise<PipelineRun> => {
      const run = (await adapter.latestRuns([pipelineId])).get(pipelineId);
      assert.ok(run, `${pipelineId} has a latest run`);
      return run;
    };

    contract('list-all', 'lists every pipeline once, the planted ones among them', async () => {
      const all = await adapter.listPipelines({});
      const ids = all.map((p) => p.pipeline_id);
      assert.equal(new Set(ids).size, ids.length, 'no duplicates');
      const planted = [
        f.failingPipeline,
        f.healthyPipeline,
        f.runningPipeline,
        f.pausedPipeline,
        ...f.ownerWithPipelines.pipelineIds,
        ...f.search.pipelineIds,
        ...(f.oldFailurePipeline === null ? [] : [f.oldFailurePipeline]),
      ];
      for (const id of planted) assert.ok(ids.includes(id), `${id} is listed`);
      assert.ok(!ids.includes(f.unknownPipeline));
      assert.ok(all.every((p) => p.orchestrator === adapter.name));
      assert.equal(all.find((p) => p.pipeline_id === f.pausedPipeline)?.paused, true);
      assert.equal(all.find((p) => p.pipeline_id === f.healthyPipeline)?.paused, false);
    });

    contract('list-owner', 'filters by owner: exactly the planted set', async () => {
      const owned = await adapter.listPipelines({ owner: f.ownerWithPipelines.owner });
      assert.deepEqual(sorted(owned.map((p) => p.pipeline_id)), sorted(f.ownerWithPipelines.pipelineIds));
      for (const p of owned) {
        assert.ok(
          p.owners.some((o) => o.toLowerCase() === f.ownerWithPipelines.owner.toLowerCase()),
          `${p.pipeline_id} owners ${JSON.stringify(p.owners)}`,
        );
      }
      assert.deepEqual(await adapter.listPipelines({ owner: 'nobody-owns-this' }), []);
    });

    contract('list-search', 'searches ids case-insensitively: exactly the planted set', async () => {
      const found = await adapter.listPipelines({ search: f.search.term });
      assert.deepEqual(sorted(found.map((p) => p.pipeline_id)), sorted(f.search.pipelineIds));
      assert.deepEqual(await adapter.listPipelines({ search: 'zz-matches-nothing-zz' }), []);
    });

    contract('get-pipeline', 'gets one pipeline with its paused flag', async () => {
      const paused = await adapter.getPipeline(f.pausedPipeline);
      assert.equal(paused.pipeline_id, f.pausedPipeline);
      assert.equal(paused.paused, true);
      const healthy = await adapter.getPipeline(f.healthyPipeline);
      assert.equal(healthy.pipeline_id, f.healthyPipeline);
      assert.equal(healthy.paused, false);
      assert.equal(healthy.broken, null);
    });

    contract('not-found', "an unknown pipeline, run or run's task runs are not_found", async () => {
      await rejects(adapter.getPipeline(f.unknownPipeline), 'not_found');
      await rejects(adapter.getRun(f.healthyPipeline, f.unknownRunId), 'not_found');
      await rejects(adapter.listTaskRuns(f.healthyPipeline, f.unknownRunId), 'not_found');
    });

    contract('history-unknown', 'the history of an unknown pipeline is not_found, not empty', async () => {
      await rejects(
        adapter.listRuns({ pipelineId: f.unknownPipeline, orderBy: 'started_at', limit: 5 }),
        'not_found',
      );
    });

    contract('latest-runs', 'the running pipeline is running, the failing one failed', async () => {
      const ids = [f.runningPipeline, f.failingPipeline, f.healthyPipeline];
      const latest = await adapter.latestRuns(ids);
      for (const id of ids) assert.equal(latest.get(id)?.pipeline_id, id, id);
      assert.equal(latest.get(f.runningPipeline)?.status, 'running');
      assert.equal(latest.get(f.runningPipeline)?.finished_at, null);
      assert.equal(latest.get(f.failingPipeline)?.status, 'failed');
      assert.notEqual(latest.get(f.healthyPipeline)?.status, 'failed');
    });

    const failuresSince = (since: Date) =>
      adapter.listRuns({
        statuses: ['failed'],
        finishedAfter: since,
        orderBy: 'finished_at',
        includeFailedTasks: true,
        limit: 200,
      });

    contract(
      'failures-24h',
      'failures of the last 24 h: the failing pipeline with its failed task',
      async () => {
        const { runs } = await failuresSince(SINCE_24H);
        assert.ok(
          runs.every((r) => r.status === 'failed' && Date.parse(r.finished_at ?? '') >= SINCE_24H.getTime()),
        );
        const failing = runs.find((r) => r.pipeline_id === f.failingPipeline);
        assert.ok(failing, `${f.failingPipeline} failed within 24 h`);
        assert.ok(
          failing.failed_tasks.map(name).includes(f.failedTask),
          `failed_tasks ${JSON.stringify(failing.failed_tasks)}`,
        );
        assert.ok(!runs.some((r) => r.pipeline_id === f.healthyPipeline), 'the healthy pipeline is absent');
        const finished = runs.map((r) => Date.parse(r.finished_at ?? ''));
        assert.deepEqual(
          finished,
          [...finished].sort((a, b) => b - a),
          'newest first',
        );
      },
    );

    contract('old-failure-excluded', 'a failure older than 24 h is out of the window, not lost', async () => {
      const old = f.oldFailurePipeline as string;
      const recent = await failuresSince(SINCE_24H);
      assert.ok(!recent.runs.some((r) => r.pipeline_id === old), `${old} is not a failure of the last 24 h`);
      const week = await failuresSince(new Date(NOW.getTime() - 7 * DAY_MS));
      assert.ok(
        week.runs.some((r) => r.pipeline_id === old),
        `${old} failed within the week`,
      );
    });

    contract('history', "one pipeline's runs, newest first, bounded by the limit", async () => {
      const limit = 5;
      const page = await adapter.listRuns({ pipelineId: f.failingPipeline, orderBy: 'started_at', limit });
      assert.equal(page.runs.length, limit);
      assert.equal(page.truncated, true, 'more runs exist');
      assert.ok(page.runs.every((r) => r.pipeline_id === f.failingPipeline));
      assert.equal(new Set(page.runs.map((r) => r.run_id)).size, limit);
      const starts = page.runs.flatMap((r) => (r.started_at === null ? [] : [Date.parse(r.started_at)]));
      assert.ok(starts.length >= limit - 1, 'started runs');
      assert.deepEqual(
        starts,
        [...starts].sort((a, b) => b - a),
        'newest first',
      );
      const one = await adapter.listRuns({ pipelineId: f.failingPipeline, orderBy: 'started_at', limit: 1 });
      assert.equal(one.runs.length, 1);
      assert.equal(one.runs[0]?.run_id, page.runs[0]?.run_id);
    });

    contract(
      'run-details',
      'a failed run and its task runs: the failed task, normalized statuses',
      async () => {
        const latest = await latestRun(f.failingPipeline);
        const run = await adapter.getRun(f.failingPipeline, latest.run_id);
        assert.equal(run.run_id, latest.run_id);
        assert.equal(run.pipeline_id, f.failingPipeline);
        assert.equal(run.status, 'failed');
        assert.ok(run.failed_tasks.map(name).includes(f.failedTask), JSON.stringify(run.failed_tasks));
        assert.ok(run.started_at !== null && run.finished_at !== null);

        const tasks = await adapter.listTaskRuns(f.failingPipeline, latest.run_id);
        const keys = tasks.map((t) => `${t.task_id}[${t.map_index}]`);
        assert.equal(new Set(keys).size, keys.length, 'each task (and map index) once');
        for (const t of tasks) {
          assert.ok(RUN_STATUSES.includes(t.status), `${t.task_id}: ${t.status}`);
          assert.ok(t.native_status.length > 0);
          assert.ok(Number.isInteger(t.try_number) && t.try_number >= 0);
        }
        const failed = tasks.find((t) => name(t.task_id) === f.failedTask);
        assert.ok(failed, `${f.failedTask} among ${JSON.stringify(tasks.map((t) => t.task_id))}`);
        assert.equal(failed.status, 'failed');
        assert.ok(failed.try_number >= 1);
        assert.ok(!tasks.some((t) => t.status === 'running' || t.status === 'pending'), 'a finished run');
      },
    );

    /** The failed task's latest try in the failing pipeline's latest run. */
    const failedAttempt = async () => {
      const { run_id } = await latestRun(f.failingPipeline);
      const tasks = await adapter.listTaskRuns(f.failingPipeline, run_id);
      const task = tasks.find((t) => name(t.task_id) === f.failedTask && t.status === 'failed');
      assert.ok(task, 'the failed task run');
      return { runId: run_id, task };
    };

    contract('task-log', "the failed task's latest try: the error is in the tail", async () => {
      const { runId, task } = await failedAttempt();
      const maxBytes = 256 * 1024;
      const log = await adapter.getTaskLog(f.failingPipeline, runId, {
        taskId: task.task_id,
        tryNumber: task.try_number,
        mapIndex: task.map_index,
        maxBytes,
      });
      assert.equal(log.task_id, task.task_id);
      assert.equal(log.try_number, task.try_number);
      assert.ok(bytesOf(log.lines) <= maxBytes);
      assert.ok(log.bytes_read >= bytesOf(log.lines) - log.lines.length, 'read at least what it returns');
      assert.ok(log.lines.join('\n').includes(f.errorSubstring), `"${f.errorSubstring}" in the tail`);
    });

    contract('task-log-bounded', 'a small maxBytes keeps a truncated tail within the bound', async () => {
      const { runId, task } = await failedAttempt();
      const request = { taskId: task.task_id, tryNumber: task.try_number, mapIndex: task.map_index };
      const full = await adapter.getTaskLog(f.failingPipeline, runId, { ...request, maxBytes: 1024 * 1024 });
      const maxBytes = 512;
      const tail = await adapter.getTaskLog(f.failingPipeline, runId, { ...request, maxBytes });
      assert.equal(tail.truncated, true);
      assert.ok(bytesOf(tail.lines) <= maxBytes, `${bytesOf(tail.lines)} bytes`);
      assert.ok(tail.lines.length > 0);
      const lastLine = (lines: readonly string[]) => lines.filter((l) => l.trim().length > 0).at(-1);
      assert.equal(lastLine(tail.lines), lastLine(full.lines), 'the tail ends where the log ends');
    });

    contract('mapped-tasks', 'a mapped task: one task run per map index, each with its log', async () => {
      const mapped = f.mapped;
      assert.ok(mapped);
      const { run_id } = await latestRun(mapped.pipelineId);
      const tasks = await adapter.listTaskRuns(mapped.pipelineId, run_id);
      const instances = tasks.filter((t) => t.task_id === mapped.taskId);
      assert.deepEqual(
        instances.map((t) => t.map_index).sort((a, b) => (a ?? -1) - (b ?? -1)),
        Array.from({ length: mapped.mapCount }, (_, i) => i),
      );
      assert.ok(tasks.filter((t) => t.task_id !== mapped.taskId).every((t) => t.map_index === null));
      const instance = instances.find((t) => t.map_index === mapped.mapIndex);
      assert.ok(instance);
      const log = await adapter.getTaskLog(mapped.pipelineId, run_id, {
        taskId: mapped.taskId,
        tryNumber: instance.try_number,
        mapIndex: mapped.mapIndex,
        maxBytes: 64 * 1024,
      });
      assert.equal(log.map_index, mapped.mapIndex);
      assert.ok(log.lines.length > 0);
      if (mapped.errorSubstring !== null) assert.ok(log.lines.join('\n').includes(mapped.errorSubstring));
    });

    /** Triggers the healthy pipeline with a run id of its own; checks what every trigger must answer. */
    const trigger = async (t: TestContext, caseId: ContractCase) => {
      if (!adapter.capabilities.trigger) {
        t.skip(`${target.name}: the adapter cannot trigger runs`);
        return null;
      }
      const pipelineId = f.healthyPipeline;
      const before = emulator.world.runsOf(pipelineId).length;
      const runId = `contract_${caseId.replace(/-/g, '_')}_1`;
      const run = await adapter.triggerRun(pipelineId, { conf: {}, runId, note: 'adapter contract' });
      assert.equal(run.pipeline_id, pipelineId);
      assert.ok(run.status === 'pending' || run.status === 'running', run.status);
      assert.equal(emulator.world.runsOf(pipelineId).length, before + 1, 'one run created');
      return { pipelineId, before, runId, run };
    };

    contract('trigger', 'creates exactly one manual run, pending or running', async (t) => {
      const triggered = await trigger(t, 'trigger');
      if (!triggered) return;
      const { pipelineId, run } = triggered;
      assert.equal(run.trigger, 'manual');
      const fetched = await adapter.getRun(pipelineId, run.run_id);
      assert.equal(fetched.run_id, run.run_id);
      assert.ok(fetched.status === 'pending' || fetched.status === 'running', fetched.status);
    });

    contract(
      'trigger-visible',
      'the triggered run is the newest in history and the latest run',
      async (t) => {
        const triggered = await trigger(t, 'trigger-visible');
        if (!triggered) return;
        const { pipelineId, run } = triggered;
        const recent = await adapter.listRuns({ pipelineId, orderBy: 'started_at', limit: 5 });
        const listed = recent.runs.find((r) => r.run_id === run.run_id);
        assert.ok(
          listed,
          `listed among the newest runs: ${JSON.stringify(recent.runs.map((r) => [r.run_id, r.native_status]))}`,
        );
        assert.ok(listed.status === 'pending' || listed.status === 'running', listed.status);
        const latest = (await adapter.latestRuns([pipelineId])).get(pipelineId);
        assert.equal(latest?.run_id, run.run_id, `latest run ${latest?.run_id} (${latest?.native_status})`);
      },
    );

    contract('trigger-idempotent', 'the same run id again creates no second run', async (t) => {
      const triggered = await trigger(t, 'trigger-idempotent');
      if (!triggered) return;
      const { pipelineId, before, runId, run } = triggered;
      if (target.duplicateTrigger === 'returns-existing') {
        const again = await adapter.triggerRun(pipelineId, { conf: {}, runId });
        assert.equal(again.run_id, run.run_id, 'the same run');
      } else {
        await rejects(adapter.triggerRun(pipelineId, { conf: {}, runId }), 'refused');
      }
      assert.equal(emulator.world.runsOf(pipelineId).length, before + 1, 'still one run created');
    });

    /** The rerun/cancel operations of the adapter, or null (the case is skipped) when it has none. */
    const rerunOf = (t: TestContext) => {
      if (!adapter.capabilities.rerunFailed || !adapter.rerunFailed) {
        t.skip(`${target.name}: the adapter cannot re-run failed tasks`);
        return null;
      }
      return adapter.rerunFailed.bind(adapter);
    };
    const cancelOf = (t: TestContext) => {
      if (!adapter.capabilities.cancel || !adapter.cancelRun) {
        t.skip(`${target.name}: the adapter cannot cancel runs`);
        return null;
      }
      return adapter.cancelRun.bind(adapter);
    };
    /** The newest successful run of the healthy pipeline (its latest may be a triggered one by now). */
    const succeededRun = async () => {
      const { runs } = await adapter.listRuns({
        pipelineId: f.healthyPipeline,
        statuses: ['success'],
        orderBy: 'started_at',
        limit: 1,
      });
      const run = runs[0];
      assert.ok(run, `${f.healthyPipeline} has a successful run`);
      return run;
    };

    // These change the world: they come after every case reading the planted failing and running runs.
    contract(
      'rerun-failed',
      "re-runs a failed run's failed tasks; the same request again creates nothing new",
      async (t) => {
        const rerun = rerunOf(t);
        if (!rerun) return;
        const pipelineId = f.failingPipeline;
        const failed = await latestRun(pipelineId);
        assert.equal(failed.status, 'failed');
        const before = emulator.world.runsOf(pipelineId).length;
        const request = { requestId: 'contract-rerun-1', note: 'adapter contract' };
        const run = await rerun(pipelineId, failed.run_id, request);
        assert.equal(run.pipeline_id, pipelineId);
        assert.ok(
          run.status === 'pending' || run.status === 'running',
          `${run.status} (${run.native_status})`,
        );
        const expected = before + (target.rerun.newRun ? 1 : 0);
        if (target.rerun.newRun) assert.notEqual(run.run_id, failed.run_id, 'a new run');
        else assert.equal(run.run_id, failed.run_id, 'the same run');
        assert.equal(emulator.world.runsOf(pipelineId).length, expected, 'runs after the re-run');
        const fetched = await adapter.getRun(pipelineId, run.run_id);
        assert.ok(fetched.status === 'pending' || fetched.status === 'running', fetched.status);

        if (target.rerun.duplicate === 'returns-existing') {
          const again = await rerun(pipelineId, failed.run_id, request);
          assert.equal(again.run_id, run.run_id, 'the same re-run');
        } else {
          await rejects(rerun(pipelineId, failed.run_id, request), 'refused');
        }
        assert.equal(emulator.world.runsOf(pipelineId).length, expected, 'nothing new on the second request');
        const still = await adapter.getRun(pipelineId, run.run_id);
        assert.equal(still.native_status, fetched.native_status, 'the re-run is left as it was');
      },
    );

    contract('rerun-refused', 'a successful or running run is not re-run', async (t) => {
      const rerun = rerunOf(t);
      if (!rerun) return;
      const ok = await succeededRun();
      const okBefore = emulator.world.runsOf(f.healthyPipeline).length;
      await rejects(rerun(f.healthyPipeline, ok.run_id, { requestId: 'contract-rerun-ok' }), 'refused');
      assert.equal(emulator.world.runsOf(f.healthyPipeline).length, okBefore);
      assert.equal((await adapter.getRun(f.healthyPipeline, ok.run_id)).status, 'success');
      const running = await latestRun(f.runningPipeline);
      assert.equal(running.status, 'running');
      await rejects(
        rerun(f.runningPipeline, running.run_id, { requestId: 'contract-rerun-running' }),
        'refused',
      );
      assert.equal((await adapter.getRun(f.runningPipeline, running.run_id)).status, 'running');
      await rejects(rerun(f.healthyPipeline, f.unknownRunId, { requestId: 'contract-rerun-x' }), 'not_found');
    });

    contract('cancel', 'cancels a running run: it stops (failed, cancelled or cancelling)', async (t) => {
      const cancel = cancelOf(t);
      if (!cancel) return;
      const pipelineId = f.runningPipeline;
      const running = await latestRun(pipelineId);
      assert.equal(running.status, 'running');
      const before = emulator.world.runsOf(pipelineId).length;
      const run = await cancel(pipelineId, running.run_id);
      assert.equal(run.run_id, running.run_id);
      const stopped = (r: PipelineRun) =>
        r.status === 'failed' || r.status === 'cancelled' || /cancel/i.test(r.native_status);
      assert.ok(stopped(run), `${run.status} (${run.native_status})`);
      const fetched = await adapter.getRun(pipelineId, running.run_id);
      assert.ok(stopped(fetched), `${fetched.status} (${fetched.native_status})`);
      assert.equal(emulator.world.runsOf(pipelineId).length, before, 'no run created');
      const pipeline = await adapter.getPipeline(pipelineId);
      assert.equal(pipeline.paused, false, 'the pipeline is not paused');
    });

    contract('cancel-refused', 'a finished run is not cancelled', async (t) => {
      const cancel = cancelOf(t);
      if (!cancel) return;
      const ok = await succeededRun();
      await rejects(cancel(f.healthyPipeline, ok.run_id), 'refused');
      assert.equal((await adapter.getRun(f.healthyPipeline, ok.run_id)).status, 'success');
      await rejects(cancel(f.healthyPipeline, f.unknownRunId), 'not_found');
    });

    contract('auth-failure', 'wrong credentials: an auth error that never shows a secret', async (t) => {
      const credentials = target.credentials;
      if (credentials === null) {
        t.skip(`${target.name} runs without authentication here`);
        return;
      }
      const wrong = createAdapter(target.config(emulator.url, credentials.wrong));
      extra.push(wrong);
      const e = await rejects(wrong.listPipelines({}), 'auth');
      const text = `${e.message}\n${e.hint ?? ''}`;
      const secrets = [credentials.valid, credentials.wrong].flatMap((a) =>
        a.kind === 'basic'
          ? [a.password, Buffer.from(`${a.username}:${a.password}`).toString('base64')]
          : a.kind === 'token'
            ? [a.token]
            : [],
      );
      for (const secret of secrets) assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
    });

    contract('unreachable', 'an unreachable URL is upstream_unavailable', async () => {
      const url = new URL(emulator.url);
      url.port = String(await closedPort());
      const down = createAdapter(target.config(url.toString().replace(/\/$/, ''), validAuth));
      extra.push(down);
      await rejects(down.listPipelines({}), 'upstream_unavailable');
    });
  });
}

for (const target of CONTRACT_TARGETS) describeTarget(target);
