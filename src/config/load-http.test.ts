import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './config-error.js';
import { loadSettings } from './load.js';
import { HTTP_DEFAULTS } from './settings.js';
import { configFile } from './config-file.test.util.js';

const ORCHESTRATOR = 'orchestrators: [{ name: a, type: airflow, url: "http://a" }]\n';
const HASH = 'A'.repeat(64);

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return loadSettings(configFile(ORCHESTRATOR + yaml), env);
}

function refusal(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a configuration error');
}

test('without http and auth sections: the defaults, and nobody authenticated', () => {
  const settings = load('');
  assert.deepEqual(settings.http, HTTP_DEFAULTS);
  assert.deepEqual(settings.auth, { tokens: [], oauth: null });
});

test('http, static tokens and oauth are read with their defaults filled in', () => {
  const settings = load(
    `http:
  host: 0.0.0.0
  public_url: https://pipelines.example.com/mcp
  allowed_hosts: [pipelines.internal]
  allowed_origins: ["https://App.Example.com:8443", claude.ai]
  max_body_bytes: 65536
  drain_timeout_seconds: 10
  rate_limit: { requests_per_minute: 60 }
auth:
  tokens:
    - { name: dashboards, sha256: "${HASH}" }
    - { name: ops, sha256: "${'b'.repeat(64)}", scopes: [pipelines:read, pipelines:trigger] }
  oauth:
    issuer: \${ISSUER}
    jwks_url: https://auth.example.com/.well-known/jwks.json
`,
    { ISSUER: 'https://auth.example.com/' },
  );
  assert.deepEqual(settings.http, {
    host: '0.0.0.0',
    public_url: 'https://pipelines.example.com/mcp',
    allowed_hosts: ['pipelines.internal'],
    allowed_origins: ['app.example.com', 'claude.ai'],
    max_body_bytes: 65536,
    drain_timeout_ms: 10_000,
    requests_per_minute: 60,
  });
  assert.deepEqual(settings.auth?.tokens, [
    { name: 'dashboards', sha256: 'a'.repeat(64), scopes: ['pipelines:read'] },
    { name: 'ops', sha256: 'b'.repeat(64), scopes: ['pipelines:read', 'pipelines:trigger'] },
  ]);
  assert.deepEqual(settings.auth?.oauth, {
    issuer: 'https://auth.example.com/',
    jwks_url: 'https://auth.example.com/.well-known/jwks.json',
    audience: null,
    algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    authorization_servers: ['https://auth.example.com/'],
    clock_tolerance_seconds: 30,
  });
});

test('symmetric and unsigned JWT algorithms cannot be configured', () => {
  for (const alg of ['HS256', 'none']) {
    const error = refusal(
      `auth: { oauth: { issuer: i, jwks_url: "https://k/jwks", algorithms: [RS256, ${alg}] } }\n`,
    );
    assert.equal(error.key, 'auth.oauth.algorithms[1]');
    assert.match(error.problem, /must be one of "RS256"/);
  }
});

test('a token that is not a SHA-256 is refused by key, without echoing it', () => {
  const error = refusal('auth: { tokens: [{ name: ci, sha256: "my-plain-Secret-token-1234567890" }] }\n');
  assert.equal(error.key, 'auth.tokens[0].sha256');
  assert.match(error.problem, /hash-token/);
  assert.doesNotMatch(error.message, /my-plain-Secret/);
});

test('other refusals name the key', () => {
  const cases: [string, string][] = [
    ['auth: { oauth: { issuer: i, jwks_url: "http://idp.example/jwks" } }\n', 'auth.oauth.jwks_url'],
    [
      `auth: { tokens: [{ name: a, sha256: "${HASH}" }, { name: a, sha256: "${'c'.repeat(64)}" }] }\n`,
      'auth.tokens[1].name',
    ],
    [
      `auth: { tokens: [{ name: a, sha256: "${HASH}" }, { name: b, sha256: "${HASH.toLowerCase()}" }] }\n`,
      'auth.tokens[1].sha256',
    ],
    [`auth: { tokens: [{ name: a, sha256: "${HASH}", scopes: [admin] }] }\n`, 'auth.tokens[0].scopes[0]'],
    ['http: { port: 8080 }\n', 'http'],
    ['http: { max_body_bytes: 10 }\n', 'http.max_body_bytes'],
    ['http: { public_url: "https://user:pw@x/mcp" }\n', 'http.public_url'],
    ['http: { allowed_hosts: ["https://x"] }\n', 'http.allowed_hosts[0]'],
  ];
  for (const [yaml, key] of cases) assert.equal(refusal(yaml).key, key, yaml);
});

test('a JWKS over plain http is accepted on loopback only', () => {
  const settings = load('auth: { oauth: { issuer: i, jwks_url: "http://127.0.0.1:9000/jwks" } }\n');
  assert.equal(settings.auth?.oauth?.jwks_url, 'http://127.0.0.1:9000/jwks');
});
