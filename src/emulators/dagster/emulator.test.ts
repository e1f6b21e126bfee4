import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DAGSTER_DEMO_FACTS as F,
  DEMO_FACTS,
  createDagsterDemoWorld,
  createDemoWorld,
  createScaleWorld,
  type World,
} from '../world/index.js';
import { TEST_NOW, graphql, startTestEmulator } from './harness.test.util.js';
import { startDagsterEmulator, type DagsterEmulator } from './index.js';

const DAY = 24 * 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const RUNS = `query Runs($filter: RunsFilter, $cursor: String, $limit: Int) {
  runsOrError(filter: $filter, cursor: $cursor, limit: $limit) {
    __typename
    ... on Runs { count results { runId jobName status creationTime updateTime endTime } }
  }
}`;

type RunsData = {
  runsOrError: {
    count: number;
    results: {
      runId: string;
      jobName: string;
      status: string;
      creationTime: number;
      updateTime: number;
      endTime: number | null;
    }[];
  };
};

describe('Dagster demo world', () => {
  for (const now of [TEST_NOW, new Date('2026-01-05T00:10:00Z'), new Date('2025-07-20T17:59:30Z')]) {
    it(`holds its facts at ${now.toISOString()}`, () => {
      const world = createDagsterDemoWorld({ now });
      const t = now.getTime();
      const ids = new Set(world.runs.map((r) => r.run_id));
      assert.equal(ids.size, world.runs.length);
      assert.ok(world.runs.every((r) => UUID.test(r.run_id)));

      const ltv = world.latestRun(F.latestFailure.job);
      assert.equal(ltv?.state, 'failed');
      assert.ok((ltv?.end_date ?? 0) >= t - DAY && (ltv?.end_date ?? Infinity) <= t);
      const failedLastDay = new Set(
        world.runs.filter((r) => r.state === 'failed' && (r.end_date ?? 0) >= t - DAY).map((r) => r.dag_id),
      );
      assert.deepEqual([...failedLastDay], [...F.failedInLast24h]);
      assert.equal(world.latestRun(F.runningNow.job)?.state, 'running');
      assert.ok(
        world.runs
          .filter((r) => r.state === 'running' || r.state === 'queued')
          .every((r) => r.dag_id === F.runningNow.job),
      );

      const paused = world.dag(F.paused.job);
      assert.equal(paused?.paused, true);
      const lastPaused = world.latestRun(F.paused.job)?.end_date ?? 0;
      assert.ok(
        lastPaused < t - (F.paused.lastRunDaysAgo - 1) * DAY &&
          lastPaused > t - (F.paused.lastRunDaysAgo + 1) * DAY,
      );

      const churn = world.runsOf(F.recoveredFailure.job);
      const failedChurn = churn.filter((r) => r.state === 'failed');
      assert.equal(failedChurn.length, 1);
      assert.ok(
        churn
          .slice(churn.indexOf(failedChurn[0] as (typeof churn)[number]) + 1)
          .every((r) => r.state === 'success'),
      );
      assert.ok(world.dag(F.brokenLocation.job)?.import_error?.includes(F.brokenLocation.error));
      const owners = world.dags
        .filter((d) => d.owners.includes('data-platform') && !d.import_error)
        .map((d) => d.dag_id);
      assert.deepEqual(owners.sort(), [...F.dataPlatformJobs].sort());
      assert.ok(world.runs.length > 500);
    });
  }

  it('has no job id in common with the Airflow demo world', () => {
    const airflow = new Set(createDemoWorld({ now: TEST_NOW }).dags.map((d) => d.dag_id));
    const clash = createDagsterDemoWorld({ now: TEST_NOW }).dags.filter((d) =>
      airflow.has(d.dag_id.split('@')[0] ?? ''),
    );
    assert.deepEqual(
      clash.map((d) => d.dag_id),
      [],
    );
    assert.ok(airflow.has(DEMO_FACTS.latestFailure.dagId) && !airflow.has(F.latestFailure.job));
  });
});

describe('Dagster emulator semantics', () => {
  let emulator: DagsterEmulator;
  let world: World;

  before(async () => {
    emulator = await startTestEmulator();
    world = emulator.world;
  });

  after(async () => {
    await emulator.close();
  });

  it('answers invalid documents with HTTP 400 and {data: null, errors}', async () => {
    const syntax = await graphql(emulator, 'query { runsOrError(');
    assert.equal(syntax.status, 400);
    assert.equal(syntax.body.data, null);
    assert.match(syntax.body.errors?.[0]?.message ?? '', /Syntax Error/);
    const unknownField = await graphql(emulator, '{ workspaceOrError { ... on Workspace { nope } } }');
    assert.equal(unknownField.status, 400);
    assert.match(
      unknownField.body.errors?.[0]?.message ?? '',
      /Cannot query field "nope" on type "Workspace"/,
    );
    const badVariable = await graphql(
      emulator,
      'query Q($id: ID!) { runOrError(runId: $id) { __typename } }',
      {},
    );
    assert.equal(badVariable.status, 400);
    const noQuery = await graphql(emulator, '');
    assert.equal(noQuery.status, 400);
    const notJson = await fetch(`${emulator.url}/graphql`, { method: 'POST', body: '{nope' });
    assert.equal(notJson.status, 400);
  });

  it('answers a raising resolver with HTTP 500, the partial data and the error', async () => {
    emulator.faults.push({ kind: 'exception', field: 'runOrError', message: 'database is locked', times: 1 });
    const reply = await graphql(emulator, '{ runOrError(runId: "x") { __typename } }');
    assert.equal(reply.status, 500);
    assert.equal(reply.body.data, null);
    assert.equal(reply.body.errors?.[0]?.message, 'database is locked');
  });

  it('filters runs like Dagster: statuses, strict time bounds, job name, tags; newest first', async () => {
    const after = TEST_NOW.getTime() / 1000 - 7 * 86_400;
    const reply = await graphql(emulator, RUNS, { filter: { statuses: ['FAILURE'], updatedAfter: after } });
    const data = reply.body.data as RunsData;
    assert.equal(data.runsOrError.count, data.runsOrError.results.length);
    assert.ok(data.runsOrError.results.every((r) => r.status === 'FAILURE' && r.updateTime > after));
    const created = data.runsOrError.results.map((r) => r.creationTime);
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
    );

    const one = data.runsOrError.results[0];
    assert.ok(one);
    const strict = (
      await graphql(emulator, RUNS, { filter: { updatedAfter: one.updateTime, runIds: [one.runId] } })
    ).body.data as RunsData;
    assert.equal(strict.runsOrError.results.length, 0, 'updatedAfter is exclusive');

    const scheduled = (
      await graphql(emulator, RUNS, {
        filter: {
          pipelineName: F.paused.job,
          tags: [{ key: 'dagster/schedule_name', value: `${F.paused.job}_schedule` }],
        },
      })
    ).body.data as RunsData;
    assert.equal(scheduled.runsOrError.results.length, world.runsOf(F.paused.job).length);
  });

  it('pages with a runId cursor and a limit; an unknown cursor gives nothing', async () => {
    const all = (
      (await graphql(emulator, RUNS, { filter: { pipelineName: F.runningNow.job } })).body.data as RunsData
    ).runsOrError.results;
    const first = (
      (await graphql(emulator, RUNS, { filter: { pipelineName: F.runningNow.job }, limit: 10 })).body
        .data as RunsData
    ).runsOrError.results;
    const second = (
      (
        await graphql(emulator, RUNS, {
          filter: { pipelineName: F.runningNow.job },
          limit: 10,
          cursor: first.at(-1)?.runId,
        })
      ).body.data as RunsData
    ).runsOrError.results;
    assert.deepEqual(
      [...first, ...second].map((r) => r.runId),
      all.slice(0, 20).map((r) => r.runId),
    );
    const none = (await graphql(emulator, RUNS, { cursor: 'no-such-run', limit: 5 })).body.data as RunsData;
    assert.equal(none.runsOrError.results.length, 0);
  });

  it('serves GET queries, refuses mutations over GET, and records operation names', async () => {
    emulator.resetRequests();
    const query = encodeURIComponent('query Ping { runsOrError(limit: 1) { __typename } }');
    const ok = await fetch(`${emulator.url}/graphql?query=${query}`);
    assert.equal(ok.status, 200);
    const mutation = encodeURIComponent(
      'mutation { launchRun(executionParams: {selector: {repositoryName: "r", repositoryLocationName: "l", jobName: "j"}}) { __typename } }',
    );
    assert.equal((await fetch(`${emulator.url}/graphql?query=${mutation}`)).status, 405);
    assert.deepEqual(
      emulator.requests.map((r) => [r.method, r.path, r.status, r.operationName]),
      [
        ['GET', '/graphql', 200, 'Ping'],
        ['GET', '/graphql', 405, null],
      ],
    );
  });

  it('requires a known Dagster-Cloud-Api-Token when tokens are configured', async () => {
    const cloud = await startDagsterEmulator({
      world,
      cloudTokens: ['good-token-1234'],
      pathPrefix: '/prod',
    });
    try {
      assert.equal((await graphql(cloud, '{ runsOrError(limit: 1) { __typename } }')).status, 401);
      assert.equal(
        (await graphql(cloud, '{ runsOrError(limit: 1) { __typename } }', {}, { token: 'bad' })).status,
        401,
      );
      const ok = await graphql(
        cloud,
        '{ runsOrError(limit: 1) { __typename } }',
        {},
        { token: 'good-token-1234' },
      );
      assert.equal(ok.status, 200);
      assert.equal(
        (await fetch(`${cloud.url.replace(/\/prod$/, '')}/graphql`, { method: 'POST' })).status,
        404,
      );
    } finally {
      await cloud.close();
    }
  });

  it('gives runs of worlds with per-DAG run ids globally unique UUIDs', async () => {
    const scale = await startDagsterEmulator({
      world: createScaleWorld({ dags: 30, runsPerDag: 3, failedInLastDay: 3, now: TEST_NOW }),
    });
    try {
      const runs = ((await graphql(scale, RUNS, {})).body.data as RunsData).runsOrError.results;
      assert.equal(runs.length, 90);
      assert.equal(new Set(runs.map((r) => r.runId)).size, 90);
      const failed = runs.filter((r) => r.status === 'FAILURE');
      assert.equal(failed.length, 3);
      const one = await graphql(
        scale,
        'query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { jobName } } }',
        {
          id: failed[0]?.runId,
        },
      );
      assert.equal(
        (one.body.data as { runOrError: { jobName: string } }).runOrError.jobName,
        failed[0]?.jobName,
      );
    } finally {
      await scale.close();
    }
  });
});
