import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { orchestratorConfig, type OrchestratorConfig } from '../../core/config.js';
import { AirflowAdapter } from './adapter.js';
import { json, startFakeServer, v1DagBody, v2DagBody, type FakeServer } from './fake-server.test-util.js';
import { rejection } from '../../test/assertions.js';

function config(url: string, fields: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
  return orchestratorConfig({
    name: 'detect-me',
    type: 'airflow',
    url,
    auth: { kind: 'basic', username: 'u', password: 'Detect-Secret-1' },
    timeout_ms: 2000,
    ...fields,
  });
}

describe('API version detection', () => {
  let server: FakeServer;
  const adapters: AirflowAdapter[] = [];
  const adapter = (fields: Partial<OrchestratorConfig> = {}) => {
    const a = new AirflowAdapter(config(server.url, fields), { retryInitialDelayMs: 1 });
    adapters.push(a);
    return a;
  };

  before(async () => {
    server = await startFakeServer();
  });
  after(async () => {
    for (const a of adapters) await a.close();
    await server.close();
  });

  it('finds Airflow 2 after a 404 from /api/v2, once, and then speaks v1 with HTTP Basic', async () => {
    const auth: string[] = [];
    server.use((req, res) => {
      if (req.url === '/api/v1/version') return json(res, 200, { version: '2.10.5', git_version: null });
      if (req.url === '/api/v1/dags/a') {
        auth.push(req.headers.authorization ?? '');
        return json(res, 200, v1DagBody('a'));
      }
      json(res, 404, { detail: null, status: 404, title: 'Not Found', type: 'about:blank' });
    });
    const a = adapter();
    assert.equal(a.apiVersion, null);
    const [p1, p2] = await Promise.all([a.getPipeline('a'), a.getPipeline('a')]);
    assert.equal(p1.schedule, '@daily');
    assert.equal(p2.url, `${server.url}/dags/a/grid`);
    assert.equal(a.apiVersion, 'v1');
    await a.getPipeline('a');
    assert.deepEqual(server.seen, [
      'POST /auth/token',
      'GET /api/v2/version',
      'GET /api/v1/version',
      'GET /api/v1/dags/a',
      'GET /api/v1/dags/a',
      'GET /api/v1/dags/a',
    ]);
    assert.ok(auth.every((h) => h === `Basic ${Buffer.from('u:Detect-Secret-1').toString('base64')}`));
  });

  it('with a username/password, the Airflow 3 token exchange is the probe, and its token is kept', async () => {
    const auth: string[] = [];
    const jwt = `${Buffer.from('{"alg":"HS512"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'u', exp: Date.now() / 1000 + 3600 }),
    ).toString('base64url')}.sig`;
    server.use((req, res) => {
      if (req.method === 'POST' && req.url === '/auth/token') return json(res, 201, { access_token: jwt });
      if (req.url === '/api/v2/dags/a') {
        auth.push(req.headers.authorization ?? '');
        return json(res, 200, v2DagBody('a'));
      }
      json(res, 404, { detail: 'Not Found' });
    });
    const a = adapter();
    await a.getPipeline('a');
    await a.getPipeline('a');
    assert.equal(a.apiVersion, 'v2');
    assert.deepEqual(server.seen, ['POST /auth/token', 'GET /api/v2/dags/a', 'GET /api/v2/dags/a']);
    assert.deepEqual(auth, [`Bearer ${jwt}`, `Bearer ${jwt}`]);
  });

  it('finds Airflow 3 with one probe (static token)', async () => {
    server.use((req, res) => {
      if (req.url === '/api/v2/version') return json(res, 200, { version: '3.1.0', git_version: null });
      if (req.url === '/api/v2/dags/a') return json(res, 200, v2DagBody('a'));
      json(res, 404, { detail: 'Not Found' });
    });
    const a = adapter({ auth: { kind: 'token', token: 'static-tok-123' } });
    await a.getPipeline('a');
    assert.equal(a.apiVersion, 'v2');
    assert.deepEqual(server.seen, ['GET /api/v2/version', 'GET /api/v2/dags/a']);
  });

  it('does not probe when the version is pinned', async () => {
    server.use((req, res) => {
      if (req.url === '/api/v1/dags/a') return json(res, 200, v1DagBody('a'));
      json(res, 404, {});
    });
    const a = adapter({ api_version: 'v1' });
    assert.equal(a.apiVersion, 'v1');
    await a.getPipeline('a');
    assert.deepEqual(server.seen, ['GET /api/v1/dags/a']);
  });

  it('names what it tried when the URL serves neither API, and tries again next time', async () => {
    server.use((req, res) => {
      if (req.url === '/api/v2/version') {
        res.setHeader('content-type', 'text/html');
        return res.end('<html>Welcome to nginx</html>');
      }
      json(res, 404, {});
    });
    const a = adapter();
    const e = await rejection(a.listPipelines({}));
    assert.equal(e.kind, 'upstream_error');
    assert.equal(e.orchestrator, 'detect-me');
    assert.match(e.message, /^detect-me: no Airflow REST API found at 127\.0\.0\.1:\d+/);
    assert.match(e.message, /GET \/api\/v2\/version answered HTTP 200 without Airflow's version JSON/);
    assert.match(e.message, /GET \/api\/v1\/version answered HTTP 404/);
    assert.match(e.hint ?? '', /api_version/);
    assert.ok(!e.message.includes('Detect-Secret-1'));
    await rejection(a.listPipelines({}));
    assert.equal(server.seen.length, 6, 'a failed detection is not cached');
  });

  it('reads an oversized answer to a probe as "not this one"', async () => {
    server.use((req, res) => {
      if (req.url === '/api/v1/version') return json(res, 200, { version: '2.9.3' });
      if (req.url === '/api/v1/dags/a') return json(res, 200, v1DagBody('a'));
      res.setHeader('content-type', 'text/html');
      res.end(`<html>${'x'.repeat(2 * 1024 * 1024)}</html>`); // a catch-all page, also for POST /auth/token
    });
    const a = adapter();
    assert.equal((await a.getPipeline('a')).pipeline_id, 'a');
    assert.equal(a.apiVersion, 'v1');
  });

  it('reports a proxy that wants credentials even for /version as an auth problem', async () => {
    server.use((_req, res) => json(res, 401, { message: 'proxy login required' }));
    const e = await rejection(adapter().getPipeline('a'));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /HTTP 401/);
    assert.match(e.hint ?? '', /api_version/);
  });

  it('reports an unreachable server as upstream_unavailable, not as a detection failure', async () => {
    const gone = await startFakeServer();
    const url = gone.url;
    await gone.close();
    const a = new AirflowAdapter(config(url), { retryInitialDelayMs: 1 });
    adapters.push(a);
    const e = await rejection(a.getPipeline('a'));
    assert.equal(e.kind, 'upstream_unavailable');
    assert.equal(e.orchestrator, 'detect-me');
  });
});
