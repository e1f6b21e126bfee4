import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { demoEnvironment, startDemoWorld, type DemoWorld } from '../../app/demo-world.js';
import {
  connectHttp,
  extendConfig,
  postJsonRpc,
  rawRequest,
  startHttpCli,
  startRecordingProxy,
  type HttpCli,
  type RecordingProxy,
} from '../http-harness.js';

const READ_TOKEN = 'pmt_read_7Q2mX9vL4kR8nB1cZ6tY3wP0sD5fH2jA';
const OPS_TOKEN = 'pmt_ops_3H8kL1qW6zN9xC4vB7mT2rY5pS0dF8gJ';
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

interface KeyPair {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function keyPair(kid: string, alg: 'RS256' | 'ES256'): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey };
}

/** An identity provider's key set on loopback, counting how often it is read. */
async function startJwks(
  keys: KeyPair[],
): Promise<{ url: string; issuer: string; fetches: () => number; server: Server }> {
  const jwks = {
    keys: await Promise.all(
      keys.map(async (k) => ({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: k.alg, use: 'sig' })),
    ),
  };
  let fetches = 0;
  const server = createServer((req, res) => {
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    issuer: `http://127.0.0.1:${port}`,
    fetches: () => fetches,
    server,
  };
}

function auditEntries(path: string): { decision: string; pipeline: string; principal: string | null }[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { decision: string; pipeline: string; principal: string | null });
  } catch {
    return [];
  }
}

describe('HTTP auth: static tokens and OAuth (JWT via JWKS), scopes, and no token reaching an orchestrator', () => {
  let world: DemoWorld;
  let proxy: RecordingProxy;
  let idp: Awaited<ReturnType<typeof startJwks>>;
  let server: HttpCli;
  let rsa: KeyPair;
  let ec: KeyPair;
  let attacker: KeyPair;
  let auditLog: string;
  const inboundTokens: string[] = [READ_TOKEN, OPS_TOKEN];

  const jwt = async (claims: JWTPayload, key: KeyPair = rsa, options: { exp?: number | string } = {}) => {
    const token = await new SignJWT({ scope: 'pipelines:read', ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : idp.issuer)
      .setAudience(claims.aud ?? server.url)
      .setSubject(claims.sub ?? 'alice')
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(key.privateKey);
    inboundTokens.push(token);
    return token;
  };
  const upstream = () => world.emulators.reduce((n, e) => n + e.requests.length, 0) + proxy.seen.length;

  before(async () => {
    [rsa, ec, attacker] = await Promise.all([
      keyPair('rsa-1', 'RS256'),
      keyPair('ec-1', 'ES256'),
      keyPair('rsa-1', 'RS256'),
    ]);
    idp = await startJwks([rsa, ec]);
    world = await startDemoWorld();
    const airflow = world.emulator('airflow');
    proxy = await startRecordingProxy(airflow.url);
    const env = demoEnvironment(world, { triggerConfig: { confirm: 'never' } });
    const config = JSON.parse(readFileSync(env.PIPELINE_MONITOR_CONFIG ?? '', 'utf8')) as {
      orchestrators: { name: string; url: string }[];
      triggers: { audit_log: string };
    };
    auditLog = config.triggers.audit_log;
    server = await startHttpCli(
      extendConfig(env, {
        orchestrators: config.orchestrators.map((o) => (o.name === 'airflow' ? { ...o, url: proxy.url } : o)),
        auth: {
          tokens: [
            { name: 'dashboards', sha256: sha256(READ_TOKEN) },
            { name: 'ops', sha256: sha256(OPS_TOKEN), scopes: ['pipelines:read', 'pipelines:trigger'] },
          ],
          oauth: { issuer: idp.issuer, jwks_url: idp.url },
        },
      }),
    );
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await world?.close();
    idp?.server.close();
  });

  test('no token: 401 pointing at the protected-resource metadata, which names the issuer and scopes', async () => {
    const answer = await postJsonRpc(server.url, { method: 'tools/list' });
    assert.equal(answer.status, 401);
    const metadataUrl = `${server.origin}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(
      answer.headers['www-authenticate'],
      `Bearer resource_metadata="${metadataUrl}", scope="pipelines:read"`,
    );
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const doc = await rawRequest(`${server.origin}${path}`);
      assert.equal(doc.status, 200, path);
      assert.deepEqual(JSON.parse(doc.body), {
        resource: server.url,
        authorization_servers: [idp.issuer],
        scopes_supported: ['pipelines:read', 'pipelines:trigger'],
        bearer_methods_supported: ['header'],
        resource_name: 'pipeline-monitor-mcp',
      });
    }
  });

  for (const modern of [false, true]) {
    const era = modern ? '2026-07-28' : '2025-era';
    test(`${era}: a static token and JWTs signed with RS256 and ES256 are accepted`, async () => {
      for (const token of [READ_TOKEN, await jwt({}), await jwt({ sub: 'bob' }, ec)]) {
        const mcp = await connectHttp(server.url, { token, modern });
        try {
          const answer = await mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
          assert.equal(answer.isError, false, answer.text);
        } finally {
          await mcp.close();
        }
      }
    });
  }

  test('forged and misdirected tokens are 401 invalid_token, and nothing reaches an orchestrator', async () => {
    const now = Math.floor(Date.now() / 1000);
    const publicPem = await exportSPKI(rsa.publicKey);
    const unsecured = new UnsecuredJWT({ scope: 'pipelines:read pipelines:trigger', sub: 'mallory' })
      .setIssuer(idp.issuer)
      .setAudience(server.url)
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    const hs256WithPublicKey = await new SignJWT({ scope: 'pipelines:read' })
      .setProtectedHeader({ alg: 'HS256', kid: rsa.kid })
      .setIssuer(idp.issuer)
      .setAudience(server.url)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    const noExpiry = await new SignJWT({ scope: 'pipelines:read' })
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
      .setIssuer(idp.issuer)
      .setAudience(server.url)
      .setSubject('mallory')
      .sign(rsa.privateKey);
    const forged: Record<string, string> = {
      'bad signature (attacker key, real kid)': await jwt({}, attacker),
      'wrong issuer': await jwt({ iss: 'https://evil.example' }),
      'wrong audience': await jwt({ aud: 'pipeline-monitor' }),
      'a token for another resource': await jwt({ aud: 'https://other-mcp.example/mcp' }),
      expired: await jwt({}, rsa, { exp: now - 120 }),
      'not yet valid': await jwt({ nbf: now + 600 }),
      'alg none': unsecured,
      'HS256 signed with the public key': hs256WithPublicKey,
      'no expiry': noExpiry,
      'an unknown static token': 'pmt_read_7Q2mX9vL4kR8nB1cZ6tY3wP0sD5fH2jB',
      garbage: 'not-a-token',
    };
    inboundTokens.push(unsecured, hs256WithPublicKey, noExpiry);
    // One real call first, so that version detection and logins are done and every count below is pure.
    await postJsonRpc(
      server.url,
      { method: 'tools/call', params: { name: 'list_all_pipelines', arguments: { limit: 1 } } },
      { authorization: `Bearer ${READ_TOKEN}` },
    );
    const before = upstream();
    for (const [label, token] of Object.entries(forged)) {
      const answer = await postJsonRpc(
        server.url,
        { method: 'tools/call', params: { name: 'list_all_pipelines', arguments: {} } },
        { authorization: `Bearer ${token}` },
      );
      assert.equal(answer.status, 401, `${label}: ${answer.body}`);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer error="invalid_token"/, label);
      assert.match(
        String(answer.headers['www-authenticate']),
        /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
        label,
      );
    }
    assert.equal(upstream(), before, 'no request reached an orchestrator');
    assert.doesNotMatch(server.stderr(), /eyJ|pmt_/, 'no token in the server log');
  });

  test('a token without pipelines:read is 403 insufficient_scope with the scope to ask for', async () => {
    const before = upstream();
    const answer = await postJsonRpc(
      server.url,
      { method: 'tools/list' },
      { authorization: `Bearer ${await jwt({ scope: 'openid profile' })}` },
    );
    assert.equal(answer.status, 403);
    const challenge = String(answer.headers['www-authenticate']);
    assert.match(challenge, /^Bearer error="insufficient_scope"/);
    assert.match(challenge, /scope="pipelines:read"/);
    assert.match(
      challenge,
      /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
    );
    assert.equal(upstream(), before);
  });

  test('a write without pipelines:trigger is a 403 step-up challenge on both eras, and starts nothing', async () => {
    const posts = () => world.emulator('airflow').requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    const legacy = await postJsonRpc(
      server.url,
      {
        method: 'tools/call',
        params: { name: 'trigger_pipeline', arguments: { pipeline_id: 'daily_sales_etl' } },
      },
      { authorization: `Bearer ${READ_TOKEN}` },
    );
    assert.equal(legacy.status, 403, legacy.body);
    assert.match(String(legacy.headers['www-authenticate']), /error="insufficient_scope"/);
    assert.match(String(legacy.headers['www-authenticate']), /scope="pipelines:read pipelines:trigger"/);

    const seen: { status: number; challenge: string | null }[] = [];
    const mcp = await connectHttp(server.url, {
      token: await jwt({ sub: 'reader' }),
      modern: true,
      onResponse: (r) => seen.push({ status: r.status, challenge: r.headers.get('www-authenticate') }),
    });
    try {
      await assert.rejects(mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' }));
    } finally {
      await mcp.close();
    }
    const stepUp = seen.find((s) => s.status === 403);
    assert.match(
      stepUp?.challenge ?? '',
      /error="insufficient_scope".*scope="pipelines:read pipelines:trigger"/,
    );
    assert.equal(posts(), before, 'nothing was started');
  });

  test('with pipelines:trigger a write starts the run, and the audit log names the principal', async () => {
    const viaJwt = await connectHttp(server.url, {
      token: await jwt({ sub: 'alice', scope: 'pipelines:read pipelines:trigger' }),
      modern: true,
    });
    const viaStatic = await connectHttp(server.url, { token: OPS_TOKEN });
    try {
      const a = await viaJwt.call('trigger_pipeline', {
        pipeline_id: 'daily_sales_etl',
        reason: 'http auth test',
      });
      assert.equal(a.isError, false, a.text);
      assert.equal((a.structured as { status: string }).status, 'started');
      const b = await viaStatic.call('trigger_pipeline', { pipeline_id: 'sync_inventory' });
      assert.equal(b.isError, false, b.text);
    } finally {
      await viaJwt.close();
      await viaStatic.close();
    }
    const entries = auditEntries(auditLog).map((e) => [e.decision, e.pipeline, e.principal]);
    assert.deepEqual(entries, [
      ['intent', 'airflow:daily_sales_etl', 'oauth:alice'],
      ['accepted', 'airflow:daily_sales_etl', 'oauth:alice'],
      ['intent', 'airflow:sync_inventory', 'token:ops'],
      ['accepted', 'airflow:sync_inventory', 'token:ops'],
    ]);
  });

  test('no inbound token ever reaches an orchestrator (every header and body the Airflow API received)', () => {
    assert.ok(proxy.seen.length > 5, 'the proxy saw the traffic');
    assert.ok(
      proxy.seen.some((r) => r.method === 'POST' && r.url.endsWith('/dagRuns')),
      'including the triggers',
    );
    const everything = JSON.stringify(proxy.seen);
    for (const token of inboundTokens) assert.equal(everything.includes(token), false);
    // What Airflow got is its own credential: a JWT from its /auth/token, never one of ours.
    for (const r of proxy.seen.filter((r) => r.headers.authorization)) {
      assert.doesNotMatch(String(r.headers.authorization), /pmt_/);
    }
  });
});

describe('per-principal rate limit', () => {
  let world: DemoWorld;
  let server: HttpCli;
  const A = 'pmt_rate_a_9sL2kD7fG1hJ4zX8cV3bN6mQ0wE5rT';
  const B = 'pmt_rate_b_4nM8bV1cX6zL3kJ9hG2fD7sA0qW5eR';
  before(async () => {
    world = await startDemoWorld({ orchestrators: ['airflow'] });
    server = await startHttpCli(
      extendConfig(demoEnvironment(world), {
        http: { rate_limit: { requests_per_minute: 3 } },
        auth: {
          tokens: [
            { name: 'a', sha256: sha256(A) },
            { name: 'b', sha256: sha256(B) },
          ],
        },
      }),
    );
  });
  after(async () => {
    await server?.stop();
    await world?.close();
  });

  test('past the limit one principal gets 429 with Retry-After; another is unaffected', async () => {
    const call = { method: 'tools/call', params: { name: 'list_all_pipelines', arguments: { limit: 1 } } };
    for (let i = 0; i < 3; i++) {
      const ok = await postJsonRpc(server.url, call, { authorization: `Bearer ${A}` });
      assert.equal(ok.status, 200, ok.body);
    }
    const before = world.emulators[0]!.requests.length;
    const limited = await postJsonRpc(server.url, call, { authorization: `Bearer ${A}` });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 20);
    assert.equal(
      world.emulators[0]!.requests.length,
      before,
      'a refused call costs the orchestrator nothing',
    );
    const other = await postJsonRpc(server.url, call, { authorization: `Bearer ${B}` });
    assert.equal(other.status, 200, other.body);
  });
});

describe('when the JWKS cannot be read', () => {
  test('a JWT gets a 500 (not a 401: the token may be fine), static tokens still work', async () => {
    const key = await keyPair('k', 'ES256');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const world = await startDemoWorld({ orchestrators: ['airflow'] });
    const server = await startHttpCli(
      extendConfig(demoEnvironment(world), {
        auth: {
          tokens: [{ name: 'a', sha256: sha256(READ_TOKEN) }],
          oauth: { issuer: 'https://idp.example', jwks_url: `http://127.0.0.1:${port}/jwks.json` },
        },
      }),
    );
    try {
      const token = await new SignJWT({ scope: 'pipelines:read' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setIssuer('https://idp.example')
        .setAudience(server.url)
        .setSubject('alice')
        .setExpirationTime('5m')
        .sign(key.privateKey);
      const before = world.emulators[0]!.requests.length;
      const answer = await postJsonRpc(
        server.url,
        { method: 'tools/list' },
        { authorization: `Bearer ${token}` },
      );
      assert.equal(answer.status, 500, answer.body);
      assert.match(server.stderr(), /cannot read the JWKS/);
      assert.equal(world.emulators[0]!.requests.length, before);
      const ok = await postJsonRpc(
        server.url,
        { method: 'tools/list' },
        { authorization: `Bearer ${READ_TOKEN}` },
      );
      assert.equal(ok.status, 200, ok.body);
    } finally {
      await server.stop();
      await world.close();
    }
  });
});
