import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { demoEnvironment, startDemoWorld, type DemoWorld } from '../../app/demo-world.js';
import { DEMO_FACTS } from '../../emulators/world/index.js';
import {
  connectHttp,
  extendConfig,
  postJsonRpc,
  rawRequest,
  startHttpCli,
  type HttpCli,
} from '../http-harness.js';
import { CLI_PATH } from '../mcp-harness.js';

const upstreamCount = (world: DemoWorld) => world.emulators.reduce((n, e) => n + e.requests.length, 0);

describe('MCP over streamable HTTP on loopback (no auth)', () => {
  let world: DemoWorld;
  let server: HttpCli;
  before(async () => {
    world = await startDemoWorld();
    server = await startHttpCli(
      extendConfig(demoEnvironment(world), { http: { max_body_bytes: 64 * 1024 } }),
    );
  });
  after(async () => {
    await server?.stop();
    await world?.close();
  });

  for (const modern of [false, true]) {
    test(`a ${modern ? '2026-07-28' : '2025-era'} client lists the tools and gets answers`, async () => {
      const mcp = await connectHttp(server.url, { modern });
      try {
        const { tools } = await mcp.client.listTools();
        assert.ok(tools.some((t) => t.name === 'list_failed_pipelines'));
        assert.ok(
          tools.some((t) => t.name === 'trigger_pipeline'),
          'triggers are enabled in the demo world',
        );
        const status = await mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.latestFailure.dagId });
        assert.equal(status.isError, false, status.text);
        assert.match(status.text, new RegExp(DEMO_FACTS.latestFailure.failedTask));
        const failed = await mcp.call('list_failed_pipelines', { hours: 24 });
        assert.equal(failed.isError, false, failed.text);
        assert.ok(Number((failed.structured as { total_failures: number }).total_failures) > 0);
      } finally {
        await mcp.close();
      }
    });
  }

  test('stateless: a tools/call without any handshake is answered (any replica can take any request)', async () => {
    const answer = await postJsonRpc(server.url, {
      method: 'tools/call',
      params: { name: 'get_pipeline_status', arguments: { pipeline_id: DEMO_FACTS.healthy.dagId } },
    });
    assert.equal(answer.status, 200, answer.body);
    assert.match(answer.body, /daily_sales_etl/);
  });

  test('/healthz and /readyz answer 200 with any Host (platform probes use the pod address)', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const answer = await rawRequest(`${server.origin}${path}`, { headers: { host: '10.1.2.3:8080' } });
      assert.equal(answer.status, 200, path);
    }
    assert.match((await rawRequest(`${server.origin}/readyz`)).body, /ready/);
  });

  test('DNS rebinding: a foreign Host is a 403, before anything reaches an orchestrator', async () => {
    const before = upstreamCount(world);
    const answer = await postJsonRpc(
      server.url,
      { method: 'tools/call', params: { name: 'list_all_pipelines', arguments: {} } },
      { host: `attacker.example:${new URL(server.url).port}` },
    );
    assert.equal(answer.status, 403);
    assert.match(answer.body, /Invalid Host/);
    assert.equal(upstreamCount(world), before);
  });

  test('a page on another site (Origin) is a 403; a local origin and no Origin are fine', async () => {
    const before = upstreamCount(world);
    const call = { method: 'tools/call', params: { name: 'list_all_pipelines', arguments: { limit: 1 } } };
    const foreign = await postJsonRpc(server.url, call, { origin: 'https://attacker.example' });
    assert.equal(foreign.status, 403);
    const opaque = await postJsonRpc(server.url, call, { origin: 'null' });
    assert.equal(opaque.status, 403);
    assert.equal(upstreamCount(world), before);
    const local = await postJsonRpc(server.url, call, { origin: 'http://localhost:3000' });
    assert.equal(local.status, 200, local.body);
  });

  test('a body over http.max_body_bytes is a 413, with or without Content-Length, and calls nothing', async () => {
    const before = upstreamCount(world);
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'list_all_pipelines', arguments: { search: 'x'.repeat(100 * 1024) } },
    });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const withLength = await rawRequest(server.url, { method: 'POST', headers, body: huge });
    assert.equal(withLength.status, 413);
    const chunked = await rawRequest(server.url, {
      method: 'POST',
      headers: { ...headers, 'transfer-encoding': 'chunked' },
      body: huge,
    });
    assert.equal(chunked.status, 413);
    assert.equal(upstreamCount(world), before);
  });

  test('other paths are 404; the metadata document exists only when auth is configured', async () => {
    assert.equal((await rawRequest(`${server.origin}/`)).status, 404);
    assert.equal((await rawRequest(`${server.origin}/.well-known/oauth-protected-resource`)).status, 404);
  });
});

describe('refusals at startup', () => {
  const run = (args: string[], env: Record<string, string> = {}, input = '') =>
    spawnSync(process.execPath, [CLI_PATH, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      input,
      timeout: 20_000,
    });

  test('listening beyond loopback without auth exits 2 with a clear message', () => {
    for (const address of ['0.0.0.0:0', '[::]:0', '192.0.2.10:8080']) {
      const result = run(['--demo', '--http', address]);
      assert.equal(result.status, 2, `${address}: ${result.stderr}`);
      assert.match(result.stderr, /not a loopback address\) without authentication/);
      assert.match(result.stderr, /auth\.tokens or auth\.oauth/);
    }
  });

  test('a malformed --http exits 2', () => {
    for (const value of ['http://x:1', '99999', 'host:', '']) {
      const result = run(['--demo', '--http', value]);
      assert.equal(result.status, 2, value);
      assert.match(result.stderr, /--http/);
    }
  });

  test('hash-token prints the SHA-256 of stdin; a short token is refused', () => {
    const token = 'k5P0yZ7pD2uJ9wQ4rT1sV8xB3nM6cL0aE2fG5hJ8';
    const ok = run(['hash-token'], {}, `${token}\n`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `${createHash('sha256').update(token).digest('hex')}\n`);
    const short = run(['hash-token'], {}, 'hunter2');
    assert.equal(short.status, 2);
    assert.equal(short.stdout, '');
    assert.doesNotMatch(short.stderr, /hunter2/);
  });
});

describe('confirming a write over stateless HTTP', () => {
  for (const modern of [true, false]) {
    const how = modern
      ? '2026-07-28: through the client form (an input_required round, no session needed)'
      : '2025-era: no server→client request without a session, so the two-step token instead';
    test(how, async () => {
      const world = await startDemoWorld({ orchestrators: ['airflow'] });
      const server = await startHttpCli(demoEnvironment(world));
      const asked: string[] = [];
      const mcp = await connectHttp(server.url, {
        modern,
        elicit: (message) => {
          asked.push(message);
          return { action: 'accept', content: { confirm: true } };
        },
      });
      try {
        const args = { pipeline_id: 'daily_sales_etl', reason: 'http confirmation' };
        let result = await mcp.call('trigger_pipeline', args);
        assert.equal(result.isError, false, result.text);
        if (!modern) {
          assert.equal(asked.length, 0);
          const preview = result.structured as { status: string; confirmation: { token: string } };
          assert.equal(preview.status, 'confirmation_required');
          result = await mcp.call('trigger_pipeline', {
            ...args,
            confirmation_token: preview.confirmation.token,
          });
        } else {
          assert.equal(asked.length, 1);
          assert.match(asked[0] ?? '', /daily_sales_etl/);
        }
        assert.equal((result.structured as { status: string }).status, 'started', result.text);
        const posts = world
          .emulator('airflow')
          .requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dags/daily_sales_etl/dagRuns'));
        assert.equal(posts.length, 1);
      } finally {
        await mcp.close();
        await server.stop();
        await world.close();
      }
    });
  }
});
