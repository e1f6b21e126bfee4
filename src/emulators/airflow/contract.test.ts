import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { OpenApiValidator } from '../../test/openapi-validator.js';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { DEMO_FACTS } from '../world/index.js';
import { Harness, seg } from './harness.test.util.js';
import type { CallOptions } from './harness.test.util.js';

/**
 * Every endpoint the emulator serves, called over real HTTP, with each response body validated
 * against the operation's response schema in the official Airflow 3.2.1 OpenAPI document.
 */

const specs = sharedSpecsDir();
const F = DEMO_FACTS;

describe('Airflow emulator: responses match the Airflow 3.2 OpenAPI contract', () => {
  let api: OpenApiValidator;
  let authApi: OpenApiValidator;
  let h: Harness;
  let failedRun: string;
  let mappedRun: string;

  before(async () => {
    if (!specs) return;
    api = OpenApiValidator.fromFile(join(specs, 'airflow-v2-openapi.yaml'));
    authApi = OpenApiValidator.fromFile(join(specs, 'airflow-v2-simple-auth-manager-openapi.yaml'));
    h = await Harness.start({ logChunkBytes: 4096 });
    failedRun = h.emulator.world.latestRun(F.latestFailure.dagId)?.run_id ?? '';
    mappedRun = h.emulator.world.latestRun(F.oldFailure.dagId)?.run_id ?? '';
  });

  after(async () => {
    await h?.close();
  });

  /** Calls the emulator and validates the reply against the operation's schema for the status it got. */
  async function check(
    t: TestContext,
    expected: number,
    method: string,
    template: string,
    path: string,
    options: CallOptions = {},
    spec: () => OpenApiValidator = () => api,
  ): Promise<unknown> {
    const reply = await h.call(method, path, options);
    assert.equal(reply.status, expected, `${method} ${path}: ${reply.text.slice(0, 400)}`);
    assert.match(reply.contentType, /^application\/json/);
    spec().assertResponse(method, template, reply.status, reply.body);
    t.diagnostic(`${method} ${path} → ${reply.status} matches ${template}`);
    return reply.body;
  }

  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(name, async (t) => {
      if (!specs) {
        t.skip(specsMissingMessage());
        return;
      }
      await fn(t);
    });

  it('POST /auth/token: 201, 401, 415, 422 (simple auth manager spec)', async (t) => {
    const auth = () => authApi;
    const body = await check(
      t,
      201,
      'POST',
      '/auth/token',
      '/auth/token',
      { token: null, json: { username: 'admin', password: 'admin' } },
      auth,
    );
    assert.match((body as { access_token: string }).access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    await check(
      t,
      201,
      'POST',
      '/auth/token',
      '/auth/token',
      { token: null, form: { username: 'admin', password: 'admin' } },
      auth,
    );
    await check(
      t,
      401,
      'POST',
      '/auth/token',
      '/auth/token',
      { token: null, json: { username: 'admin', password: 'nope' } },
      auth,
    );
    await check(
      t,
      422,
      'POST',
      '/auth/token',
      '/auth/token',
      { token: null, json: { username: 'admin' } },
      auth,
    );
    await check(
      t,
      415,
      'POST',
      '/auth/token',
      '/auth/token',
      { token: null, headers: { 'content-type': 'text/plain' } },
      auth,
    );
  });

  it('GET /api/v2/version and /monitor/health', async (t) => {
    await check(t, 200, 'GET', '/api/v2/version', '/api/v2/version', { token: null });
    await check(t, 200, 'GET', '/api/v2/monitor/health', '/api/v2/monitor/health', { token: null });
  });

  it('GET /api/v2/dags: 200 (plain and filtered), 401, 403, 422', async (t) => {
    const T = '/api/v2/dags';
    await check(t, 200, 'GET', T, T);
    await check(t, 200, 'GET', T, `${T}?limit=500&exclude_stale=false&order_by=-dag_id`);
    await check(
      t,
      200,
      'GET',
      T,
      `${T}?tags=etl&tags=sales&tags_match_mode=all&owners=data-platform&paused=false`,
    );
    await check(
      t,
      200,
      'GET',
      T,
      `${T}?dag_id_pattern=%25sync%25&last_dag_run_state=failed&has_import_errors=false`,
    );
    await check(t, 200, 'GET', T, `${T}?dag_run_state=failed&dag_run_end_date_gte=2026-01-01T00%3A00%3A00Z`);
    await check(t, 401, 'GET', T, T, { token: null });
    await check(t, 403, 'GET', T, T, { token: 'not-a-jwt' });
    await check(t, 422, 'GET', T, `${T}?limit=abc&paused=maybe&tags_match_mode=some`);
  });

  it('GET /api/v2/dags/{dag_id}: 200 (healthy, paused, broken, stale), 404', async (t) => {
    const T = '/api/v2/dags/{dag_id}';
    for (const dagId of [
      F.healthy.dagId,
      F.paused.dagId,
      F.importError.dagId,
      F.staleDag,
      F.oldFailure.dagId,
    ]) {
      await check(t, 200, 'GET', T, `/api/v2/dags/${dagId}`);
    }
    await check(t, 404, 'GET', T, '/api/v2/dags/no_such_dag');
  });

  it('GET /api/v2/importErrors: 200, 401', async (t) => {
    const body = await check(
      t,
      200,
      'GET',
      '/api/v2/importErrors',
      '/api/v2/importErrors?limit=10&order_by=-timestamp',
    );
    assert.equal((body as { total_entries: number }).total_entries, 1);
    await check(t, 401, 'GET', '/api/v2/importErrors', '/api/v2/importErrors', { token: null });
  });

  it('GET /api/v2/dags/{dag_id}/dagRuns: 200 (one DAG, ~ with filters, running/queued), 404, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns';
    await check(t, 200, 'GET', T, `/api/v2/dags/${F.healthy.dagId}/dagRuns?order_by=-run_after&limit=5`);
    await check(t, 200, 'GET', T, `/api/v2/dags/${F.runningNow.dagId}/dagRuns?state=running&state=queued`);
    await check(
      t,
      200,
      'GET',
      T,
      `/api/v2/dags/~/dagRuns?state=failed&end_date_gte=2025-06-17T10%3A30%3A00Z&order_by=-end_date&limit=100`,
    );
    await check(
      t,
      200,
      'GET',
      T,
      `/api/v2/dags/~/dagRuns?run_type=manual&run_type=asset_triggered&run_type=backfill&limit=100`,
    );
    await check(t, 404, 'GET', T, '/api/v2/dags/no_such_dag/dagRuns');
    await check(t, 422, 'GET', T, '/api/v2/dags/~/dagRuns?end_date_gte=2025-06-17T10:30:00&offset=-1');
  });

  it('POST /api/v2/dags/~/dagRuns/list: 200, 422 (unknown key, dag_id not ~)', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns/list';
    const body = {
      states: ['failed'],
      end_date_gte: '2025-06-17T10:30:00Z',
      order_by: '-end_date',
      page_limit: 100,
      page_offset: 0,
    };
    await check(t, 200, 'POST', T, '/api/v2/dags/~/dagRuns/list', { json: body });
    await check(t, 200, 'POST', T, '/api/v2/dags/~/dagRuns/list', {
      json: { dag_ids: [F.healthy.dagId, F.latestFailure.dagId] },
    });
    await check(t, 422, 'POST', T, '/api/v2/dags/~/dagRuns/list', { json: { ...body, unknown_key: 1 } });
    await check(t, 422, 'POST', T, `/api/v2/dags/${F.healthy.dagId}/dagRuns/list`, { json: body });
  });

  it('GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}: 200, 404', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}';
    await check(t, 200, 'GET', T, `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}`);
    await check(t, 200, 'GET', T, `/api/v2/dags/${F.oldFailure.dagId}/dagRuns/${seg(mappedRun)}`);
    await check(t, 404, 'GET', T, `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/no_such_run`);
  });

  it('POST /api/v2/dags/{dag_id}/dagRuns: 200, 400, 404, 409, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns';
    const json = {
      dag_run_id: 'contract_trigger_1',
      logical_date: null,
      conf: { source: 'contract-test' },
      note: 'from the contract test',
    };
    await check(t, 200, 'POST', T, `/api/v2/dags/${F.latestFailure.dagId}/dagRuns`, { json });
    await check(t, 409, 'POST', T, `/api/v2/dags/${F.latestFailure.dagId}/dagRuns`, { json });
    await check(t, 200, 'POST', T, `/api/v2/dags/${F.paused.dagId}/dagRuns`, {
      json: { logical_date: '2025-06-18T09:00:00Z' },
    });
    await check(t, 400, 'POST', T, `/api/v2/dags/${F.importError.dagId}/dagRuns`, { json: {} });
    await check(t, 404, 'POST', T, '/api/v2/dags/no_such_dag/dagRuns', { json: {} });
    await check(t, 422, 'POST', T, `/api/v2/dags/${F.healthy.dagId}/dagRuns`, {
      json: { conf: [], surprise: true },
    });
  });

  it('GET /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances: 200 (plain, mapped pages, ~), 404, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances';
    await check(
      t,
      200,
      'GET',
      T,
      `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}/taskInstances`,
    );
    await check(
      t,
      200,
      'GET',
      T,
      `/api/v2/dags/${F.oldFailure.dagId}/dagRuns/${seg(mappedRun)}/taskInstances?limit=100&offset=100`,
    );
    await check(
      t,
      200,
      'GET',
      T,
      `/api/v2/dags/${F.runningNow.dagId}/dagRuns/~/taskInstances?state=running&state=none`,
    );
    await check(t, 404, 'GET', T, `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/no_such_run/taskInstances`);
    await check(
      t,
      422,
      'GET',
      T,
      `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}/taskInstances?limit=-1`,
    );
  });

  it('GET …/taskInstances/{task_id}/logs/{try_number}: 200 (first chunk, continuation), 404, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}';
    const base = `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}/taskInstances/${F.latestFailure.failedTask}/logs`;
    const first = (await check(t, 200, 'GET', T, `${base}/2?full_content=true`, {
      headers: { accept: 'application/json' },
    })) as {
      continuation_token: string | null;
    };
    assert.ok(first.continuation_token, 'a 4 KiB chunk should not hold the whole log');
    await check(
      t,
      200,
      'GET',
      T,
      `${base}/2?full_content=true&token=${encodeURIComponent(first.continuation_token)}`,
    );
    await check(t, 200, 'GET', T, `${base}/1`);
    const mapped = `/api/v2/dags/${F.oldFailure.dagId}/dagRuns/${seg(mappedRun)}/taskInstances/${F.oldFailure.mappedTask}/logs/2`;
    await check(t, 200, 'GET', T, `${mapped}?map_index=${F.oldFailure.failedMapIndex}`);
    await check(t, 404, 'GET', T, `${base}/3`);
    await check(t, 404, 'GET', T, `${mapped}?map_index=150`);
    await check(t, 422, 'GET', T, `${base}/abc?map_index=x`);
  });
  it('POST /api/v2/dags/{dag_id}/clearTaskInstances: 200 (dry run, clear), 404, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/clearTaskInstances';
    const path = `/api/v2/dags/${F.latestFailure.dagId}/clearTaskInstances`;
    const world = h.emulator.world;
    const run = world.run(F.latestFailure.dagId, failedRun);
    assert.ok(run);
    // dry_run defaults to true: the answer lists what would be cleared and nothing changes.
    const dry = (await check(t, 200, 'POST', T, path, { json: { dag_run_id: failedRun } })) as {
      task_instances: { task_id: string; state: string }[];
      total_entries: number;
    };
    assert.ok(dry.total_entries > 0);
    assert.ok(dry.task_instances.some((ti) => ti.task_id === F.latestFailure.failedTask));
    assert.ok(dry.task_instances.every((ti) => ti.state === 'failed' || ti.state === 'upstream_failed'));
    assert.equal(run.state, 'failed');
    await check(t, 404, 'POST', T, '/api/v2/dags/no_such_dag/clearTaskInstances', { json: {} });
    await check(t, 404, 'POST', T, path, { json: { dag_run_id: 'no_such_run' } });
    await check(t, 422, 'POST', T, path, { json: { dag_run_id: failedRun, surprise: true } });
    await check(t, 422, 'POST', T, path, { json: { dry_run: 'maybe' } });
    const json = { dag_run_id: failedRun, only_failed: true, dry_run: false, reset_dag_runs: true };
    const cleared = (await check(t, 200, 'POST', T, path, { json })) as { total_entries: number };
    assert.equal(cleared.total_entries, dry.total_entries);
    assert.equal(run.state, 'queued');
    assert.ok(world.tasks(run).every((ti) => ti.state !== 'failed' && ti.state !== 'upstream_failed'));
    const again = (await check(t, 200, 'POST', T, path, { json })) as { total_entries: number };
    assert.equal(again.total_entries, 0, 'nothing failed is left to clear');
  });

  it('PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}: 200 (state failed, note), 400, 404, 422', async (t) => {
    const T = '/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}';
    const world = h.emulator.world;
    const running = world.latestRun(F.runningNow.dagId);
    assert.ok(running && running.state === 'running');
    const path = `/api/v2/dags/${F.runningNow.dagId}/dagRuns/${seg(running.run_id)}`;
    await check(t, 400, 'PATCH', T, `${path}?update_mask=conf`, { json: { state: 'failed' } });
    await check(t, 422, 'PATCH', T, path, { json: { state: 'running' } });
    await check(t, 422, 'PATCH', T, path, { json: { state: 'failed', surprise: 1 } });
    await check(t, 404, 'PATCH', T, `/api/v2/dags/${F.runningNow.dagId}/dagRuns/no_such_run`, {
      json: { state: 'failed' },
    });
    const body = (await check(t, 200, 'PATCH', T, `${path}?update_mask=state`, {
      json: { state: 'failed', note: 'ignored: not in the mask' },
    })) as { state: string; note: string | null; end_date: string | null };
    assert.equal(body.state, 'failed');
    assert.notEqual(body.note, 'ignored: not in the mask');
    assert.ok(body.end_date !== null);
    assert.equal(world.dag(F.runningNow.dagId)?.paused, false);
    const states = world.tasks(running).map((ti) => ti.state);
    assert.ok(!states.includes('running') && states.includes('failed'), JSON.stringify(states));
    const noted = (await check(t, 200, 'PATCH', T, path, { json: { note: 'stopped by the test' } })) as {
      note: string;
    };
    assert.equal(noted.note, 'stopped by the test');
  });
});
