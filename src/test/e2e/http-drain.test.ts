import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAirflowEmulator, type AirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { connectHttp, postJsonRpc, rawRequest, startHttpCli } from '../http-harness.js';

/** An Airflow whose daily_sales_etl endpoints can be made slow; `arrived` resolves when a slow request came in. */
async function slowableAirflow(delayMs: number) {
  let slow = false;
  let arrived: () => void = () => undefined;
  const emulator: AirflowEmulator = await startAirflowEmulator({
    world: createDemoWorld(),
    users: [{ username: 'u', password: 'drain-pass' }],
    latencyMs: (req) => {
      if (!slow || !req.path.includes('/dags/daily_sales_etl')) return 0;
      arrived();
      return delayMs;
    },
  });
  return {
    emulator,
    slowDown(): Promise<void> {
      slow = true;
      return new Promise((resolve) => (arrived = resolve));
    },
  };
}

function config(url: string, drainSeconds: number): Record<string, string> {
  const path = join(mkdtempSync(join(tmpdir(), 'pm-drain-')), 'config.yaml');
  writeFileSync(
    path,
    `orchestrators:\n  - { name: af, type: airflow, url: "${url}", auth: { username: u, password: drain-pass } }\nhttp: { drain_timeout_seconds: ${drainSeconds} }\n`,
  );
  return { PIPELINE_MONITOR_CONFIG: path };
}

async function until(check: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

test('SIGTERM during a slow call: readyz 503, new calls 503, the call in flight finishes, exit 0', async () => {
  const { emulator, slowDown } = await slowableAirflow(2_500);
  const server = await startHttpCli(config(emulator.url, 20));
  const mcp = await connectHttp(server.url);
  try {
    assert.equal((await mcp.call('list_all_pipelines', { limit: 1 })).isError, false);
    const arrived = slowDown();
    const pending = mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
    await arrived;
    server.child.kill('SIGTERM');
    const draining = await until(async () => (await rawRequest(`${server.origin}/readyz`)).status === 503);
    assert.ok(draining, 'readyz turned 503 while the call was in flight');
    assert.equal((await rawRequest(`${server.origin}/healthz`)).status, 200, 'still alive');
    const refused = await postJsonRpc(server.url, { method: 'tools/list' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(server.child.exitCode, null, 'still serving the call in flight');

    const answer = await pending;
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /daily_sales_etl/);
    assert.equal(await server.exited, 0);
    assert.match(server.stderr(), /draining/);
    assert.doesNotMatch(server.stderr(), /drain timeout/);
  } finally {
    await mcp.close().catch(() => undefined);
    await server.stop();
    await emulator.close();
  }
});

test('a call longer than the drain timeout does not hold the shutdown: exit 0 soon after the timeout', async () => {
  const { emulator, slowDown } = await slowableAirflow(8_000);
  const server = await startHttpCli(config(emulator.url, 1));
  const mcp = await connectHttp(server.url);
  try {
    assert.equal((await mcp.call('list_all_pipelines', { limit: 1 })).isError, false);
    const arrived = slowDown();
    const pending = mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' }).then(
      () => 'answered',
      () => 'cut off',
    );
    await arrived;
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    const ms = Date.now() - signalled;
    assert.ok(ms >= 900 && ms < 6_500, `exited ${ms} ms after SIGTERM`);
    assert.equal(await pending, 'cut off');
    assert.match(server.stderr(), /drain timeout/);
  } finally {
    await mcp.close().catch(() => undefined);
    await server.stop();
    await emulator.close();
  }
});

test('an open subscriptions/listen stream does not hold the shutdown: it is closed, calls in flight still finish', async () => {
  const { emulator, slowDown } = await slowableAirflow(1_500);
  const server = await startHttpCli(config(emulator.url, 20));
  const listener = await connectHttp(server.url, { modern: true, listen: true });
  const mcp = await connectHttp(server.url, { modern: true });
  try {
    assert.equal((await mcp.call('list_all_pipelines', { limit: 1 })).isError, false);
    const arrived = slowDown();
    const pending = mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
    await arrived;
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const answer = await pending;
    assert.equal(answer.isError, false, answer.text);
    assert.equal(await server.exited, 0);
    const ms = Date.now() - signalled;
    assert.ok(ms < 6_000, `exited ${ms} ms after SIGTERM, not after the 20 s drain timeout`);
    assert.doesNotMatch(server.stderr(), /drain timeout/);
  } finally {
    await listener.close().catch(() => undefined);
    await mcp.close().catch(() => undefined);
    await server.stop();
    await emulator.close();
  }
});
