import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultWorld, type FaultWorld } from '../fault-world.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

/** The call's time budget and the circuit breaker, through the real server against the emulators. */

const STATUS_ARGS = { pipeline_id: 'airflow:sync_inventory' };
const PREFECT_STATUS = { pipeline_id: 'prefect:sync-hubspot/hourly' };

describe('a call past its time budget', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  before(async () => {
    world = await startFaultWorld();
    // Requests may take 30 s; the call may not take more than 2.
    const config = world.writeConfig(
      { call_timeout_seconds: 2 },
      { timeout_seconds: 30, resilience: { circuit_breaker: { failures: 0 } } },
    );
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config, PIPELINE_MONITOR_CACHE_TTL_MS: '0' });
  });
  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  test('answers a clear error at the deadline, naming the orchestrator it waited for, and drops the request', async () => {
    world.target('airflow').faults.add({ kind: 'hang' });
    const started = Date.now();
    const answer = await mcp.call('get_pipeline_status', STATUS_ARGS);
    const took = Date.now() - started;
    assert.equal(answer.isError, true);
    assert.ok(took >= 1900 && took < 3500, `answered after ${took} ms`);
    assert.match(answer.text, /The call took longer than 2 s and was stopped, still waiting for airflow/);
    assert.match(answer.text, /\nHint: airflow is slow; .*call_timeout_seconds/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const hit = world.target('airflow').faults.hits[0];
    assert.ok(hit?.clientClosedAt !== undefined, 'the hung request was aborted');
    assert.ok(hit.clientClosedAt - started < 2600);
    world.reset();
  });

  test('a list answers within the budget without the slow orchestrator, and names it', async () => {
    world.target('dagster').faults.add({ kind: 'hang' });
    const started = Date.now();
    const answer = await mcp.call('list_failed_pipelines', { hours: 24 });
    const took = Date.now() - started;
    assert.equal(answer.isError, false, answer.text);
    assert.ok(took < 2000, `answered after ${took} ms`);
    const out = answer.structured as {
      failed_pipelines: { orchestrator: string }[];
      unavailable: { orchestrator: string; reason: string }[];
    };
    assert.deepEqual(
      out.unavailable.map((u) => u.orchestrator),
      ['dagster'],
    );
    assert.match(
      out.unavailable[0]?.reason ?? '',
      /^dagster: no complete answer within [\d.]+ s \(this call's time budget\)/,
    );
    assert.deepEqual([...new Set(out.failed_pipelines.map((p) => p.orchestrator))].sort(), [
      'airflow',
      'airflow-legacy',
      'prefect',
    ]);
    assert.match(answer.text, /dagster did not answer/);
    world.reset();
  });
});

describe('circuit breaker per orchestrator', () => {
  let world: FaultWorld;
  let mcp: McpSession;
  const COOLDOWN_S = 2;
  before(async () => {
    world = await startFaultWorld();
    const config = world.writeConfig(
      {},
      {
        timeout_seconds: 5,
        resilience: { retries: 0, circuit_breaker: { failures: 3, cooldown_seconds: COOLDOWN_S } },
      },
    );
    mcp = await connectCli({ PIPELINE_MONITOR_CONFIG: config, PIPELINE_MONITOR_CACHE_TTL_MS: '0' });
  });
  after(async () => {
    await mcp?.close();
    await world?.close();
  });

  test('opens after failures in a row, then fails fast saying when it tries again; lists name it', async () => {
    const prefect = world.target('prefect');
    prefect.faults.add({ kind: 'status', status: 503 });
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) texts.push((await mcp.call('get_pipeline_status', PREFECT_STATUS)).text);
    assert.ok(texts.every((t) => /HTTP 503/.test(t)));
    assert.equal(prefect.faults.arrivals.length, 3);

    const started = Date.now();
    const open = await mcp.call('get_pipeline_status', PREFECT_STATUS);
    assert.ok(Date.now() - started < 500);
    assert.equal(open.isError, true);
    assert.match(
      open.text,
      /^Orchestrator unavailable \(prefect\): prefect: not contacting Prefect at [\d.:]+ for now: its last 3 requests failed \(last: HTTP 503\); it will be tried again in [12] s \(at \d\d:\d\d:\d\d UTC\)\./,
    );
    assert.match(open.text, /\nHint: check that prefect is running and reachable; try again after/);

    const list = await mcp.call('list_all_pipelines', { limit: 500 });
    assert.equal(list.isError, false);
    const out = list.structured as {
      pipelines: { orchestrator: string }[];
      unavailable: { orchestrator: string; reason: string }[];
    };
    assert.deepEqual(
      out.unavailable.map((u) => u.orchestrator),
      ['prefect'],
    );
    assert.match(out.unavailable[0]?.reason ?? '', /not contacting Prefect/);
    assert.ok(out.pipelines.some((p) => p.orchestrator === 'dagster'));
    assert.equal(prefect.faults.arrivals.length, 3, 'nothing reached prefect while the circuit was open');
  });

  test('half-open: one trial after the cooldown; a failure reopens, a success closes', async () => {
    const prefect = world.target('prefect');
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_S * 1000 + 100));
    const trial = await mcp.call('get_pipeline_status', PREFECT_STATUS);
    assert.match(trial.text, /HTTP 503/, 'the trial reached prefect and failed');
    assert.equal(prefect.faults.arrivals.length, 4);
    assert.match((await mcp.call('get_pipeline_status', PREFECT_STATUS)).text, /not contacting Prefect/);
    assert.equal(prefect.faults.arrivals.length, 4);

    world.reset(); // prefect recovers
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_S * 1000 + 100));
    const recovered = await mcp.call('get_pipeline_status', PREFECT_STATUS);
    assert.equal(recovered.isError, false, recovered.text);
    const list = await mcp.call('list_all_pipelines', { limit: 500 });
    assert.deepEqual(list.structured?.unavailable, []);
    assert.ok(prefect.faults.arrivals.length > 1, 'closed: requests flow again');
  });

  test('4xx answers never open it', async () => {
    const prefect = world.target('prefect');
    prefect.faults.add({ kind: 'status', status: 404 });
    for (let i = 0; i < 5; i++) await mcp.call('get_pipeline_status', PREFECT_STATUS);
    assert.equal(prefect.faults.hits.length, 5, 'each call reached prefect');
    world.reset();
    assert.equal((await mcp.call('get_pipeline_status', PREFECT_STATUS)).isError, false);
  });
});
