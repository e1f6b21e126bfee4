import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { orchestratorConfig, type TlsConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import { AirflowAdapter } from './adapter.js';
import { json, startFakeServer, v2DagBody, type FakeServer } from './fake-server.test-util.js';

/** An HTTPS server on 127.0.0.1 with a self-signed certificate made for this run. */
describe('TLS toward Airflow', () => {
  let server: FakeServer;
  let cert: string;
  const adapters: AirflowAdapter[] = [];

  before(async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 3600_000),
      notAfterDate: new Date(Date.now() + 24 * 3600_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    cert = pems.cert;
    server = await startFakeServer({ key: pems.private, cert: pems.cert });
    server.use((req, res) => {
      if (req.url === '/api/v2/dags/tls_dag') return json(res, 200, v2DagBody('tls_dag'));
      json(res, 404, { detail: 'Not Found' });
    });
  });

  after(async () => {
    for (const a of adapters) await a.close();
    await server.close();
  });

  const adapter = (tls: TlsConfig) => {
    const a = new AirflowAdapter(
      orchestratorConfig({ name: 'tls-airflow', type: 'airflow', url: server.url, api_version: 'v2', tls }),
      { retryInitialDelayMs: 1 },
    );
    adapters.push(a);
    return a;
  };

  it('refuses a certificate it cannot verify by default, naming the orchestrator and the fix', async () => {
    let error: unknown;
    try {
      await adapter({ ca_pem: null, verify: true }).getPipeline('tls_dag');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof MonitorError, String(error));
    assert.equal(error.kind, 'upstream_unavailable');
    assert.equal(error.orchestrator, 'tls-airflow');
    assert.match(
      error.message,
      /^tls-airflow: refused the TLS certificate of Airflow at 127\.0\.0\.1:\d+ \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/,
    );
    assert.match(error.hint ?? '', /tls\.ca_file/);
    assert.equal(server.seen.length, 0, 'no request reached the server');
  });

  it('trusts it when it is the configured CA (in addition to the default roots)', async () => {
    const p = await adapter({ ca_pem: cert, verify: true }).getPipeline('tls_dag');
    assert.equal(p.pipeline_id, 'tls_dag');
    assert.equal(p.url, `${server.url}/dags/tls_dag`);
  });

  it('accepts it without verification only when verify is false', async () => {
    const p = await adapter({ ca_pem: null, verify: false }).getPipeline('tls_dag');
    assert.equal(p.pipeline_id, 'tls_dag');
  });
});
