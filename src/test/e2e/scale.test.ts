import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createScaleWorld, scaleDagId, scaleFailedIndexes } from '../../emulators/world/index.js';
import { connectCli } from '../mcp-harness.js';

const FAILED = 40;

/** list_failed_pipelines over the built CLI against a world of `dags` DAGs; returns the upstream request count. */
async function sweep(dags: number): Promise<{ requests: number; found: string[]; total: number }> {
  const world = createScaleWorld({ dags, runsPerDag: 8, failedInLastDay: FAILED });
  const emulator = await startAirflowEmulator({ world, users: [{ username: 'u', password: 'scale-pass' }] });
  const mcp = await connectCli({
    AIRFLOW_URL: emulator.url,
    AIRFLOW_USERNAME: 'u',
    AIRFLOW_PASSWORD: 'scale-pass',
  });
  try {
    emulator.resetRequests();
    const answer = await mcp.call('list_failed_pipelines', { hours: 24, limit: 100 });
    assert.equal(answer.isError, false, answer.text);
    const out = answer.structured as { total_failures: number; failures: { pipeline_id: string }[] };
    return {
      requests: emulator.requests.length,
      found: [...new Set(out.failures.map((p) => p.pipeline_id))].sort(),
      total: out.total_failures,
    };
  } finally {
    await mcp.close();
    await emulator.close();
  }
}

describe('failure sweep at scale', () => {
  test(`finds all ${FAILED} failures among 5,000 DAGs with a request count independent of the DAG count`, async () => {
    const small = await sweep(500);
    const large = await sweep(5000);
    const expected = scaleFailedIndexes(5000, FAILED).map(scaleDagId).sort();
    assert.equal(large.total, FAILED);
    assert.deepEqual(large.found, expected);
    assert.equal(small.total, FAILED);
    assert.equal(
      large.requests,
      small.requests,
      `500 DAGs: ${small.requests} requests, 5,000 DAGs: ${large.requests}`,
    );
    // auth + failed runs + their DAGs + their failed tasks, then two reads per digested failure (5 by default).
    assert.ok(large.requests <= 4 + 2 * 5, `${large.requests} requests`);
  });
});
