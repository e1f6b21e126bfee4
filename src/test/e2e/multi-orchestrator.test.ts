import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAirflowEmulator, type AirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { connectCli, type McpSession } from '../mcp-harness.js';

/** A port nothing listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('several orchestrators of one type, one of them down', () => {
  let east: AirflowEmulator;
  let west: AirflowEmulator;
  let mcp: McpSession;
  before(async () => {
    const now = new Date();
    east = await startAirflowEmulator({
      world: createDemoWorld({ now, seed: 1 }),
      users: [{ username: 'a', password: 'east-pass' }],
    });
    west = await startAirflowEmulator({
      world: createDemoWorld({ now, seed: 2 }),
      staticTokens: ['west-static-token'],
    });
    const dir = mkdtempSync(join(tmpdir(), 'pm-multi-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `orchestrators:
  - { name: east, type: airflow, url: "${east.url}", auth: { username: a, password: "\${EAST_PASSWORD}" } }
  - { name: west, type: airflow, url: "${west.url}", auth: { token: west-static-token } }
  - { name: down, type: airflow, url: "http://127.0.0.1:${await deadPort()}", auth: { token: t0ken-down }, timeout_seconds: 3 }
`,
    );
    mcp = await connectCli({ EAST_PASSWORD: 'east-pass' }, ['--config', config]);
  });
  after(async () => {
    await mcp?.close();
    await east?.close();
    await west?.close();
  });

  test('a bare id on two orchestrators is ambiguous and lists both; a qualified one resolves', async () => {
    const answer = await mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /east:daily_sales_etl/);
    assert.match(answer.text, /west:daily_sales_etl/);
    const east = await mcp.call('get_pipeline_status', { pipeline_id: 'east:daily_sales_etl' });
    assert.equal(east.isError, false, east.text);
    assert.equal((east.structured as { pipeline: { orchestrator: string } }).pipeline.orchestrator, 'east');
  });

  test('lists merge both live orchestrators and name the one that is down', async () => {
    const answer = await mcp.call('list_failed_pipelines', { hours: 24 });
    assert.equal(answer.isError, false, answer.text);
    const out = answer.structured as {
      failed_pipelines: { orchestrator: string }[];
      unavailable: { orchestrator: string; reason: string }[];
    };
    const sources = new Set(out.failed_pipelines.map((p) => p.orchestrator));
    assert.deepEqual([...sources].sort(), ['east', 'west']);
    assert.deepEqual(
      out.unavailable.map((u) => u.orchestrator),
      ['down'],
    );
    assert.match(answer.text, /down did not answer/);
    assert.doesNotMatch(answer.text + JSON.stringify(out), /t0ken-down|east-pass|west-static-token/);
  });

  test('an orchestrator filter narrows to one', async () => {
    const out = (await mcp.call('list_all_pipelines', { orchestrator: 'west', limit: 500 })).structured as {
      pipelines: { orchestrator: string }[];
      total: number;
    };
    assert.ok(out.total > 0);
    assert.ok(out.pipelines.every((p) => p.orchestrator === 'west'));
  });

  test('asking the down orchestrator alone is a clear error naming it', async () => {
    const answer = await mcp.call('get_pipeline_status', { pipeline_id: 'down:daily_sales_etl' });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /down/);
    assert.match(answer.text, /unavailable|unreachable|refused/i);
  });
});
