import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDemoWorld, DEMO_FACTS } from '../world/index.js';
import { Harness, TEST_NOW } from './harness.test.util.js';
import type { FaultRequest, FaultResponse, RequestInfo } from './index.js';
import { V1Harness } from './v1-harness.test.util.js';

/** Per-request latency and fault injection, on both API versions. */

const F = DEMO_FACTS;

const HTML_502 =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/** Hostile upstream answers, by path. */
function hostile(req: FaultRequest): FaultResponse | null {
  if (req.path.endsWith('/dags') && req.query.includes('fault=html')) {
    return { status: 502, body: HTML_502, contentType: 'text/html' };
  }
  if (req.path.endsWith('/dags') && req.query.includes('fault=500')) {
    return { status: 500, body: '{"detail": "Internal Server Error"}' };
  }
  if (req.path.endsWith('/dags') && req.query.includes('fault=truncated')) {
    return { status: 200, body: '{"dags": [{"dag_id": "a"' };
  }
  if (req.path.includes(`/dags/${F.healthy.dagId}/dagRuns`) && req.method === 'GET') {
    // A well-formed JSON body missing the required total_entries.
    return { status: 200, body: '{"dag_runs": []}' };
  }
  if (req.path.endsWith('/version')) {
    return { status: 429, body: 'slow down', contentType: 'text/plain', headers: { 'Retry-After': '7' } };
  }
  return null;
}

for (const version of ['v1', 'v2'] as const) {
  const prefix = `/api/${version}`;
  /** A client for either version, already authenticated. */
  const start = async (options: Parameters<typeof Harness.start>[0]) => {
    if (version === 'v1') {
      const h = await V1Harness.start(options);
      return {
        emulator: h.emulator,
        get: (path: string, auth = true) => h.get(path, auth ? {} : { basic: null }),
        authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        close: () => h.close(),
      };
    }
    const h = await Harness.start(options);
    return {
      emulator: h.emulator,
      get: (path: string, auth = true) => h.get(path, auth ? {} : { token: null }),
      authorization: `Bearer ${h.token}`,
      close: () => h.close(),
    };
  };

  describe(`Airflow emulator ${version}: latency and faults`, () => {
    test('latencyMs as a function delays only the endpoints it names, and sees method and path', async () => {
      const seen: RequestInfo[] = [];
      const c = await start({
        world: createDemoWorld({ now: TEST_NOW }),
        latencyMs: (req) => {
          seen.push(req);
          return req.path.endsWith('/dagRuns') ? 150 : 0;
        },
      });
      try {
        let started = Date.now();
        assert.equal((await c.get(`${prefix}/dags/~/dagRuns?limit=1`)).status, 200);
        assert.ok(Date.now() - started >= 145, 'the slow endpoint waited');
        started = Date.now();
        assert.equal((await c.get(`${prefix}/dags?limit=1`)).status, 200);
        assert.ok(
          seen.some((r) => r.method === 'GET' && r.path === `${prefix}/dags/~/dagRuns`),
          JSON.stringify(seen),
        );
        assert.ok(seen.some((r) => r.path === `${prefix}/dags`));
      } finally {
        await c.close();
      }
    });

    test('faults replace the real answer (HTML 502, 500, truncated JSON, missing field, 429 + Retry-After) and are recorded', async () => {
      const c = await start({ world: createDemoWorld({ now: TEST_NOW }), faults: hostile });
      try {
        c.emulator.resetRequests();
        const html = await c.get(`${prefix}/dags?fault=html`);
        assert.equal(html.status, 502);
        assert.equal(html.contentType, 'text/html');
        assert.equal(html.text, HTML_502);
        const error = await c.get(`${prefix}/dags?fault=500`);
        assert.equal(error.status, 500);
        const truncated = await fetch(`${c.emulator.url}${prefix}/dags?fault=truncated`, {
          headers: { authorization: c.authorization },
        });
        assert.equal(truncated.status, 200);
        assert.equal(truncated.headers.get('content-type'), 'application/json');
        const text = await truncated.text();
        assert.throws(() => JSON.parse(text), SyntaxError);
        const missing = await c.get(`${prefix}/dags/${F.healthy.dagId}/dagRuns`);
        assert.deepEqual(missing.body, { dag_runs: [] });
        const limited = await c.get(`${prefix}/version`, false);
        assert.equal(limited.status, 429, 'public routes are faulted without credentials');
        assert.equal(limited.headers.get('retry-after'), '7');
        assert.equal((await c.get(`${prefix}/dags?limit=1`)).status, 200, 'no fault: the real route');
        assert.deepEqual(
          c.emulator.requests.map((r) => [r.path, r.query, r.status]),
          [
            [`${prefix}/dags`, 'fault=html', 502],
            [`${prefix}/dags`, 'fault=500', 500],
            [`${prefix}/dags`, 'fault=truncated', 200],
            [`${prefix}/dags/${F.healthy.dagId}/dagRuns`, '', 200],
            [`${prefix}/version`, '', 429],
            [`${prefix}/dags`, 'limit=1', 200],
          ],
        );
      } finally {
        await c.close();
      }
    });

    test('a fault comes after authentication: without credentials the answer is the real 401', async () => {
      const c = await start({ world: createDemoWorld({ now: TEST_NOW }), faults: hostile });
      try {
        c.emulator.resetRequests();
        const reply = await c.get(`${prefix}/dags?fault=html`, false);
        assert.equal(reply.status, 401);
        assert.deepEqual(c.emulator.requests, [
          { method: 'GET', path: `${prefix}/dags`, query: 'fault=html', status: 401 },
        ]);
      } finally {
        await c.close();
      }
    });
  });
}
