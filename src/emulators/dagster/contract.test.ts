import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { buildSchema, execute, parse, type GraphQLSchema } from 'graphql';
import {
  CAPTURED_LOGS,
  DAGSTER_DOCUMENTS,
  LAUNCH_RUN,
  LAUNCH_RUN_REEXECUTION,
  RUN,
  RUN_EVENTS,
  RUNS,
  TERMINATE_RUN,
  WORKSPACE,
  WORKSPACE_WITHOUT_OWNERS,
  type DagsterDocument,
} from '../../adapters/dagster/documents.js';
import { sharedSpecsDir, specsMissingMessage } from '../../test/spec-path.js';
import { DAGSTER_DEMO_FACTS as F } from '../world/index.js';
import { TEST_NOW, graphql, startTestEmulator } from './harness.test.util.js';
import type { DagsterEmulator } from './index.js';

/**
 * Every document the adapter sends is answered by the emulator over real HTTP, and each answer is re-checked
 * against Dagster's official schema: executing the document on the official schema with the answer as root
 * value and default resolvers (which resolve abstract types by `__typename`) re-validates every field name,
 * type, enum value, union member and non-null in it.
 */

const specs = sharedSpecsDir();
const covered = new Set<string>();

describe('Dagster emulator: answers match the official Dagster GraphQL schema', () => {
  let official: GraphQLSchema;
  let emulator: DagsterEmulator;
  let failedRun = '';
  let runningRun = '';
  let fileKey = '';

  before(async () => {
    if (!specs) return;
    official = buildSchema(readFileSync(join(specs, 'dagster-schema.graphql'), 'utf8'));
    emulator = await startTestEmulator({ capturedLogChunkBytes: 2048 });
    failedRun = emulator.world.latestRun(F.latestFailure.job)?.run_id ?? '';
    runningRun = emulator.world.latestRun(F.runningNow.job)?.run_id ?? '';
  });

  after(async () => {
    await emulator?.close();
  });

  /** Sends the document, expects HTTP 200 and an answer the official schema reproduces exactly. */
  async function check(
    t: TestContext,
    doc: DagsterDocument,
    variables: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const reply = await graphql(emulator, doc, variables);
    assert.equal(reply.status, 200, `${doc.operationName}: ${reply.text.slice(0, 500)}`);
    assert.equal(reply.body.errors, undefined);
    const data = reply.body.data ?? null;
    assert.ok(data, `${doc.operationName}: no data`);
    const result = await execute({
      schema: official,
      document: parse(doc.query),
      variableValues: variables,
      rootValue: data,
      operationName: doc.operationName,
    });
    assert.deepEqual(
      (result.errors ?? []).map((e) => `${e.message} at ${e.path?.join('.')}`),
      [],
      `${doc.operationName}: the answer does not fit the official schema`,
    );
    assert.deepEqual(JSON.parse(JSON.stringify(result.data)), data);
    covered.add(doc.operationName);
    t.diagnostic(
      `${doc.operationName} ${JSON.stringify(variables).slice(0, 120)} matches the official schema`,
    );
    return data;
  }

  const it = (name: string, fn: (t: TestContext) => Promise<void>) =>
    test(name, async (t) => {
      if (!specs) {
        t.skip(specsMissingMessage());
        return;
      }
      await fn(t);
    });

  it('workspace: locations, a location load error, jobs with details, owners and latest runs', async (t) => {
    const data = await check(t, WORKSPACE, { withDetails: true, withLatestRun: true });
    const text = JSON.stringify(data);
    assert.match(text, /"PythonError"/);
    assert.match(text, /"TeamDefinitionOwner"/);
    assert.match(text, /"UserDefinitionOwner"/);
    assert.match(text, /"STOPPED"/);
    await check(t, WORKSPACE, { withDetails: false, withLatestRun: false });
    await check(t, WORKSPACE_WITHOUT_OWNERS, { withDetails: true, withLatestRun: true });
  });

  it('runs: filters, cursor pages, step statuses, and the error members', async (t) => {
    const after = TEST_NOW.getTime() / 1000 - 86_400;
    const failures = await check(t, RUNS, {
      filter: { statuses: ['FAILURE'], updatedAfter: after },
      cursor: null,
      limit: 10,
      withSteps: true,
    });
    assert.match(JSON.stringify(failures), /"stepStats":\[/);
    const first = await check(t, RUNS, {
      filter: { pipelineName: F.runningNow.job },
      cursor: null,
      limit: 3,
      withSteps: false,
    });
    const results = (first.runsOrError as { results: { runId: string }[] }).results;
    await check(t, RUNS, {
      filter: { pipelineName: F.runningNow.job, statuses: ['STARTED', 'SUCCESS'], createdAfter: after },
      cursor: results[2]?.runId,
      limit: 3,
      withSteps: true,
    });
    await check(t, RUNS, {
      filter: { tags: [{ key: 'dagster/schedule_name', value: `${F.paused.job}_schedule` }] },
      cursor: null,
      limit: 2,
      withSteps: false,
    });
    for (const value of [
      {
        __typename: 'PythonError',
        message: 'boom',
        className: 'Exception',
        stack: [],
        cause: null,
        causes: [],
      },
      { __typename: 'InvalidPipelineRunsFilterError', message: 'bad filter' },
    ]) {
      emulator.faults.push({ kind: 'result', field: 'runsOrError', value, times: 1 });
      await check(t, RUNS, { filter: null, cursor: null, limit: 1, withSteps: false });
    }
  });

  it('run: a failed run, a running run, an unknown run', async (t) => {
    await check(t, RUN, { runId: failedRun });
    await check(t, RUN, { runId: runningRun });
    const missing = await check(t, RUN, { runId: '00000000-0000-4000-8000-000000000000' });
    assert.equal((missing.runOrError as { __typename: string }).__typename, 'RunNotFoundError');
  });

  it('event log: every event type of a failed and a running run, pages, an unknown run', async (t) => {
    const types = new Set<string>();
    for (const runId of [failedRun, runningRun]) {
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const data = await check(t, RUN_EVENTS, { runId, cursor, limit: 7 });
        const conn = data.logsForRun as {
          events: { __typename: string; fileKey?: string; stepKeys?: string[] }[];
          cursor: string;
          hasMore: boolean;
        };
        for (const e of conn.events) {
          types.add(e.__typename);
          if (e.fileKey && e.stepKeys?.includes(F.latestFailure.failedStep)) fileKey = e.fileKey;
        }
        if (!conn.hasMore) break;
        cursor = conn.cursor;
      }
    }
    for (const type of [
      'ExecutionStepFailureEvent',
      'LogsCapturedEvent',
      'RunFailureEvent',
      'LogMessageEvent',
    ])
      assert.ok(types.has(type), type);
    await check(t, RUN_EVENTS, { runId: 'nope', cursor: null, limit: 5 });
  });

  it('captured logs: chunks with a cursor, and an unknown key', async (t) => {
    assert.ok(fileKey, 'the failed step has a LogsCapturedEvent');
    const logKey = [failedRun, 'compute_logs', fileKey];
    const first = await check(t, CAPTURED_LOGS, { logKey, cursor: null, limit: 1000 });
    const chunk = first.capturedLogs as { stdout: string | null; stderr: string | null; cursor: string };
    assert.ok(chunk.stdout && chunk.stderr);
    await check(t, CAPTURED_LOGS, { logKey, cursor: chunk.cursor, limit: 1000 });
    await check(t, CAPTURED_LOGS, {
      logKey: [failedRun, 'compute_logs', 'nosuchkey'],
      cursor: null,
      limit: 10,
    });
  });

  it('launch: success, unknown job, invalid config, and the error members', async (t) => {
    const selector = {
      repositoryLocationName: 'ml_platform',
      repositoryName: '__repository__',
      jobName: 'churn_scoring_job',
    };
    const ok = await check(t, LAUNCH_RUN, {
      executionParams: {
        selector,
        runConfigData: { ops: {} },
        executionMetadata: { tags: [{ key: 'pipeline-monitor/request', value: 'contract-1' }] },
      },
    });
    assert.equal((ok.launchRun as { __typename: string }).__typename, 'LaunchRunSuccess');
    const missing = await check(t, LAUNCH_RUN, {
      executionParams: { selector: { ...selector, jobName: 'nope' } },
    });
    assert.equal((missing.launchRun as { __typename: string }).__typename, 'PipelineNotFoundError');
    const invalid = await check(t, LAUNCH_RUN, {
      executionParams: { selector, runConfigData: { bogus: 1 } },
    });
    assert.equal((invalid.launchRun as { __typename: string }).__typename, 'RunConfigValidationInvalid');
    await check(t, LAUNCH_RUN, { executionParams: { selector, runConfigData: [1, 2] } });
    for (const value of [
      { __typename: 'UnauthorizedError', message: 'no permission' },
      { __typename: 'RunConflict', message: 'conflict' },
      {
        __typename: 'PythonError',
        message: 'boom',
        className: null,
        stack: ['  File "x.py", line 1, in f\n'],
        cause: null,
        causes: [],
      },
      { __typename: 'InvalidStepError', invalidStepKey: 'x' },
    ]) {
      emulator.faults.push({ kind: 'result', field: 'launchRun', value, times: 1 });
      await check(t, LAUNCH_RUN, { executionParams: { selector } });
    }
  });

  it('re-execution: from failure (linked to its parent), refused parents, and the error members', async (t) => {
    const reexecutionParams = {
      parentRunId: failedRun,
      strategy: 'FROM_FAILURE',
      extraTags: [
        { key: 'pipeline-monitor/request', value: 'contract-rerun-1' },
        { key: 'pipeline-monitor/note', value: 'contract' },
      ],
    };
    const ok = await check(t, LAUNCH_RUN_REEXECUTION, { reexecutionParams });
    const success = ok.launchRunReexecution as {
      __typename: string;
      run: { runId: string; status: string; tags: { key: string; value: string }[] };
    };
    assert.equal(success.__typename, 'LaunchRunSuccess');
    assert.notEqual(success.run.runId, failedRun);
    assert.ok(['QUEUED', 'STARTING'].includes(success.run.status), success.run.status);
    const tags = new Map(success.run.tags.map((tag) => [tag.key, tag.value]));
    assert.equal(tags.get('dagster/parent_run_id'), failedRun);
    assert.equal(tags.get('dagster/root_run_id'), failedRun);
    assert.equal(tags.get('pipeline-monitor/request'), 'contract-rerun-1');
    const child = emulator.world.runs.find((r) => r.run_id === success.run.runId);
    assert.ok(child);
    assert.equal(child.dag_id, F.latestFailure.job);
    // Not failed, and unknown parents: Dagster raises, which GraphQL answers as a PythonError.
    for (const parentRunId of [runningRun, '00000000-0000-4000-8000-000000000000']) {
      const refused = await check(t, LAUNCH_RUN_REEXECUTION, {
        reexecutionParams: { ...reexecutionParams, parentRunId },
      });
      assert.equal((refused.launchRunReexecution as { __typename: string }).__typename, 'PythonError');
    }
    for (const value of [
      { __typename: 'UnauthorizedError', message: 'no permission' },
      { __typename: 'RunConflict', message: 'conflict' },
      { __typename: 'InvalidSubsetError', message: 'bad subset' },
      { __typename: 'InvalidStepError', invalidStepKey: 'x' },
      { __typename: 'InvalidOutputError', stepKey: 'x', invalidOutputName: 'result' },
      { __typename: 'PresetNotFoundError', message: 'no preset', preset: 'p' },
      { __typename: 'ConflictingExecutionParamsError', message: 'conflicting' },
      { __typename: 'NoModeProvidedError', message: 'no mode', pipelineName: F.latestFailure.job },
      {
        __typename: 'PipelineNotFoundError',
        message: 'gone',
        pipelineName: F.latestFailure.job,
        repositoryName: '__repository__',
        repositoryLocationName: 'analytics',
      },
      {
        __typename: 'PythonError',
        message: 'boom',
        className: null,
        stack: [],
        cause: null,
        causes: [],
      },
    ]) {
      emulator.faults.push({ kind: 'result', field: 'launchRunReexecution', value, times: 1 });
      await check(t, LAUNCH_RUN_REEXECUTION, { reexecutionParams });
    }
  });

  it('terminate: a queued run (CANCELED), a started run (CANCELING), a finished run, an unknown run', async (t) => {
    const status = (data: Record<string, unknown>) => {
      const result = data.terminateRun as { __typename: string; run?: { status: string } };
      return `${result.__typename}${result.run ? ` ${result.run.status}` : ''}`;
    };
    const selector = {
      repositoryLocationName: 'ml_platform',
      repositoryName: '__repository__',
      jobName: 'churn_scoring_job',
    };
    const launched = await check(t, LAUNCH_RUN, { executionParams: { selector } });
    const queued = (launched.launchRun as { run: { runId: string } }).run.runId;
    assert.equal(
      status(await check(t, TERMINATE_RUN, { runId: queued, terminatePolicy: 'SAFE_TERMINATE' })),
      'TerminateRunSuccess CANCELED',
    );
    assert.equal(
      status(await check(t, TERMINATE_RUN, { runId: runningRun, terminatePolicy: null })),
      'TerminateRunSuccess CANCELING',
    );
    assert.equal(
      status(await check(t, TERMINATE_RUN, { runId: runningRun, terminatePolicy: 'SAFE_TERMINATE' })),
      'TerminateRunFailure',
    );
    assert.equal(
      status(
        await check(t, TERMINATE_RUN, { runId: runningRun, terminatePolicy: 'MARK_AS_CANCELED_IMMEDIATELY' }),
      ),
      'TerminateRunSuccess CANCELED',
    );
    assert.equal(
      status(await check(t, TERMINATE_RUN, { runId: failedRun, terminatePolicy: 'SAFE_TERMINATE' })),
      'TerminateRunFailure',
    );
    assert.equal(
      status(await check(t, TERMINATE_RUN, { runId: '00000000-0000-4000-8000-000000000000' })),
      'RunNotFoundError',
    );
    for (const value of [
      { __typename: 'UnauthorizedError', message: 'no permission' },
      {
        __typename: 'PythonError',
        message: 'Unable to terminate run',
        className: null,
        stack: [],
        cause: null,
        causes: [],
      },
    ]) {
      emulator.faults.push({ kind: 'result', field: 'terminateRun', value, times: 1 });
      await check(t, TERMINATE_RUN, { runId: queued, terminatePolicy: 'SAFE_TERMINATE' });
    }
  });

  it('every adapter document was checked', async () => {
    assert.deepEqual(
      DAGSTER_DOCUMENTS.map((d) => d.operationName).filter((name) => !covered.has(name)),
      [],
    );
  });
});
