import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAY, DEMO_FACTS, HOUR } from '../world/index.js';
import { Harness, seg, TEST_NOW } from './harness.test.util.js';
import { logEvent } from './serializers.js';

/** The behaviour adapters rely on, beyond response shapes. */

const F = DEMO_FACTS;
const NOW = TEST_NOW.getTime();
const iso = (ms: number) => new Date(ms).toISOString();

interface RunJson {
  dag_id: string;
  dag_run_id: string;
  state: string;
  end_date: string | null;
  run_after: string;
}
interface RunsJson {
  dag_runs: RunJson[];
  total_entries: number;
}
interface TiJson {
  task_id: string;
  map_index: number;
  state: string | null;
  try_number: number;
}
interface LogJson {
  content: Record<string, unknown>[];
  continuation_token: string | null;
}

describe('Airflow emulator semantics', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(async () => {
    await h.close();
  });

  test('GET lists cap limit at maximum_page_limit (100) and report total_entries', async () => {
    const first = (await h.get('/api/v2/dags/~/dagRuns?limit=1000')).body as RunsJson;
    assert.equal(first.dag_runs.length, 100);
    assert.equal(first.total_entries, h.emulator.world.runs.length);
    const seen = new Set<string>();
    for (let offset = 0; offset < first.total_entries; offset += 100) {
      const pageJson = (await h.get(`/api/v2/dags/~/dagRuns?limit=100&offset=${offset}`)).body as RunsJson;
      for (const r of pageJson.dag_runs) seen.add(`${r.dag_id}/${r.dag_run_id}`);
    }
    assert.equal(
      seen.size,
      first.total_entries,
      'paging by offset visits every run once (default order: id)',
    );
    const dags = (await h.get('/api/v2/dags?limit=7&offset=28')).body as {
      dags: unknown[];
      total_entries: number;
    };
    assert.ok(dags.total_entries >= F.minDags);
    assert.equal(dags.dags.length, Math.min(7, dags.total_entries - 28));
  });

  test('~ across DAGs: state=failed, end_date_gte, order_by=-end_date (GET and POST list agree)', async () => {
    const since = iso(NOW - DAY);
    const get = (
      await h.get(
        `/api/v2/dags/~/dagRuns?state=failed&end_date_gte=${encodeURIComponent(since)}&order_by=-end_date`,
      )
    ).body as RunsJson;
    assert.deepEqual(get.dag_runs.map((r) => r.dag_id).sort(), [...F.failedInLast24h].sort());
    assert.ok(get.dag_runs.every((r) => r.state === 'failed'));
    const ends = get.dag_runs.map((r) => Date.parse(r.end_date ?? ''));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => b - a),
      'newest end first',
    );
    const post = (
      await h.post('/api/v2/dags/~/dagRuns/list', {
        states: ['failed'],
        end_date_gte: since,
        order_by: '-end_date',
      })
    ).body as RunsJson;
    assert.deepEqual(post, get);
  });

  test('GET counts unfinished runs as ending now (Airflow coalesces), POST list does not; nulls sort last', async () => {
    const since = encodeURIComponent(iso(NOW - HOUR));
    const get = (await h.get(`/api/v2/dags/~/dagRuns?end_date_gte=${since}&limit=100`)).body as RunsJson;
    assert.ok(get.dag_runs.some((r) => r.dag_id === F.runningNow.dagId && r.state === 'running'));
    const post = (await h.post('/api/v2/dags/~/dagRuns/list', { end_date_gte: iso(NOW - HOUR) }))
      .body as RunsJson;
    assert.ok(post.dag_runs.every((r) => r.end_date !== null));
    for (const order of ['end_date', '-end_date']) {
      const runs = (
        (await h.get(`/api/v2/dags/${F.runningNow.dagId}/dagRuns?order_by=${order}&limit=100`))
          .body as RunsJson
      ).dag_runs;
      assert.equal(
        runs[runs.length - 1]?.state,
        'running',
        `order_by=${order}: the run without end_date is last`,
      );
    }
    const latest = (
      (await h.get(`/api/v2/dags/${F.healthy.dagId}/dagRuns?order_by=-run_after&limit=1`)).body as RunsJson
    ).dag_runs[0];
    assert.equal(latest?.dag_run_id, h.emulator.world.latestRun(F.healthy.dagId)?.run_id);
  });

  test('errors: bad order_by → 400, bad state → 422 with a string detail, naive datetime → 422, unknown route → 404, wrong verb → 405', async () => {
    const bad = await h.get('/api/v2/dags/~/dagRuns?order_by=-nope');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      detail: "Ordering with 'nope' is disallowed or the attribute does not exist on the model",
    });
    const state = await h.get('/api/v2/dags/~/dagRuns?state=broken');
    assert.equal(state.status, 422);
    assert.equal(typeof (state.body as { detail: unknown }).detail, 'string');
    const naive = await h.get('/api/v2/dags/~/dagRuns?end_date_gte=2025-06-17T00:00:00');
    assert.equal(naive.status, 422);
    assert.equal((naive.body as { detail: { type: string }[] }).detail[0]?.type, 'timezone_aware');
    const plus = await h.get('/api/v2/dags/~/dagRuns?end_date_gte=2025-06-17T00:00:00+00:00');
    assert.equal(plus.status, 422, 'an unencoded + is a space, as in any query string');
    assert.deepEqual((await h.get('/api/v2/nothing/here')).body, { detail: 'Not Found' });
    assert.equal(
      (await h.call('PATCH', `/api/v2/dags/${F.healthy.dagId}`, { json: { is_paused: true } })).status,
      405,
    );
    const missing = await h.get(`/api/v2/dags/${F.healthy.dagId}/dagRuns/nope`);
    assert.deepEqual(missing.body, {
      detail: `The DagRun with dag_id: \`${F.healthy.dagId}\` and run_id: \`nope\` was not found`,
    });
  });

  test('auth: missing → 401 Not authenticated, garbage → 403, expired → 401 Token Expired, static tokens, public version/health', async () => {
    assert.deepEqual((await h.get('/api/v2/dags', { token: null })).body, { detail: 'Not authenticated' });
    assert.equal(
      (await h.get('/api/v2/dags', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' }, token: null }))
        .status,
      401,
    );
    const forged = `${h.token.slice(0, -4)}AAAA`;
    assert.deepEqual((await h.get('/api/v2/dags', { token: forged })).body, { detail: 'Invalid JWT token' });
    assert.equal((await h.get('/api/v2/version', { token: null })).status, 200);
    assert.equal((await h.get('/api/v2/monitor/health', { token: null })).status, 200);

    const other = await Harness.start({ staticTokens: ['managed-service-token'] });
    try {
      const old = other.token;
      other.emulator.expireAllTokens();
      const expired = await other.get('/api/v2/dags', { token: old });
      assert.equal(expired.status, 401);
      assert.deepEqual(expired.body, { detail: 'Token Expired' });
      assert.equal(
        (await other.get('/api/v2/dags', { token: await other.login() })).status,
        200,
        'a new token works',
      );
      assert.equal((await other.get('/api/v2/dags', { token: 'managed-service-token' })).status, 200);
      assert.equal(
        (await other.call('POST', '/auth/token', { token: null, json: { username: 'admin', password: 'x' } }))
          .status,
        401,
      );
    } finally {
      await other.close();
    }
    const shortLived = await Harness.start({ tokenTtlSeconds: 0 });
    try {
      assert.deepEqual((await shortLived.get('/api/v2/dags')).body, { detail: 'Token Expired' });
    } finally {
      await shortLived.close();
    }
  });

  test('log continuation: small chunks concatenate to the whole log; try 1 and try 2 differ; 404/406/400', async () => {
    const small = await Harness.start({ logChunkBytes: 600 });
    try {
      const world = small.emulator.world;
      const run = world.latestRun(F.latestFailure.dagId);
      assert.ok(run);
      const base = `/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(run.run_id)}/taskInstances/${F.latestFailure.failedTask}/logs`;
      const read = async (tryNumber: number) => {
        const events: Record<string, unknown>[] = [];
        let token: string | null = null;
        let chunks = 0;
        do {
          const reply = await small.get(
            `${base}/${tryNumber}?full_content=true${token ? `&token=${encodeURIComponent(token)}` : ''}`,
          );
          assert.equal(reply.status, 200, reply.text);
          const body = reply.body as LogJson;
          assert.ok(
            body.content.length === 1 || JSON.stringify(body.content).length <= 600 + 2 * body.content.length,
          );
          events.push(...body.content);
          token = body.continuation_token;
          chunks++;
        } while (token && chunks < 500);
        return { events, chunks };
      };
      const second = await read(2);
      const ti = world.task(F.latestFailure.dagId, run.run_id, F.latestFailure.failedTask, -1);
      assert.ok(ti);
      const log = world.log(ti, 2);
      assert.ok(log);
      assert.ok(second.chunks >= 3, `expected several chunks, got ${second.chunks}`);
      assert.deepEqual(
        second.events,
        Array.from({ length: log.length }, (_, i) => logEvent(log.at(i))),
      );
      const text2 = JSON.stringify(second.events);
      assert.ok(text2.includes(F.latestFailure.failedMarker) && text2.includes(F.latestFailure.error));
      assert.ok(text2.includes(F.latestFailure.causeType) && text2.includes(F.latestFailure.causeMessage));
      const text1 = JSON.stringify((await read(1)).events);
      assert.ok(text1.includes(F.latestFailure.retryMarker) && !text1.includes(F.latestFailure.failedMarker));
      assert.ok(text1.includes('attempt=1.log') && text2.includes('attempt=2.log'));

      assert.deepEqual((await small.get(`${base}/3`)).body, { detail: 'TaskInstance not found' });
      assert.equal((await small.get(`${base}/2`, { headers: { accept: 'text/plain' } })).status, 406);
      assert.equal((await small.get(`${base}/2?token=forged.token`)).status, 400);
      const ndjson = await small.get(`${base}/2`, { headers: { accept: 'application/x-ndjson' } });
      assert.equal(ndjson.status, 200);
      assert.equal(ndjson.text.trim().split('\n').length, log.length);
    } finally {
      await small.close();
    }
  });

  test('a running try never reaches end_of_log: its last chunk is empty and still has a token', async () => {
    const run = h.emulator.world.latestRun(F.runningNow.dagId);
    assert.ok(run && run.state === 'running');
    const base = `/api/v2/dags/${F.runningNow.dagId}/dagRuns/${seg(run.run_id)}/taskInstances/${F.runningNow.runningTask}/logs/1`;
    const first = (await h.get(base)).body as LogJson;
    assert.ok(first.content.length > 0 && first.continuation_token);
    const next = (await h.get(`${base}?token=${encodeURIComponent(first.continuation_token)}`))
      .body as LogJson;
    assert.deepEqual(next.content, []);
    assert.ok(next.continuation_token);
    const tis = (
      (await h.get(`/api/v2/dags/${F.runningNow.dagId}/dagRuns/${seg(run.run_id)}/taskInstances`)).body as {
        task_instances: TiJson[];
      }
    ).task_instances;
    assert.deepEqual(
      tis.map((t) => [t.task_id, t.state]),
      [
        ...F.runningNow.succeededTasks.map((t) => [t, 'success']),
        [F.runningNow.runningTask, 'running'],
        ...F.runningNow.waitingTasks.map((t) => [t, null]),
      ],
    );
  });

  test('mapped task: 150 instances page at 100, one failed on try 2', async () => {
    const run = h.emulator.world.latestRun(F.oldFailure.dagId);
    assert.ok(run);
    const base = `/api/v2/dags/${F.oldFailure.dagId}/dagRuns/${seg(run.run_id)}/taskInstances`;
    const p1 = (await h.get(`${base}?limit=100`)).body as { task_instances: TiJson[]; total_entries: number };
    const p2 = (await h.get(`${base}?limit=100&offset=100`)).body as {
      task_instances: TiJson[];
      total_entries: number;
    };
    assert.equal(p1.total_entries, F.oldFailure.mapCount + 2);
    assert.equal(p1.task_instances.length, 100);
    assert.equal(p2.task_instances.length, F.oldFailure.mapCount + 2 - 100);
    const mapped = [...p1.task_instances, ...p2.task_instances].filter(
      (t) => t.task_id === F.oldFailure.mappedTask,
    );
    assert.deepEqual(
      mapped.map((t) => t.map_index),
      Array.from({ length: F.oldFailure.mapCount }, (_, i) => i),
    );
    const failed = mapped.filter((t) => t.state === 'failed');
    assert.deepEqual(
      failed.map((t) => [t.map_index, t.try_number]),
      [[F.oldFailure.failedMapIndex, F.oldFailure.failedTry]],
    );
    const filtered = (await h.get(`${base}?task_id=${F.oldFailure.mappedTask}&state=failed`)).body as {
      total_entries: number;
    };
    assert.equal(filtered.total_entries, 1);
    const log = await h.get(
      `${base}/${F.oldFailure.mappedTask}/logs/2?map_index=${F.oldFailure.failedMapIndex}`,
    );
    assert.ok(log.text.includes(F.oldFailure.error));
  });

  test('trigger: queued run in the world, 409 on a duplicate run id or logical date, paused DAG accepts, broken DAG 400', async () => {
    const reply = await h.post(`/api/v2/dags/${F.latestFailure.dagId}/dagRuns`, {
      logical_date: null,
      conf: { why: 'test' },
      note: 'retry',
    });
    assert.equal(reply.status, 200);
    const run = reply.body as {
      dag_run_id: string;
      state: string;
      run_type: string;
      conf: unknown;
      note: string;
      triggering_user_name: string;
    };
    assert.equal(run.state, 'queued');
    assert.equal(run.run_type, 'manual');
    assert.deepEqual(run.conf, { why: 'test' });
    assert.equal(run.triggering_user_name, 'admin');
    assert.match(run.dag_run_id, /^manual__/);
    const active = (
      await h.get(`/api/v2/dags/${F.latestFailure.dagId}/dagRuns?state=running&state=queued&limit=1`)
    ).body as RunsJson;
    assert.equal(active.total_entries, 1);
    assert.equal(
      (await h.get(`/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(run.dag_run_id)}`)).status,
      200,
    );
    const tis = (
      await h.get(`/api/v2/dags/${F.latestFailure.dagId}/dagRuns/${seg(run.dag_run_id)}/taskInstances`)
    ).body as { task_instances: TiJson[] };
    assert.ok(tis.task_instances.every((t) => t.state === null && t.try_number === 0));

    const dup = await h.post(`/api/v2/dags/${F.latestFailure.dagId}/dagRuns`, { dag_run_id: run.dag_run_id });
    assert.equal(dup.status, 409);
    assert.equal((dup.body as { detail: { reason: string } }).detail.reason, 'Unique constraint violation');
    const logical = h.emulator.world.latestRun(F.healthy.dagId)?.logical_date ?? 0;
    assert.equal(
      (await h.post(`/api/v2/dags/${F.healthy.dagId}/dagRuns`, { logical_date: iso(logical) })).status,
      409,
    );

    const paused = await h.post(`/api/v2/dags/${F.paused.dagId}/dagRuns`, { logical_date: null });
    assert.equal((paused.body as { state: string }).state, 'queued');
    const broken = await h.post(`/api/v2/dags/${F.importError.dagId}/dagRuns`, {});
    assert.equal(broken.status, 400);
    assert.equal((await h.post(`/api/v2/dags/${F.staleDag}/dagRuns`, {})).status, 404);
    const extra = await h.post(`/api/v2/dags/${F.healthy.dagId}/dagRuns`, {
      logical_date: null,
      dry_run: true,
    });
    assert.equal(extra.status, 422);
    assert.equal((extra.body as { detail: { type: string }[] }).detail[0]?.type, 'extra_forbidden');
  });

  test('DAG filters: owners, tags, paused, patterns (with |), last run state, stale, import errors', async () => {
    const ids = async (query: string) =>
      ((await h.get(`/api/v2/dags?limit=100&${query}`)).body as { dags: { dag_id: string }[] }).dags.map(
        (d) => d.dag_id,
      );
    assert.deepEqual(await ids('owners=data-platform'), [...F.dataPlatformDags]);
    assert.deepEqual(await ids('tags=sales'), [F.healthy.dagId]);
    assert.deepEqual(await ids('paused=true'), [F.paused.dagId]);
    assert.deepEqual(await ids('dag_id_pattern=daily%25etl'), [F.healthy.dagId]);
    assert.deepEqual(await ids(`dag_id_pattern=${encodeURIComponent('daily_sales | sync_inv')}`), [
      F.healthy.dagId,
      F.latestFailure.dagId,
    ]);
    const failedLast = await ids('last_dag_run_state=failed');
    for (const dagId of [F.latestFailure.dagId, F.secondRecentFailure.dagId, F.oldFailure.dagId])
      assert.ok(failedLast.includes(dagId), dagId);
    assert.ok(!failedLast.includes(F.recoveredFailure.dagId));
    const dayAgo = encodeURIComponent(new Date(h.emulator.world.now() - 24 * 3600_000).toISOString());
    const failedToday = await ids(`dag_run_state=failed&dag_run_end_date_gte=${dayAgo}`);
    for (const dagId of F.failedInLast24h) assert.ok(failedToday.includes(dagId), dagId);
    assert.ok(!failedToday.includes(F.oldFailure.dagId));
    assert.ok(!failedToday.includes(F.recoveredFailure.dagId));
    assert.ok((await ids('dag_run_state=failed')).includes(F.recoveredFailure.dagId));
    assert.ok(!(await ids('')).includes(F.staleDag));
    assert.ok((await ids('exclude_stale=false')).includes(F.staleDag));
    assert.deepEqual(await ids('has_import_errors=true'), [F.importError.dagId]);
    const sorted = await ids('order_by=-dag_id');
    assert.deepEqual(sorted, [...sorted].sort().reverse());
    const errors = (await h.get('/api/v2/importErrors')).body as {
      import_errors: { filename: string; stack_trace: string }[];
    };
    assert.equal(errors.import_errors[0]?.filename, F.importError.filename);
    assert.ok(errors.import_errors[0]?.stack_trace.includes(F.importError.error));
  });

  test('requests are recorded with their status, and latency is added', async () => {
    const slow = await Harness.start({ latencyMs: 60 });
    try {
      slow.emulator.resetRequests();
      const started = Date.now();
      await slow.get('/api/v2/dags?limit=1');
      assert.ok(Date.now() - started >= 55);
      await slow.get('/api/v2/dags/nope');
      assert.deepEqual(slow.emulator.requests, [
        { method: 'GET', path: '/api/v2/dags', query: 'limit=1', status: 200 },
        { method: 'GET', path: '/api/v2/dags/nope', query: '', status: 404 },
      ]);
    } finally {
      await slow.close();
    }
  });
});
