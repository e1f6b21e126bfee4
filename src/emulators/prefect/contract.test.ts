import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { specsMissingMessage } from '../../test/spec-path.js';
import { createPrefectDemoWorld, PREFECT_DEMO_FACTS as F } from '../world/index.js';
import type { PrefectEmulator, RecordedRequest } from './index.js';
import { startPrefectEmulator } from './index.js';
import { prefectSpec, requestProblems, type PrefectSpec } from './spec.test.util.js';

/**
 * Every endpoint the emulator serves, called over real HTTP, each response validated against the
 * operation's response schema in Prefect 3.8.3's OpenAPI document, and each request body we send against
 * its request schema. The document only describes 200 and 422: other statuses are checked against the
 * shapes Prefect's FastAPI app actually sends (noted where they occur).
 */

const NOW = new Date('2026-03-11T12:00:00Z');
const KEY = 'pnu_contract-test-key-000000';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

interface Reply {
  status: number;
  body: unknown;
  contentType: string;
}

describe('Prefect emulator: responses match the Prefect 3.8.3 OpenAPI contract', () => {
  let spec: PrefectSpec | null;
  let em: PrefectEmulator;
  let cloud: PrefectEmulator;
  let basic: PrefectEmulator;
  const checked: RecordedRequest[] = [];

  before(async () => {
    spec = prefectSpec();
    if (!spec) return;
    em = await startPrefectEmulator({ world: createPrefectDemoWorld({ now: NOW }) });
    cloud = await startPrefectEmulator({
      world: createPrefectDemoWorld({ now: NOW }),
      apiKeys: [KEY],
      cloudPath: true,
    });
    basic = await startPrefectEmulator({
      world: createPrefectDemoWorld({ now: NOW }),
      basicAuth: { username: 'admin', password: 'pw' },
    });
  });

  after(async () => {
    await em?.close();
    await cloud?.close();
    await basic?.close();
  });

  async function call(
    target: PrefectEmulator,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const response = await fetch(`${target.url}${path}`, init);
    const text = await response.text();
    const contentType = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      body: contentType.includes('json') ? JSON.parse(text) : text,
      contentType,
    };
  }

  /** Calls and validates against the documented schema of (method, template, status). */
  async function check(
    t: TestContext,
    expected: number,
    method: string,
    template: string,
    path: string,
    body?: unknown,
    target: PrefectEmulator = em,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    const before = target.requests.length;
    const reply = await call(target, method, path, body, headers);
    assert.equal(reply.status, expected, `${method} ${path}: ${JSON.stringify(reply.body).slice(0, 400)}`);
    assert.match(reply.contentType, /^application\/json/);
    const s = spec as PrefectSpec;
    if (expected === 201) {
      // Prefect answers 201 for a new run (model.created >= now); the document only lists 200, same model.
      s.validator.assertResponse(method, template, 200, reply.body);
    } else if ([200, 422].includes(expected) && !isStringDetail(reply.body)) {
      s.validator.assertResponse(method, template, reply.status, reply.body);
    } else {
      // HTTPException bodies (404, 405, 411, the limit 422, 501): FastAPI's {"detail": "..."}.
      assert.equal(typeof (reply.body as { detail?: unknown }).detail, 'string', JSON.stringify(reply.body));
    }
    if (expected < 300) checked.push(...target.requests.slice(before));
    t.diagnostic(`${method} ${path} → ${reply.status}`);
    return reply.body;
  }

  const isStringDetail = (body: unknown) => typeof (body as { detail?: unknown } | null)?.detail === 'string';

  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(name, async (t) => {
      if (!spec) {
        t.skip(specsMissingMessage());
        return;
      }
      await fn(t);
    });

  const deploymentId = (pipelineId: string) =>
    em.prefect.deployments.find((d) => d.dag.dag_id === pipelineId)?.id ?? UNKNOWN;
  const latestRunId = (pipelineId: string) => {
    const runs = em.world.runsOf(pipelineId).filter((r) => r.start_date !== null);
    const run = runs[runs.length - 1];
    return run ? em.prefect.flowRunId(run) : UNKNOWN;
  };

  it('GET /health and /version', async (t) => {
    assert.equal(await check(t, 200, 'GET', '/health', '/health'), true);
    assert.equal(typeof (await check(t, 200, 'GET', '/version', '/version')), 'string');
  });

  it('POST /deployments/filter: 200 (plain, filtered, joined, paged), 422', async (t) => {
    const T = '/deployments/filter';
    const all = (await check(t, 200, 'POST', T, T, {})) as unknown[];
    assert.equal(all.length, F.deployments);
    await check(t, 200, 'POST', T, T, { sort: 'NAME_DESC', limit: 3, offset: 2 });
    await check(t, 200, 'POST', T, T, {
      deployments: {
        tags: { all_: ['salesforce'] },
        paused: { eq_: false },
        flow_or_deployment_name: { like_: 'sales' },
      },
      flows: { name: { any_: ['ingest-salesforce'] } },
    });
    const joined = (await check(t, 200, 'POST', T, T, {
      flow_runs: {
        state: { type: { any_: ['FAILED', 'CRASHED'] } },
        end_time: { after_: '2026-03-10T12:00:00Z' },
      },
    })) as { name: string }[];
    assert.equal(joined.length, F.failedInLast24h.length);
    await check(t, 422, 'POST', T, T, { deployments: { owner: { any_: ['x'] } } });
    await check(t, 422, 'POST', T, T, { sort: 'OWNER_ASC', offset: -1 });
    await check(t, 422, 'POST', T, T, { limit: 201 });
    await check(t, 422, 'POST', T, T, '{"limit": ');
  });

  it('GET /deployments/{id}: 200, 404, 422', async (t) => {
    const T = '/deployments/{id}';
    for (const id of [
      F.healthy.pipelineId,
      F.failed.pipelineId,
      F.rrule.pipelineId,
      F.runningNow.pipelineId,
    ]) {
      await check(t, 200, 'GET', T, `/deployments/${deploymentId(id)}`);
    }
    await check(t, 404, 'GET', T, `/deployments/${UNKNOWN}`);
    await check(t, 422, 'GET', T, '/deployments/not-a-uuid');
  });

  it('POST /deployments/{id}/create_flow_run: 201, 200 (same idempotency key), 404, 422', async (t) => {
    const T = '/deployments/{id}/create_flow_run';
    const path = `/deployments/${deploymentId(F.healthy.pipelineId)}/create_flow_run`;
    const body = {
      parameters: { full_refresh: true },
      tags: ['pipeline-monitor'],
      idempotency_key: 'contract-1',
    };
    const created = (await check(t, 201, 'POST', T, path, body)) as { id: string; state_name: string };
    assert.equal(created.state_name, 'Scheduled');
    const again = (await check(t, 200, 'POST', T, path, body)) as { id: string };
    assert.equal(again.id, created.id);
    await check(t, 201, 'POST', T, path, {});
    await check(t, 404, 'POST', T, `/deployments/${UNKNOWN}/create_flow_run`, {});
    await check(t, 422, 'POST', T, path, { parameters: {}, note: 'no such field' });
    await check(t, 422, 'POST', T, path, undefined);
    const fetched = await call(em, 'GET', `/flow_runs/${created.id}`);
    assert.equal(fetched.status, 200);
  });

  it('POST /flows/filter: 200, 422', async (t) => {
    const T = '/flows/filter';
    const flows = (await check(t, 200, 'POST', T, T, {})) as unknown[];
    assert.equal(flows.length, F.deployments - 1, 'one flow has two deployments');
    await check(t, 200, 'POST', T, T, { flows: { id: { any_: [UNKNOWN] } }, limit: 5 });
    await check(t, 200, 'POST', T, T, {
      deployments: { id: { any_: [deploymentId(F.healthy.pipelineId)] } },
    });
    await check(t, 422, 'POST', T, T, { flows: { id: { any_: ['nope'] } } });
  });

  it('POST /flow_runs/filter and /flow_runs/count: every state, sorts, paging, 422', async (t) => {
    const T = '/flow_runs/filter';
    const states = new Set<string>();
    for (const sort of [
      'START_TIME_DESC',
      'END_TIME_DESC',
      'EXPECTED_START_TIME_ASC',
      'ID_DESC',
      'NAME_ASC',
    ]) {
      for (const offset of [0, 200, 2000]) {
        const page = (await check(t, 200, 'POST', T, T, { sort, limit: 200, offset })) as {
          state_name: string;
        }[];
        for (const run of page) states.add(run.state_name);
      }
    }
    const recent = (await check(t, 200, 'POST', T, T, {
      flow_runs: { state: { name: { any_: ['Late', 'Running', 'Scheduled', 'Crashed', 'Failed'] } } },
      sort: 'START_TIME_DESC',
    })) as { state_name: string }[];
    for (const run of recent) states.add(run.state_name);
    for (const name of ['Completed', 'Failed', 'Crashed', 'Late', 'Running', 'Scheduled'])
      assert.ok(states.has(name), name);
    const failures = {
      flow_runs: {
        operator: 'and_',
        state: { type: { any_: ['FAILED', 'CRASHED'] } },
        end_time: { after_: '2026-03-10T12:00:00Z' },
        deployment_id: { is_null_: false },
      },
    };
    const failed = (await check(t, 200, 'POST', T, T, {
      ...failures,
      sort: 'END_TIME_DESC',
      limit: 200,
    })) as unknown[];
    assert.equal(failed.length, 2);
    assert.equal(await check(t, 200, 'POST', '/flow_runs/count', '/flow_runs/count', failures), 2);
    await check(t, 200, 'POST', '/flow_runs/count', '/flow_runs/count', {});
    await check(t, 422, 'POST', T, T, { flow_runs: { state: { type: { any_: ['BROKEN'] } } } });
    await check(t, 422, 'POST', T, T, { flow_runs: { end_time: { after_: 'yesterday' } } });
    await check(t, 422, 'POST', T, T, { flow_runs: { deployment: { any_: [UNKNOWN] } } });
    await check(t, 422, 'POST', T, T, { limit: 500 });
    await check(t, 422, 'POST', '/flow_runs/count', '/flow_runs/count', { flows: { name: 'x' } });
  });

  it('GET /flow_runs/{id}: 200 (completed, failed, crashed, late, running, scheduled), 404, 422', async (t) => {
    const T = '/flow_runs/{id}';
    for (const run of em.world.runsOf(F.late.pipelineId).slice(-3)) {
      await check(t, 200, 'GET', T, `/flow_runs/${em.prefect.flowRunId(run)}`);
    }
    for (const id of [
      F.failed.pipelineId,
      F.crashed.pipelineId,
      F.runningNow.pipelineId,
      F.eventTriggered.pipelineId,
    ]) {
      await check(t, 200, 'GET', T, `/flow_runs/${latestRunId(id)}`);
    }
    await check(t, 404, 'GET', T, `/flow_runs/${UNKNOWN}`);
    await check(t, 422, 'GET', T, '/flow_runs/scheduled__2026-03-11');
  });

  it('POST /task_runs/filter: 200 (failed, crashed, running, retried, by name), 422', async (t) => {
    const T = '/task_runs/filter';
    const runs = [
      F.failed.pipelineId,
      F.crashed.pipelineId,
      F.runningNow.pipelineId,
      F.healthy.pipelineId,
    ].map(latestRunId);
    const tasks = (await check(t, 200, 'POST', T, T, {
      task_runs: { flow_run_id: { any_: runs } },
      sort: 'EXPECTED_START_TIME_ASC',
      limit: 200,
    })) as { name: string; state_name: string }[];
    assert.deepEqual([...new Set(tasks.map((x) => x.state_name))].sort(), [
      'Completed',
      'Crashed',
      'Failed',
      'Running',
    ]);
    await check(t, 200, 'POST', T, T, {
      task_runs: { flow_run_id: { any_: runs }, state: { type: { any_: ['FAILED', 'CRASHED'] } } },
      deployments: { id: { any_: [deploymentId(F.failed.pipelineId)] } },
    });
    await check(t, 200, 'POST', T, T, {
      task_runs: { name: { any_: [tasks[0]?.name ?? ''] } },
      flow_runs: { id: { any_: runs } },
    });
    await check(t, 422, 'POST', T, T, { task_runs: { flow_run: { any_: runs } } });
    await check(t, 422, 'POST', T, T, { sort: 'START_TIME_DESC' });
  });

  it('POST /logs/filter: 200 (task, flow, level, text, newest first), 422', async (t) => {
    const T = '/logs/filter';
    const runId = latestRunId(F.failed.pipelineId);
    const tasks = (
      await call(em, 'POST', '/task_runs/filter', { task_runs: { flow_run_id: { any_: [runId] } } })
    ).body as { id: string }[];
    const taskId = tasks[0]?.id ?? UNKNOWN;
    const desc = (await check(t, 200, 'POST', T, T, {
      logs: { flow_run_id: { any_: [runId] }, task_run_id: { any_: [taskId] } },
      sort: 'TIMESTAMP_DESC',
      limit: 5,
    })) as { message: string }[];
    assert.match(desc[0]?.message ?? '', /^Finished in state Failed/);
    await check(t, 200, 'POST', T, T, { logs: { flow_run_id: { any_: [runId] } }, limit: 200, offset: 10 });
    await check(t, 200, 'POST', T, T, {
      logs: { flow_run_id: { any_: [runId] }, task_run_id: { is_null_: true }, level: { ge_: 40 } },
    });
    await check(t, 200, 'POST', T, T, {
      logs: { flow_run_id: { any_: [runId] }, text: { query: 'HTTPStatusError -Retry' } },
    });
    await check(t, 422, 'POST', T, T, { logs: { level: { gte: 40 } } });
    await check(t, 422, 'POST', T, T, { logs: { text: {} } });
    await check(t, 422, 'POST', T, T, { sort: 'TIMESTAMP_DESC', limit: 1000 });
  });

  it('unknown paths are 404, known paths with another method 405 (FastAPI bodies)', async (t) => {
    const notFound = await call(em, 'GET', '/nope');
    assert.equal(notFound.status, 404);
    assert.deepEqual(notFound.body, { detail: 'Not Found' });
    const wrongMethod = await call(em, 'GET', '/logs/filter');
    assert.equal(wrongMethod.status, 405);
    // As in FastAPI, GET /flow_runs/filter is GET /flow_runs/{id} with a bad UUID.
    assert.equal((await call(em, 'GET', '/flow_runs/filter')).status, 422);
    t.diagnostic('404 and 405 answered as FastAPI does');
  });

  it('Cloud paths and auth: 200 with the key, 401 without, 411 without Content-Length; basic auth 401', async (t) => {
    const auth = { authorization: `Bearer ${KEY}` };
    await check(t, 200, 'POST', '/deployments/filter', '/deployments/filter', {}, cloud, auth);
    await check(t, 200, 'GET', '/health', '/health', undefined, cloud, auth);
    const missing = await call(cloud, 'POST', '/deployments/filter', {});
    assert.equal(missing.status, 401);
    const wrong = await call(cloud, 'POST', '/deployments/filter', {}, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(typeof (wrong.body as { detail: unknown }).detail, 'string');
    // A chunked body has no Content-Length: Prefect Cloud answers 411.
    const chunked = await fetch(`${cloud.url}/deployments/filter`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{}'));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 411);

    const unauthorized = await call(basic, 'POST', '/flows/filter', {});
    assert.equal(unauthorized.status, 401);
    assert.deepEqual(unauthorized.body, { exception_message: 'Unauthorized' });
    const health = await call(basic, 'GET', '/health');
    assert.equal(health.status, 200, '/health is open, as in Prefect');
    const ok = await call(
      basic,
      'POST',
      '/flows/filter',
      {},
      {
        authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}`,
      },
    );
    assert.equal(ok.status, 200);
    t.diagnostic('auth answered as Prefect Cloud / a self-hosted server with an auth string do');
  });

  it('POST /flow_runs/{id}/set_state: 201 (retry, cancel), 200 (REJECT to CANCELLED, ABORT), 404, 422', async (t) => {
    const T = '/flow_runs/{id}/set_state';
    type Result = { status: string; state: { type: string; name: string } | null; details: { type: string } };
    const failed = latestRunId(F.failed.pipelineId);
    const retry = {
      state: { type: 'SCHEDULED', name: 'AwaitingRetry', message: 'Retry from the UI' },
      force: true,
    };
    const accepted = (await check(t, 201, 'POST', T, `/flow_runs/${failed}/set_state`, retry)) as Result;
    assert.equal(accepted.status, 'ACCEPT');
    assert.equal(accepted.details.type, 'accept_details');
    assert.equal(accepted.state?.name, 'AwaitingRetry');
    const fetched = (await call(em, 'GET', `/flow_runs/${failed}`)).body as {
      id: string;
      state_name: string;
    };
    assert.equal(fetched.id, failed, 'the same flow run');
    assert.equal(fetched.state_name, 'AwaitingRetry');

    const running = latestRunId(F.runningNow.pipelineId);
    const cancel = { state: { type: 'CANCELLING', name: 'Cancelling' }, force: true };
    const cancelling = (await check(t, 201, 'POST', T, `/flow_runs/${running}/set_state`, cancel)) as Result;
    assert.equal(cancelling.status, 'ACCEPT');
    assert.equal(cancelling.state?.type, 'CANCELLING');
    // A SCHEDULED run (the one just retried) goes straight to CANCELLED: REJECT with that state.
    const rejected = (await check(t, 200, 'POST', T, `/flow_runs/${failed}/set_state`, cancel)) as Result;
    assert.equal(rejected.status, 'REJECT');
    assert.equal(rejected.details.type, 'reject_details');
    assert.equal(rejected.state?.type, 'CANCELLED');
    // Without force a finished run aborts.
    const aborted = (await check(t, 200, 'POST', T, `/flow_runs/${failed}/set_state`, {
      state: { type: 'SCHEDULED', name: 'AwaitingRetry' },
    })) as Result;
    assert.equal(aborted.status, 'ABORT');
    await check(t, 404, 'POST', T, `/flow_runs/${UNKNOWN}/set_state`, retry);
    await check(t, 422, 'POST', T, `/flow_runs/${failed}/set_state`, { state: { type: 'NOPE' } });
    await check(t, 422, 'POST', T, `/flow_runs/${failed}/set_state`, { force: true });
  });

  it('the request bodies sent above match their request schemas', async (t) => {
    const problems = requestProblems(
      spec as PrefectSpec,
      checked.filter((r) => r.status < 300),
    );
    assert.deepEqual(problems, []);
    t.diagnostic(`${checked.length} requests checked`);
  });
});
