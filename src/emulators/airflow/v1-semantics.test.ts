import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DAY, DEMO_FACTS, HOUR } from '../world/index.js';
import { Harness, seg, TEST_NOW } from './harness.test.util.js';
import { parseLogContent, tokenPayload, V1Harness } from './v1-harness.test.util.js';

/** The Airflow 2 (`/api/v1`) behaviour adapters rely on, beyond response shapes. */

/** A GET without any Accept header (fetch always sends one). */
function rawGet(url: string): Promise<{ status: number; contentType: string }> {
  return new Promise((resolve, reject) => {
    const auth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
    httpGet(url, { headers: { authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '' }),
      );
    }).on('error', reject);
  });
}

const F = DEMO_FACTS;
const NOW = TEST_NOW.getTime();
const iso = (ms: number) => new Date(ms).toISOString();
const q = encodeURIComponent;

interface RunJson {
  dag_id: string;
  dag_run_id: string;
  state: string;
  end_date: string | null;
  execution_date: string;
  logical_date: string;
  run_type: string;
  external_trigger: boolean;
  conf: unknown;
  note: string | null;
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
  hostname: string;
}
interface TisJson {
  task_instances: TiJson[];
  total_entries: number;
}
interface LogJson {
  content: string;
  continuation_token: string;
}
interface ProblemJson {
  detail: string | null;
  status: number;
  title: string;
  type: string;
}

describe('Airflow 2 emulator (/api/v1) semantics', () => {
  let h: V1Harness;
  before(async () => {
    h = await V1Harness.start({
      users: [
        { username: 'admin', password: 'admin' },
        { username: 'viewer', password: 'read-only', role: 'viewer' },
      ],
      staticTokens: ['managed-service-token'],
    });
  });
  after(async () => {
    await h.close();
  });

  test('pagination: limit capped at a small maximum_page_limit, limit=0 is the fallback (100), offsets visit every run once', async () => {
    const small = await V1Harness.start({ maximumPageLimit: 7 });
    try {
      const total = small.emulator.world.runs.length;
      const capped = (await small.get('/api/v1/dags/~/dagRuns?limit=1000')).body as RunsJson;
      assert.equal(capped.dag_runs.length, 7);
      assert.equal(capped.total_entries, total);
      assert.equal(
        ((await small.get('/api/v1/dags/~/dagRuns')).body as RunsJson).dag_runs.length,
        7,
        'default 100, capped',
      );
      assert.equal(
        ((await small.get('/api/v1/dags/~/dagRuns?limit=0')).body as RunsJson).dag_runs.length,
        100,
        'check_limit returns fallback_page_limit for 0, uncapped',
      );
      const seen = new Set<string>();
      let pages = 0;
      for (let offset = 0; offset < total; offset += 7, pages++) {
        const page = (await small.get(`/api/v1/dags/~/dagRuns?limit=7&offset=${offset}`)).body as RunsJson;
        for (const r of page.dag_runs) seen.add(`${r.dag_id}/${r.dag_run_id}`);
      }
      assert.ok(pages > 3);
      assert.equal(seen.size, total, 'default order id: stable pages');
      const dags: string[] = [];
      for (let offset = 0; ; offset += 7) {
        const page = (await small.get(`/api/v1/dags?limit=7&offset=${offset}`)).body as {
          dags: { dag_id: string }[];
          total_entries: number;
        };
        dags.push(...page.dags.map((d) => d.dag_id));
        if (offset + 7 >= page.total_entries) break;
      }
      assert.deepEqual(dags, [...dags].sort());
      assert.ok(!dags.includes(F.staleDag), 'only_active defaults to true');
      const neg = await small.get('/api/v1/dags?limit=-1');
      assert.equal(neg.status, 400);
      assert.deepEqual(
        { title: (neg.body as ProblemJson).title, detail: (neg.body as ProblemJson).detail },
        { title: 'Page limit must be a positive integer', detail: null },
      );
      const batch = (await small.post('/api/v1/dags/~/dagRuns/list', { page_limit: 50 })).body as RunsJson;
      assert.equal(batch.dag_runs.length, 50, 'the batch page_limit is not capped');
    } finally {
      await small.close();
    }
  });

  test('~ across DAGs: failed runs ending in the last 24 h (GET and POST list agree); unfinished runs never match end_date', async () => {
    const since = iso(NOW - DAY);
    const get = (
      await h.get(`/api/v1/dags/~/dagRuns?state=failed&end_date_gte=${q(since)}&order_by=-end_date`)
    ).body as RunsJson;
    assert.deepEqual(get.dag_runs.map((r) => r.dag_id).sort(), [...F.failedInLast24h].sort());
    const ends = get.dag_runs.map((r) => Date.parse(r.end_date ?? ''));
    assert.deepEqual(
      ends,
      [...ends].sort((a, b) => b - a),
    );
    const post = (
      await h.post('/api/v1/dags/~/dagRuns/list', {
        states: ['failed'],
        end_date_gte: since,
        order_by: '-end_date',
      })
    ).body as RunsJson;
    assert.deepEqual(post, get);
    const withDags = (
      await h.post('/api/v1/dags/~/dagRuns/list', {
        states: ['failed'],
        end_date_gte: since,
        dag_ids: [F.latestFailure.dagId, F.healthy.dagId],
      })
    ).body as RunsJson;
    assert.deepEqual(
      withDags.dag_runs.map((r) => r.dag_id),
      [F.latestFailure.dagId],
    );
    const hour = (await h.get(`/api/v1/dags/~/dagRuns?end_date_gte=${q(iso(NOW - HOUR))}&limit=100`))
      .body as RunsJson;
    assert.ok(
      hour.dag_runs.every((r) => r.end_date !== null),
      'plain SQL: a running run has no end_date and does not match (Airflow 3 GET counts it as now)',
    );
    const comma = (await h.get(`/api/v1/dags/${F.runningNow.dagId}/dagRuns?state=running,queued`))
      .body as RunsJson;
    assert.equal(comma.total_entries, 1, 'state=a,b is split like repeated keys');
    const unencoded = await h.get(`/api/v1/dags/~/dagRuns?end_date_gte=${since.replace('Z', '+00:00')}`);
    assert.equal(unencoded.status, 200, 'an unencoded + (read as a space) is put back');
    const naive = await h.get(`/api/v1/dags/~/dagRuns?end_date_gte=${since.replace('Z', '')}`);
    assert.equal(naive.status, 200, 'a naive query datetime is read as UTC');
    assert.equal((await h.get('/api/v1/dags/no_such_dag/dagRuns')).status, 200);
  });

  test('ordering: one order_by among a fixed list; nulls first descending (PostgreSQL); run_after is a 400', async () => {
    const desc = (await h.get(`/api/v1/dags/${F.runningNow.dagId}/dagRuns?order_by=-end_date&limit=100`))
      .body as RunsJson;
    assert.equal(desc.dag_runs[0]?.state, 'running', 'ORDER BY end_date DESC puts NULL first on PostgreSQL');
    const asc = (await h.get(`/api/v1/dags/${F.runningNow.dagId}/dagRuns?order_by=end_date&limit=100`))
      .body as RunsJson;
    assert.equal(asc.dag_runs[asc.dag_runs.length - 1]?.state, 'running');
    const latest = (await h.get(`/api/v1/dags/${F.healthy.dagId}/dagRuns?order_by=-execution_date&limit=1`))
      .body as RunsJson;
    assert.equal(latest.dag_runs[0]?.dag_run_id, h.emulator.world.latestRun(F.healthy.dagId)?.run_id);
    const bad = await h.get('/api/v1/dags/~/dagRuns?order_by=-run_after');
    assert.equal(bad.status, 400);
    assert.equal(
      (bad.body as ProblemJson).detail,
      "Ordering with 'run_after' is disallowed or the attribute does not exist on the model",
    );
  });

  test('runs have Airflow 2 shapes: an execution date always, dataset_triggered, external_trigger, +00:00 times', async () => {
    const manual = (await h.get(`/api/v1/dags/${F.oldFailure.dagId}/dagRuns?limit=100`)).body as RunsJson;
    for (const r of manual.dag_runs) {
      assert.ok(r.logical_date !== null && r.execution_date === r.logical_date, 'never null in Airflow 2');
      assert.match(r.logical_date, /\+00:00$/);
    }
    const all = (await h.post('/api/v1/dags/~/dagRuns/list', { page_limit: 100000 })).body as RunsJson;
    const types = new Set(all.dag_runs.map((r) => r.run_type));
    assert.ok(types.has('dataset_triggered') && !types.has('asset_triggered'));
    assert.ok(all.dag_runs.every((r) => r.external_trigger === (r.run_type === 'manual')));
    const dag = (await h.get('/api/v1/dags/kpi_dashboard_refresh')).body as { schedule_interval: unknown };
    assert.deepEqual(dag.schedule_interval, { __type: 'CronExpression', value: 'Dataset' });
    const healthy = (await h.get(`/api/v1/dags/${F.healthy.dagId}`)).body as {
      schedule_interval: unknown;
      owners: string[];
    };
    assert.deepEqual(healthy.schedule_interval, { __type: 'CronExpression', value: F.healthy.schedule });
    const shared = (await h.get('/api/v1/dags?limit=100')).body as { dags: { owners: string[] }[] };
    const multi = shared.dags.find((d) => d.owners.length > 1);
    assert.match(multi?.owners[1] ?? '', /^ \S/, 'owners split on "," keep the space after it');
  });

  test('auth: HTTP Basic, static Bearer tokens, 401 with WWW-Authenticate: Basic and a null detail, viewer 403, public version/health, no /auth/token', async () => {
    assert.equal((await h.get('/api/v1/dags?limit=1')).status, 200);
    for (const options of [
      { basic: null },
      { basic: 'admin:nope' },
      { basic: 'no-colon' },
      { bearer: 'some.jwt.token' },
    ]) {
      const reply = await h.get('/api/v1/dags', options);
      assert.equal(reply.status, 401, JSON.stringify(options));
      assert.equal(reply.headers.get('www-authenticate'), 'Basic');
      assert.equal(reply.contentType, 'application/problem+json');
      assert.deepEqual(reply.body, {
        detail: null,
        status: 401,
        title: 'Unauthorized',
        type: 'https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/Unauthenticated',
      });
    }
    assert.equal((await h.get('/api/v1/dags', { bearer: 'managed-service-token' })).status, 200);
    assert.equal((await h.get('/api/v1/dags', { basic: 'viewer:read-only' })).status, 200);
    const denied = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, {}, { basic: 'viewer:read-only' });
    assert.equal(denied.status, 403);
    assert.equal((denied.body as ProblemJson).title, 'Forbidden');
    assert.equal((await h.get('/api/v1/version', { basic: null })).status, 200);
    assert.equal((await h.get('/api/v1/health', { basic: null })).status, 200);
    const token = await h.call('POST', '/auth/token', { json: { username: 'admin', password: 'admin' } });
    assert.equal(token.status, 404);
    assert.match(token.contentType, /^text\/html/);
    const strict = await h.get('/api/v1/dags?bogus=1', { basic: null });
    assert.equal(strict.status, 400, 'connexion validates the query before Airflow checks credentials');
    assert.equal((strict.body as ProblemJson).detail, 'Extra query parameter(s) bogus not in spec');
  });

  test('/api/v2 is a 404 on a v1 emulator, and /api/v1 a 404 on a v2 emulator', async () => {
    for (const path of ['/api/v2/dags', '/api/v2/version', '/api/v2/monitor/health']) {
      const reply = await h.get(path);
      assert.equal(reply.status, 404, path);
      assert.match(reply.contentType, /^text\/html/, 'the Airflow 2 webserver answers its HTML 404 page');
    }
    const unknown = await h.get('/api/v1/nothing/here');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as ProblemJson).title, 'Not Found');
    const wrongVerb = await h.call('DELETE', '/api/v1/dags/~/dagRuns/list');
    assert.equal(wrongVerb.status, 405);
    const v2 = await Harness.start();
    try {
      for (const path of ['/api/v1/dags', '/api/v1/version', '/api/v1/health']) {
        const reply = await v2.get(path);
        assert.equal(reply.status, 404, path);
        assert.deepEqual(reply.body, { detail: 'Not Found' });
      }
    } finally {
      await v2.close();
    }
  });

  test('mapped task: 150 instances page at 100 (GET); the POST list is not paginated', async () => {
    const run = h.emulator.world.latestRun(F.oldFailure.dagId);
    assert.ok(run);
    const base = `/api/v1/dags/${F.oldFailure.dagId}/dagRuns/${seg(run.run_id)}/taskInstances`;
    const p1 = (await h.get(`${base}?limit=100`)).body as TisJson;
    const p2 = (await h.get(`${base}?limit=100&offset=100`)).body as TisJson;
    const expected = F.oldFailure.mapCount + 2;
    assert.equal(p1.total_entries, expected);
    assert.equal(p1.task_instances.length, 100);
    assert.equal(p2.task_instances.length, expected - 100);
    const mapped = [...p1.task_instances, ...p2.task_instances].filter(
      (t) => t.task_id === F.oldFailure.mappedTask,
    );
    assert.deepEqual(
      mapped.map((t) => t.map_index),
      Array.from({ length: F.oldFailure.mapCount }, (_, i) => i),
    );
    assert.deepEqual(
      mapped.filter((t) => t.state === 'failed').map((t) => [t.map_index, t.try_number]),
      [[F.oldFailure.failedMapIndex, F.oldFailure.failedTry]],
    );
    const batch = (
      await h.post('/api/v1/dags/~/dagRuns/~/taskInstances/list', {
        dag_ids: [F.oldFailure.dagId],
        dag_run_ids: [run.run_id],
        page_limit: 10,
      })
    ).body as TisJson;
    assert.equal(batch.task_instances.length, expected, 'page_limit is accepted and ignored');
    assert.equal(batch.total_entries, expected);
    const failed = (
      await h.post('/api/v1/dags/~/dagRuns/~/taskInstances/list', {
        dag_ids: [F.oldFailure.dagId],
        task_ids: [F.oldFailure.mappedTask],
        state: ['failed'],
      })
    ).body as TisJson;
    assert.deepEqual(
      failed.task_instances.map((t) => t.map_index),
      [F.oldFailure.failedMapIndex],
    );
    const waiting = (await h.get(`/api/v1/dags/${F.runningNow.dagId}/dagRuns/~/taskInstances?state=none`))
      .body as TisJson;
    assert.ok(
      waiting.task_instances.length > 0 &&
        waiting.task_instances.every((t) => t.state === null && t.hostname === ''),
    );
    const broken = await h.get(`${base}?state=broken`);
    assert.equal(broken.status, 500, 'TaskInstanceState(value) raises: the webserver 500 page');
    assert.match(broken.contentType, /^text\/html/);
    assert.equal((await h.get(`${base}?task_id=x`)).status, 400, 'no task_id filter on the v1 GET');
  });

  test('logs: chunks follow the token to end_of_log and add up to the whole log; Airflow 2 text and traceback', async () => {
    const small = await V1Harness.start({ logChunkBytes: 600 });
    try {
      const run = small.emulator.world.latestRun(F.latestFailure.dagId);
      assert.ok(run);
      const base = `/api/v1/dags/${F.latestFailure.dagId}/dagRuns/${seg(run.run_id)}/taskInstances/${F.latestFailure.failedTask}/logs`;
      const read = async (tryNumber: number) => {
        let text = '';
        let token: string | null = null;
        let chunks = 0;
        let host = '';
        for (;;) {
          const reply = await small.get(`${base}/${tryNumber}${token ? `?token=${q(token)}` : ''}`);
          assert.equal(reply.status, 200, reply.text);
          const body = reply.body as LogJson;
          const [[chunkHost, chunk] = ['', '']] = parseLogContent(body.content);
          host = chunkHost;
          if (chunks > 0)
            assert.ok(
              Buffer.byteLength(chunk) <= 600,
              `chunk ${chunks} is ${Buffer.byteLength(chunk)} bytes`,
            );
          text += chunk;
          chunks++;
          token = body.continuation_token;
          const position = tokenPayload(token);
          assert.equal(typeof position.log_pos, 'number');
          if (position.end_of_log === true || chunks > 500) break;
        }
        return { text, chunks, host };
      };
      const second = await read(2);
      assert.ok(second.chunks >= 3, `expected several chunks, got ${second.chunks}`);
      assert.match(second.host, /^airflow-worker-\d/);
      const full = (await small.get(`${base}/2?full_content=true`)).body as LogJson;
      assert.equal(
        parseLogContent(full.content)[0]?.[1],
        second.text,
        'the chunks add up to the full content',
      );
      assert.equal(tokenPayload(full.continuation_token).end_of_log, true);
      const text = second.text;
      assert.match(
        text,
        /^\*\*\* Found local files:\n\*\*\* {3}\* \/opt\/airflow\/logs\/dag_id=sync_inventory\/.*attempt=2\.log\n/,
      );
      assert.match(
        text,
        /^\[\d{4}-\d\d-\d\d, \d\d:\d\d:\d\d UTC\] \{taskinstance\.py:\d+\} ERROR - Task failed with exception$/m,
      );
      const trace = text.slice(text.indexOf('ERROR - Task failed with exception'));
      const cause = trace.indexOf(`${F.latestFailure.causeType}: ${F.latestFailure.causeMessage}`);
      const link = trace.indexOf('The above exception was the direct cause of the following exception:');
      const final = trace.indexOf(
        `airflow.exceptions.${F.latestFailure.errorType}: ${F.latestFailure.error}`,
      );
      assert.ok(cause > 0 && link > cause && final > link, 'cause first, then the exception it caused');
      assert.ok(trace.includes('airflow/models/taskinstance.py'), 'Airflow 2 task runner frames');
      assert.ok(text.includes(F.latestFailure.failedMarker) && text.includes('execution_date='));
      const first = await read(1);
      assert.ok(
        first.text.includes(F.latestFailure.retryMarker) &&
          !first.text.includes(F.latestFailure.failedMarker),
      );

      const plain = await small.call('GET', `${base}/2`, { headers: { accept: '*/*' } });
      assert.equal(plain.contentType, 'text/plain', 'werkzeug best_match picks text/plain for */*');
      assert.equal(plain.text, `${second.host}\n${second.text}\n`);
      const fetchDefault = await small.call('GET', `${base}/2`);
      assert.equal(fetchDefault.contentType, 'text/plain', "fetch sends 'accept: */*' unless told otherwise");
      const none = await rawGet(`${small.emulator.url}${base}/2`);
      assert.match(none.contentType, /^application\/json/, 'no Accept header at all: JSON');
      const both = await small.call('GET', `${base}/2`, { headers: { accept: 'application/json, */*' } });
      assert.match(both.contentType, /^application\/json/, 'the specific type beats */* at equal quality');
      const zero = (await small.get(`${base}/0`)).body as LogJson;
      assert.equal(zero.content, "[('default_host', 'Error fetching the logs. Try number 0 is invalid.')]");
      const beyond = (await small.get(`${base}/3`)).body as LogJson;
      assert.match(parseLogContent(beyond.content)[0]?.[1] ?? '', /^\*\*\* Could not read served logs: /);
      const missing = await small.get(`${base}/2?map_index=4`);
      assert.equal(missing.status, 404);
      assert.deepEqual(
        [(missing.body as ProblemJson).title, (missing.body as ProblemJson).detail],
        ['TaskInstance not found', null],
      );
      const forged = await small.get(`${base}/2?token=abc.def`);
      assert.equal(
        (forged.body as ProblemJson).title,
        'Bad Signature. Please use only the tokens provided by the API.',
      );
    } finally {
      await small.close();
    }
  });

  test('a running try never reaches end_of_log; its log is served from the worker', async () => {
    const run = h.emulator.world.latestRun(F.runningNow.dagId);
    assert.ok(run && run.state === 'running');
    const base = `/api/v1/dags/${F.runningNow.dagId}/dagRuns/${seg(run.run_id)}/taskInstances/${F.runningNow.runningTask}/logs/1`;
    const first = (await h.get(`${base}?full_content=true`)).body as LogJson;
    assert.match(
      parseLogContent(first.content)[0]?.[1] ?? '',
      /^\*\*\* Found logs served from host http:\/\//,
    );
    assert.equal(tokenPayload(first.continuation_token).end_of_log, false);
    const next = (await h.get(`${base}?token=${q(first.continuation_token)}`)).body as LogJson;
    assert.deepEqual(parseLogContent(next.content)[0]?.[1], '');
    assert.equal(tokenPayload(next.continuation_token).end_of_log, false);
  });

  test('trigger: queued manual run keyed by logical date; paused DAG accepts and stays queued; 409 by id or date; 400s', async () => {
    const paused = await h.post(`/api/v1/dags/${F.paused.dagId}/dagRuns`, {
      conf: { why: 'test' },
      note: 'retry',
    });
    assert.equal(paused.status, 200, paused.text);
    const run = paused.body as RunJson;
    assert.equal(run.state, 'queued');
    assert.equal(run.run_type, 'manual');
    assert.equal(run.external_trigger, true);
    assert.deepEqual(run.conf, { why: 'test' });
    assert.equal(run.note, 'retry');
    assert.equal(run.dag_run_id, `manual__${run.logical_date}`);
    const again = (await h.get(`/api/v1/dags/${F.paused.dagId}/dagRuns/${seg(run.dag_run_id)}`))
      .body as RunJson;
    assert.equal(again.state, 'queued', 'nothing runs a paused DAG');
    const queued = (await h.get(`/api/v1/dags/${F.paused.dagId}/dagRuns?state=queued`)).body as RunsJson;
    assert.equal(queued.total_entries, 1);
    const tis = (await h.get(`/api/v1/dags/${F.paused.dagId}/dagRuns/${seg(run.dag_run_id)}/taskInstances`))
      .body as TisJson;
    assert.ok(tis.task_instances.every((t) => t.state === null && t.try_number === 0));

    const sameId = await h.post(`/api/v1/dags/${F.paused.dagId}/dagRuns`, { dag_run_id: run.dag_run_id });
    assert.equal(sameId.status, 409);
    assert.equal(
      (sameId.body as ProblemJson).detail,
      `DAGRun with DAG ID: '${F.paused.dagId}' and DAGRun ID: '${run.dag_run_id}' already exists`,
    );
    const logical = h.emulator.world.latestRun(F.healthy.dagId)?.logical_date ?? 0;
    const sameDate = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, { logical_date: iso(logical) });
    assert.equal(sameDate.status, 409);
    assert.match(
      (sameDate.body as ProblemJson).detail ?? '',
      /DAGRun logical date: '\d{4}-\d\d-\d\d \d\d:\d\d:00\+00:00' already exists/,
    );
    const nullDate = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, { logical_date: null });
    assert.equal(nullDate.status, 400, 'Airflow 3.0 needs logical_date: null, Airflow 2 rejects it');
    assert.equal((nullDate.body as ProblemJson).title, 'Incorrect datetime argument');
    const both = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, {
      logical_date: '2025-06-18T09:00:00Z',
      execution_date: '2025-06-18T08:00:00Z',
    });
    assert.equal((both.body as ProblemJson).title, 'logical_date conflicts with execution_date');
    const readOnly = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, { state: 'queued' });
    assert.equal((readOnly.body as ProblemJson).detail, "Property is read-only - 'state'");
    const unknown = await h.post(`/api/v1/dags/${F.healthy.dagId}/dagRuns`, { dry_run: true });
    assert.equal((unknown.body as ProblemJson).detail, "{'dry_run': ['Unknown field.']}");
    const broken = await h.post(`/api/v1/dags/${F.importError.dagId}/dagRuns`, {});
    assert.deepEqual([broken.status, (broken.body as ProblemJson).title], [400, 'DAG cannot be triggered']);
    assert.equal((await h.post(`/api/v1/dags/${F.staleDag}/dagRuns`, {})).status, 404);
    const empty = await h.call('POST', `/api/v1/dags/${F.healthy.dagId}/dagRuns`);
    assert.equal((empty.body as ProblemJson).detail, 'Request body must not be empty');
  });
});
