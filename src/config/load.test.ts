import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './config-error.js';
import { configFile } from './config-file.test.util.js';
import { loadSettings } from './load.js';

const file = (name: string, text: string): string => configFile(text, name);

test('reads YAML with ${VAR} from the environment, several orchestrators of one type', () => {
  const path = file(
    'ok.yaml',
    `orchestrators:
  - name: prod-airflow
    type: airflow
    url: https://airflow.example.com/
    auth: { username: admin, password: \${AIRFLOW_PASSWORD} }
  - name: legacy-airflow
    type: airflow
    url: http://legacy:8080
    auth: { token: \${LEGACY_TOKEN} }
    headers: { X-Proxy: yes }
    timeout_seconds: 5
triggers: { enabled: true }
`,
  );
  const settings = loadSettings(path, { AIRFLOW_PASSWORD: 'pw-123456', LEGACY_TOKEN: 'tok-abcdef' });
  assert.equal(settings.orchestrators.length, 2);
  assert.deepEqual(settings.orchestrators[0]?.auth, {
    kind: 'basic',
    username: 'admin',
    password: 'pw-123456',
  });
  assert.equal(settings.orchestrators[0]?.url, 'https://airflow.example.com');
  assert.deepEqual(settings.orchestrators[1]?.auth, { kind: 'token', token: 'tok-abcdef' });
  assert.equal(settings.orchestrators[1]?.timeout_ms, 5000);
  assert.equal(settings.triggers.enabled, true);
});

test('api_version and TLS settings; verification stays on unless turned off explicitly', () => {
  const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const path = file(
    'tls.yaml',
    `orchestrators:
  - { name: a, type: airflow, url: https://a, api_version: v1, tls: { ca_file: "${ca}" } }
  - { name: b, type: airflow, url: https://b, tls: { verify: false } }
  - { name: c, type: airflow, url: https://c }
`,
  );
  const [a, b, c] = loadSettings(path, {}).orchestrators;
  assert.equal(a?.api_version, 'v1');
  assert.match(a?.tls.ca_pem ?? '', /BEGIN CERTIFICATE/);
  assert.equal(a?.tls.verify, true);
  assert.equal(b?.tls.verify, false);
  assert.deepEqual(c?.tls, { ca_pem: null, verify: true });
  assert.equal(c?.api_version, 'auto');
  const bad = file(
    'badca.yaml',
    `orchestrators:\n  - { name: a, type: airflow, url: https://a, tls: { ca_file: "${path}" } }\n`,
  );
  assert.throws(() => loadSettings(bad, {}), /orchestrators\[0\]\.tls\.ca_file/);
});

test('JSON config and PIPELINE_MONITOR_CONFIG', () => {
  const path = file(
    'ok.json',
    JSON.stringify({ orchestrators: [{ name: 'a', type: 'airflow', url: 'http://a' }] }),
  );
  const settings = loadSettings(undefined, { PIPELINE_MONITOR_CONFIG: path });
  assert.equal(settings.orchestrators[0]?.name, 'a');
  assert.equal(settings.triggers.enabled, false);
});

test('environment quick setup', () => {
  const s = loadSettings(undefined, {
    AIRFLOW_URL: 'http://af:8080',
    AIRFLOW_USERNAME: 'u',
    AIRFLOW_PASSWORD: 'p',
  });
  assert.equal(s.orchestrators[0]?.type, 'airflow');
  assert.deepEqual(s.orchestrators[0]?.auth, { kind: 'basic', username: 'u', password: 'p' });
  const t = loadSettings(undefined, { AIRFLOW_URL: 'http://af:8080', AIRFLOW_TOKEN: 'tok' });
  assert.deepEqual(t.orchestrators[0]?.auth, { kind: 'token', token: 'tok' });
});

test('environment quick setup for Dagster and Prefect, all at once', () => {
  const s = loadSettings(undefined, {
    AIRFLOW_URL: 'http://af:8080',
    DAGSTER_URL: 'https://org.dagster.cloud/prod',
    DAGSTER_CLOUD_API_TOKEN: 'user:abc',
    PREFECT_API_URL: 'http://prefect:4200/api',
    PREFECT_API_KEY: 'pnu_key',
  });
  assert.deepEqual(
    s.orchestrators.map((o) => [o.name, o.type, o.auth.kind]),
    [
      ['airflow', 'airflow', 'none'],
      ['dagster', 'dagster', 'token'],
      ['prefect', 'prefect', 'token'],
    ],
  );
  const basic = loadSettings(undefined, {
    PREFECT_API_URL: 'http://p/api',
    PREFECT_API_AUTH_STRING: 'admin:pw:x',
  });
  assert.deepEqual(basic.orchestrators[0]?.auth, { kind: 'basic', username: 'admin', password: 'pw:x' });
});

test('bad configuration names the key and never the secret', () => {
  const secret = 'SuperSecret-Value-42';
  const cases: [string, RegExp][] = [
    [
      `orchestrators:\n  - { name: a, type: airflw, url: http://a, auth: { username: u, password: ${secret} } }`,
      /orchestrators\[0\]\.type/,
    ],
    [
      `orchestrators:\n  - { name: a, type: airflow, url: "http://u:${secret}@a", auth: { token: t } }`,
      /orchestrators\[0\]\.url/,
    ],
    [
      `orchestrators:\n  - { name: a, type: airflow, url: http://a, auth: { password: ${secret} } }`,
      /orchestrators\[0\]\.auth/,
    ],
    [
      `orchestrators:\n  - { name: a, type: airflow, url: http://a, pasword: ${secret} }`,
      /orchestrators\[0\].*pasword/,
    ],
    [
      `orchestrators:\n  - { name: a, type: airflow, url: http://a }\n  - { name: a, type: airflow, url: http://b }`,
      /orchestrators\[1\]\.name/,
    ],
    [`orchestrators: []`, /orchestrators/],
    [
      `orchestrators:\n  - { name: a, type: airflow, url: http://a, auth: { token: \${MISSING_VAR} } }`,
      /MISSING_VAR/,
    ],
    [`orchestrators: [ {`, /not valid YAML/],
  ];
  cases.forEach(([text, expected], i) => {
    const path = file(`bad${i}.yaml`, text);
    assert.throws(
      () => loadSettings(path, {}),
      (e: unknown) => e instanceof ConfigError && expected.test(e.message) && !e.message.includes(secret),
      `case ${i}`,
    );
  });
  assert.throws(() => loadSettings(join(tmpdir(), 'pm-no-such-dir', 'missing.yaml'), {}), /cannot read/);
  assert.throws(() => loadSettings(undefined, {}), /nothing configured/);
});

test('state: the PostgreSQL URL from the environment, a schema, defaults; errors never show the URL', () => {
  const orchestrators = `orchestrators: [{ name: af, type: airflow, url: "http://af:8080" }]\n`;
  const plain = loadSettings(file('no-state.yaml', orchestrators), {});
  assert.deepEqual(plain.state, { postgres_url: null, schema: 'pipeline_monitor' });
  assert.equal(plain.triggers.max_per_hour_per_principal, 10);
  const shared = loadSettings(
    file('state.yaml', `${orchestrators}state: { postgres_url: \${PG_URL}, schema: team_a }\n`),
    { PG_URL: 'postgresql://monitor:pg-pw-98765@db.internal:5432/ops' },
  );
  assert.deepEqual(shared.state, {
    postgres_url: 'postgresql://monitor:pg-pw-98765@db.internal:5432/ops',
    schema: 'team_a',
  });
  const cases: [string, RegExp][] = [
    [
      'state: { postgres_url: "https://monitor:pg-pw-98765@db/ops" }',
      /^state\.postgres_url: must be a postgres/,
    ],
    ['state: { postgres_url: "not a url pg-pw-98765" }', /^state\.postgres_url: must be a postgres/],
    ['state: { schema: "Robert\'); DROP" }', /^state\.schema: must be 1-63 lowercase/],
    ['state: { postgres_url: "postgres://db/ops", pool: 3 }', /^state: unknown key\(s\) "pool"/],
  ];
  for (const [yaml, expected] of cases) {
    assert.throws(
      () => loadSettings(file('bad-state.yaml', `${orchestrators}${yaml}\n`), {}),
      (error: ConfigError) => {
        assert.match(`${error.key}: ${error.problem}`, expected);
        assert.doesNotMatch(error.message, /pg-pw-98765/);
        return true;
      },
    );
  }
});
