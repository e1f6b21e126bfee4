import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { OpenApiValidator } from '../../test/openapi-validator.js';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { DEMO_FACTS } from '../world/index.js';
import { seg } from './harness.test.util.js';
import { V1Harness } from './v1-harness.test.util.js';
import type { V1CallOptions } from './v1-harness.test.util.js';

/**
 * Every `/api/v1` endpoint the emulator serves, over real HTTP, each reply validated against the official
 * Airflow 2.10.0 OpenAPI document (`airflow-v1-openapi.yaml`).
 *
 * Two things real Airflow 2 does that the document does not say, and that this test therefore allows
 * explicitly (and checks):
 * - errors are `application/problem+json` (the document lists `application/json`): the body is validated
 *   against the `application/json` schema;
 * - errors raised with a title only (401, 403, "TaskInstance not found", a bad page limit, a bad log
 *   token) carry `"detail": null` although `Error.detail` is a non-nullable string. `detail` is not a
 *   required property, so such bodies are validated without it after checking that it is null.
 * A status the operation does not document (e.g. the 400 of strict query validation on `GET /dags`) is
 * validated against `#/components/schemas/Error`, which every v1 error body follows.
 */

interface SpecResponse {
  $ref?: string;
  content?: Record<string, { schema?: { $ref?: string } }>;
}
interface SpecDoc {
  paths: Record<string, Record<string, { responses?: Record<string, SpecResponse> }>>;
  components: { responses: Record<string, SpecResponse> };
}

const specs = sharedSpecsDir();
const F = DEMO_FACTS;

describe('Airflow 2 emulator (/api/v1): responses match the Airflow 2.10 OpenAPI contract', () => {
  let api: OpenApiValidator;
  let doc: SpecDoc;
  let h: V1Harness;
  let failedRun: string;
  let mappedRun: string;
  let runningRun: string;

  before(async () => {
    if (!specs) return;
    const file = join(specs, 'airflow-v1-openapi.yaml');
    api = OpenApiValidator.fromFile(file);
    doc = parseYaml(readFileSync(file, 'utf8')) as SpecDoc;
    h = await V1Harness.start({
      logChunkBytes: 2048,
      users: [
        { username: 'admin', password: 'admin' },
        { username: 'viewer', password: 'viewer', role: 'viewer' },
      ],
      staticTokens: ['proxy-token'],
    });
    failedRun = h.emulator.world.latestRun(F.latestFailure.dagId)?.run_id ?? '';
    mappedRun = h.emulator.world.latestRun(F.oldFailure.dagId)?.run_id ?? '';
    runningRun = h.emulator.world.latestRun(F.runningNow.dagId)?.run_id ?? '';
  });

  after(async () => {
    await h?.close();
  });

  /**
   * The component schema an error status of an operation is documented with. v1 documents errors as
   * `$ref: '#/components/responses/<Name>'` (which the shared validator does not follow): resolved here.
   * Undocumented statuses get `Error`, the schema every v1 error body follows.
   */
  function errorSchemaOf(
    method: string,
    template: string,
    status: number,
  ): { name: string; documented: boolean } {
    const op = (doc.paths[template] ?? {})[method.toLowerCase()];
    const response = op?.responses?.[String(status)];
    const ref = response?.$ref;
    if (!ref) return { name: 'Error', documented: false };
    const named = doc.components.responses[ref.replace('#/components/responses/', '')];
    const schemaRef = named?.content?.['application/json']?.schema?.$ref ?? '#/components/schemas/Error';
    return { name: schemaRef.replace('#/components/schemas/', ''), documented: true };
  }

  /** Calls the emulator and validates the reply against the operation's schema for the status it got. */
  async function check(
    t: TestContext,
    expected: number,
    method: string,
    template: string,
    path: string,
    options: V1CallOptions = {},
  ): Promise<unknown> {
    const reply =
      method === 'GET'
        ? await h.get(`/api/v1${path}`, options)
        : await h.call(method, `/api/v1${path}`, options);
    assert.equal(reply.status, expected, `${method} ${path}: ${reply.text.slice(0, 400)}`);
    if (expected >= 400) {
      assert.match(reply.contentType, /^application\/problem\+json/);
      const body = { ...(reply.body as Record<string, unknown>) };
      assert.equal(body.status, expected);
      assert.match(String(body.type), /^https:\/\/airflow\.apache\.org\/docs\/apache-airflow\/2\.10\.\d+\//);
      if (body.detail === null) delete body.detail;
      const { name, documented } = errorSchemaOf(method, template, expected);
      const validate = api.schemaValidator(name);
      assert.ok(validate(body), `${method} ${path} ${expected}: ${JSON.stringify(validate.errors)}`);
      if (!documented)
        t.diagnostic(`${expected} is not documented for ${method} ${template}: checked against ${name}`);
    } else {
      assert.match(reply.contentType, /^application\/json/);
      api.assertResponse(method, template, reply.status, reply.body);
    }
    t.diagnostic(`${method} /api/v1${path} → ${reply.status} matches ${template}`);
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

  it('GET /version and /health (no credentials)', async (t) => {
    const version = (await check(t, 200, 'GET', '/version', '/version', { basic: null })) as {
      version: string;
    };
    assert.match(version.version, /^2\.10\./);
    await check(t, 200, 'GET', '/health', '/health', { basic: null });
  });

  it('GET /dags: 200 (plain, filtered, capped), 401 (none, wrong password), 400 (strict and typed query)', async (t) => {
    const body = (await check(t, 200, 'GET', '/dags', '/dags')) as { dags: unknown[]; total_entries: number };
    assert.ok(body.total_entries >= F.minDags);
    await check(t, 200, 'GET', '/dags', '/dags?limit=500&only_active=false&order_by=-dag_id');
    await check(t, 200, 'GET', '/dags', '/dags?tags=etl&tags=finance&paused=false&dag_id_pattern=e');
    await check(t, 200, 'GET', '/dags', '/dags?fields=dag_id&fields=schedule_interval');
    await check(t, 401, 'GET', '/dags', '/dags', { basic: null });
    await check(t, 401, 'GET', '/dags', '/dags', { basic: 'admin:wrong' });
    await check(t, 400, 'GET', '/dags', '/dags?limit=abc');
    await check(t, 400, 'GET', '/dags', '/dags?exclude_stale=false');
    await check(t, 400, 'GET', '/dags', '/dags?order_by=next_dagrun');
    await check(t, 400, 'GET', '/dags', '/dags?limit=-1');
  });

  it('GET /dags/{dag_id}: 200 (healthy, paused, broken, stale, dataset-scheduled, manual), 404', async (t) => {
    for (const dagId of [
      F.healthy.dagId,
      F.paused.dagId,
      F.importError.dagId,
      F.staleDag,
      'kpi_dashboard_refresh',
      F.oldFailure.dagId,
    ]) {
      await check(t, 200, 'GET', '/dags/{dag_id}', `/dags/${dagId}`);
    }
    await check(t, 404, 'GET', '/dags/{dag_id}', '/dags/no_such_dag');
    await check(t, 400, 'GET', '/dags/{dag_id}', `/dags/${F.healthy.dagId}?fields=nope`);
  });

  it('GET /importErrors: 200, 401', async (t) => {
    const body = (await check(t, 200, 'GET', '/importErrors', '/importErrors?order_by=-timestamp')) as {
      total_entries: number;
    };
    assert.equal(body.total_entries, 1);
    await check(t, 401, 'GET', '/importErrors', '/importErrors', { basic: null });
  });

  it('GET /dags/{dag_id}/dagRuns: 200 (one DAG, ~ with filters, unknown DAG), 400, 401', async (t) => {
    const T = '/dags/{dag_id}/dagRuns';
    await check(t, 200, 'GET', T, `/dags/${F.healthy.dagId}/dagRuns?order_by=-execution_date&limit=5`);
    await check(t, 200, 'GET', T, `/dags/${F.runningNow.dagId}/dagRuns?state=running&state=queued`);
    await check(
      t,
      200,
      'GET',
      T,
      '/dags/~/dagRuns?state=failed&end_date_gte=2025-06-17T10%3A30%3A00%2B00%3A00&order_by=-end_date&limit=100',
    );
    await check(
      t,
      200,
      'GET',
      T,
      '/dags/~/dagRuns?execution_date_gte=2025-06-17T00:00:00Z&fields=dag_run_id',
    );
    const none = (await check(t, 200, 'GET', T, '/dags/no_such_dag/dagRuns')) as { total_entries: number };
    assert.equal(none.total_entries, 0);
    await check(t, 400, 'GET', T, '/dags/~/dagRuns?end_date_gte=yesterday');
    await check(t, 400, 'GET', T, '/dags/~/dagRuns?run_after_gte=2025-06-17T00:00:00Z');
    await check(t, 401, 'GET', T, '/dags/~/dagRuns', { basic: null });
  });

  it('POST /dags/~/dagRuns/list: 200, 400 (page_limit 0, unknown key, naive datetime, not JSON), 401', async (t) => {
    const T = '/dags/~/dagRuns/list';
    const json = {
      states: ['failed'],
      end_date_gte: '2025-06-17T10:30:00Z',
      order_by: '-end_date',
      page_limit: 100,
      page_offset: 0,
    };
    await check(t, 200, 'POST', T, T, { json });
    await check(t, 200, 'POST', T, T, { json: { dag_ids: [F.healthy.dagId, F.latestFailure.dagId] } });
    await check(t, 400, 'POST', T, T, { json: { ...json, page_limit: 0 } });
    await check(t, 400, 'POST', T, T, { json: { ...json, run_after_gte: '2025-06-17T10:30:00Z' } });
    await check(t, 400, 'POST', T, T, { json: { end_date_gte: '2025-06-17T10:30:00' } });
    await check(t, 400, 'POST', T, T, {
      body: '{"states": [',
      headers: { 'content-type': 'application/json' },
    });
    await check(t, 401, 'POST', T, T, { json, basic: 'nobody:x' });
  });

  it('GET /dags/{dag_id}/dagRuns/{dag_run_id}: 200, 404', async (t) => {
    const T = '/dags/{dag_id}/dagRuns/{dag_run_id}';
    await check(t, 200, 'GET', T, `/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}`);
    await check(t, 200, 'GET', T, `/dags/${F.runningNow.dagId}/dagRuns/${seg(runningRun)}`);
    await check(t, 404, 'GET', T, `/dags/${F.latestFailure.dagId}/dagRuns/no_such_run`);
  });

  it('POST /dags/{dag_id}/dagRuns: 200, 400, 401, 403, 404, 409', async (t) => {
    const T = '/dags/{dag_id}/dagRuns';
    const json = {
      dag_run_id: 'contract_trigger_1',
      conf: { source: 'contract-test' },
      note: 'from the test',
    };
    await check(t, 200, 'POST', T, `/dags/${F.latestFailure.dagId}/dagRuns`, { json });
    await check(t, 409, 'POST', T, `/dags/${F.latestFailure.dagId}/dagRuns`, { json });
    await check(t, 200, 'POST', T, `/dags/${F.paused.dagId}/dagRuns`, {
      json: { logical_date: '2025-06-18T09:00:00Z' },
      bearer: 'proxy-token',
    });
    await check(t, 400, 'POST', T, `/dags/${F.importError.dagId}/dagRuns`, { json: {} });
    await check(t, 400, 'POST', T, `/dags/${F.healthy.dagId}/dagRuns`, { json: { logical_date: null } });
    await check(t, 400, 'POST', T, `/dags/${F.healthy.dagId}/dagRuns`, { json: { state: 'queued' } });
    await check(t, 400, 'POST', T, `/dags/${F.healthy.dagId}/dagRuns`, { json: { surprise: true } });
    await check(t, 404, 'POST', T, '/dags/no_such_dag/dagRuns', { json: {} });
    await check(t, 401, 'POST', T, `/dags/${F.healthy.dagId}/dagRuns`, { json: {}, basic: null });
    await check(t, 403, 'POST', T, `/dags/${F.healthy.dagId}/dagRuns`, { json: {}, basic: 'viewer:viewer' });
  });

  it('GET …/taskInstances: 200 (plain, mapped pages, ~/~ filtered), 401', async (t) => {
    const T = '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances';
    await check(t, 200, 'GET', T, `/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}/taskInstances`);
    await check(
      t,
      200,
      'GET',
      T,
      `/dags/${F.oldFailure.dagId}/dagRuns/${seg(mappedRun)}/taskInstances?offset=100`,
    );
    await check(
      t,
      200,
      'GET',
      T,
      `/dags/${F.runningNow.dagId}/dagRuns/~/taskInstances?state=running&state=none`,
    );
    await check(t, 200, 'GET', T, '/dags/~/dagRuns/~/taskInstances?state=failed&limit=20');
    await check(t, 401, 'GET', T, '/dags/~/dagRuns/~/taskInstances', { basic: null });
  });

  it('POST /dags/~/dagRuns/~/taskInstances/list: 200, 400, 401', async (t) => {
    const T = '/dags/~/dagRuns/~/taskInstances/list';
    await check(t, 200, 'POST', T, T, {
      json: {
        dag_ids: [F.latestFailure.dagId],
        dag_run_ids: [failedRun],
        state: ['failed', 'upstream_failed'],
      },
    });
    await check(t, 200, 'POST', T, T, { json: { dag_ids: [F.runningNow.dagId], state: [null, 'running'] } });
    await check(t, 400, 'POST', T, T, { json: { state: ['broken'] } });
    await check(t, 401, 'POST', T, T, { json: {}, basic: null });
  });

  it('GET …/logs/{task_try_number}: 200 (JSON chunk, continuation, text/plain, try 0), 400, 401, 404', async (t) => {
    const T = '/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{task_try_number}';
    const base = `/dags/${F.latestFailure.dagId}/dagRuns/${seg(failedRun)}/taskInstances/${F.latestFailure.failedTask}/logs`;
    const first = (await check(t, 200, 'GET', T, `${base}/2`)) as { continuation_token: string };
    await check(t, 200, 'GET', T, `${base}/2?token=${encodeURIComponent(first.continuation_token)}`);
    await check(t, 200, 'GET', T, `${base}/1?full_content=true`);
    await check(t, 200, 'GET', T, `${base}/0`);
    const mapped = `/dags/${F.oldFailure.dagId}/dagRuns/${seg(mappedRun)}/taskInstances/${F.oldFailure.mappedTask}/logs/2`;
    await check(t, 200, 'GET', T, `${mapped}?map_index=${F.oldFailure.failedMapIndex}`);
    const plain = await h.get(`/api/v1${base}/2`, { headers: { accept: 'text/plain' } });
    assert.equal(plain.status, 200);
    assert.equal(plain.contentType, 'text/plain');
    api.assertResponse('GET', T, 200, plain.text, 'text/plain');
    await check(t, 400, 'GET', T, `${base}/2?token=forged.token`);
    await check(t, 401, 'GET', T, `${base}/2`, { basic: null });
    await check(t, 404, 'GET', T, `${mapped}?map_index=150`);
  });
  it('POST /dags/{dag_id}/clearTaskInstances: 200 (dry run, clear), 400, 401, 403, 404', async (t) => {
    const T = '/dags/{dag_id}/clearTaskInstances';
    const path = `/dags/${F.latestFailure.dagId}/clearTaskInstances`;
    const world = h.emulator.world;
    const run = world.run(F.latestFailure.dagId, failedRun);
    assert.ok(run);
    const dry = (await check(t, 200, 'POST', T, path, { json: { dag_run_id: failedRun } })) as {
      task_instances: { task_id: string; dag_run_id: string }[];
    };
    assert.ok(dry.task_instances.some((ti) => ti.task_id === F.latestFailure.failedTask));
    assert.ok(dry.task_instances.every((ti) => ti.dag_run_id === failedRun));
    assert.equal(run.state, 'failed', 'a dry run changes nothing');
    await check(t, 404, 'POST', T, '/dags/no_such_dag/clearTaskInstances', { json: {} });
    await check(t, 404, 'POST', T, path, { json: { dag_run_id: 'no_such_run' } });
    await check(t, 400, 'POST', T, path, { json: { dry_run: 'no' } });
    await check(t, 400, 'POST', T, path, { json: { surprise: true } });
    await check(t, 401, 'POST', T, path, { json: {}, basic: null });
    await check(t, 403, 'POST', T, path, { json: {}, basic: 'viewer:viewer' });
    const json = { dag_run_id: failedRun, only_failed: true, dry_run: false, reset_dag_runs: true };
    const cleared = (await check(t, 200, 'POST', T, path, { json })) as { task_instances: unknown[] };
    assert.equal(cleared.task_instances.length, dry.task_instances.length);
    assert.equal(run.state, 'queued');
  });

  it('PATCH /dags/{dag_id}/dagRuns/{dag_run_id}: 200, 400, 401, 403, 404', async (t) => {
    const T = '/dags/{dag_id}/dagRuns/{dag_run_id}';
    const path = `/dags/${F.runningNow.dagId}/dagRuns/${seg(runningRun)}`;
    await check(t, 400, 'PATCH', T, path, { json: { state: 'running' } });
    await check(t, 400, 'PATCH', T, path, { json: {} });
    await check(t, 401, 'PATCH', T, path, { json: { state: 'failed' }, basic: null });
    await check(t, 403, 'PATCH', T, path, { json: { state: 'failed' }, basic: 'viewer:viewer' });
    await check(t, 404, 'PATCH', T, `/dags/${F.runningNow.dagId}/dagRuns/no_such_run`, {
      json: { state: 'failed' },
    });
    const body = (await check(t, 200, 'PATCH', T, path, { json: { state: 'failed' } })) as { state: string };
    assert.equal(body.state, 'failed');
    assert.equal(h.emulator.world.dag(F.runningNow.dagId)?.paused, false);
  });
});
