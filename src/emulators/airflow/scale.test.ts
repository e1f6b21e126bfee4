import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createScaleWorld, HOUR, scaleDagId, scaleFailedIndexes } from '../world/index.js';
import type { World } from '../world/index.js';
import { Harness } from './harness.test.util.js';
import { startAirflowEmulator } from './index.js';
import { V1Harness } from './v1-harness.test.util.js';

/**
 * 5,000 DAGs × 100 runs (500,000 runs) behind both API versions: the world builds, and the cross-DAG
 * "failed in the last 24 h" query answers correctly on each. Timings and memory are reported as test
 * diagnostics, never asserted.
 */

const DAGS = 5_000;
const RUNS_PER_DAG = 100;
const FAILED = 40;
const NOW = new Date('2025-06-18T10:30:00Z');

interface RunsJson {
  dag_runs: { dag_id: string; state: string; end_date: string | null }[];
  total_entries: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

describe('Scale: 500,000 runs behind /api/v1 and /api/v2', () => {
  let world: World;
  let v1: V1Harness;
  let v2: Harness;
  let built = '';
  const expected = scaleFailedIndexes(DAGS, FAILED).map(scaleDagId).sort();
  const since = new Date(NOW.getTime() - 24 * HOUR).toISOString();

  before(async () => {
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    world = createScaleWorld({ dags: DAGS, runsPerDag: RUNS_PER_DAG, failedInLastDay: FAILED, now: NOW });
    const buildMs = performance.now() - started;
    const rss = process.memoryUsage().rss;
    built = `${world.runs.length} runs built in ${buildMs.toFixed(0)} ms; RSS ${mib(rssBefore)} → ${mib(rss)}`;
    v1 = await V1Harness.start({ world });
    v2 = new Harness(await startAirflowEmulator({ world }));
    v2.token = await v2.login();
  });

  after(async () => {
    await v1?.close();
    await v2?.close();
  });

  const timed = async <T>(t: TestContext, what: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    t.diagnostic(`${what}: ${(performance.now() - started).toFixed(0)} ms`);
    return result;
  };

  test('the world has every run, indexed per DAG', (t) => {
    t.diagnostic(`scale world: ${built}`);
    assert.equal(world.runs.length, DAGS * RUNS_PER_DAG);
    assert.equal(world.dags.length, DAGS);
    assert.equal(world.runsOf(scaleDagId(DAGS - 1)).length, RUNS_PER_DAG);
  });

  test('v2: GET ~/dagRuns?state=failed&end_date_gte=-24h finds exactly the planted failures', async (t) => {
    const path = `/api/v2/dags/~/dagRuns?state=failed&end_date_gte=${encodeURIComponent(since)}&order_by=-end_date&limit=100`;
    const reply = await timed(t, 'v2 GET (cold)', () => v2.get(path));
    await timed(t, 'v2 GET (warm)', () => v2.get(path));
    const body = reply.body as RunsJson;
    assert.equal(body.total_entries, FAILED);
    assert.deepEqual(body.dag_runs.map((r) => r.dag_id).sort(), expected);
    assert.ok(
      body.dag_runs.every((r) => r.state === 'failed' && Date.parse(r.end_date ?? '') >= Date.parse(since)),
    );
    const post = await timed(t, 'v2 POST list', () =>
      v2.post('/api/v2/dags/~/dagRuns/list', {
        states: ['failed'],
        end_date_gte: since,
        order_by: '-end_date',
      }),
    );
    assert.deepEqual(post.body, body);
  });

  test('v1: GET ~/dagRuns and POST ~/dagRuns/list find exactly the planted failures', async (t) => {
    const path = `/api/v1/dags/~/dagRuns?state=failed&end_date_gte=${encodeURIComponent(since)}&order_by=-end_date&limit=100`;
    const reply = await timed(t, 'v1 GET', () => v1.get(path));
    const body = reply.body as RunsJson;
    assert.equal(body.total_entries, FAILED);
    assert.deepEqual(body.dag_runs.map((r) => r.dag_id).sort(), expected);
    const post = await timed(t, 'v1 POST list', () =>
      v1.post('/api/v1/dags/~/dagRuns/list', {
        states: ['failed'],
        end_date_gte: since,
        order_by: '-end_date',
      }),
    );
    assert.deepEqual(post.body, body);
    const dags = (await timed(t, 'v1 GET /dags', () => v1.get('/api/v1/dags?offset=4990'))).body as {
      dags: unknown[];
      total_entries: number;
    };
    assert.equal(dags.total_entries, DAGS);
    assert.equal(dags.dags.length, 10);
    const all = (
      await timed(t, 'v1 GET ~/dagRuns (count all)', () => v1.get('/api/v1/dags/~/dagRuns?limit=1'))
    ).body as RunsJson;
    assert.equal(all.total_entries, DAGS * RUNS_PER_DAG);
    t.diagnostic(`RSS after the queries: ${mib(process.memoryUsage().rss)}`);
  });
});
