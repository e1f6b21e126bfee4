import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from './config-error.js';
import { configFile } from './config-file.test.util.js';
import { loadSettings } from './load.js';

const file = (name: string, text: string): string => configFile(text, name);

test('reads call_timeout_seconds and per-orchestrator resilience; leaves the rest to the defaults', () => {
  const path = file(
    'ok.yaml',
    `call_timeout_seconds: 20
orchestrators:
  - name: a
    type: airflow
    url: http://a:8080
    resilience:
      retries: 0
      retry_after_max_seconds: 5
      max_concurrency: 4
      circuit_breaker: { failures: 0, cooldown_seconds: 10 }
  - name: b
    type: prefect
    url: http://b:4200/api
`,
  );
  const settings = loadSettings(path, {});
  assert.equal(settings.call_timeout_ms, 20_000);
  assert.deepEqual(settings.orchestrators[0]?.resilience, {
    retries: 0,
    retry_after_max_ms: 5000,
    max_concurrency: 4,
    breaker_failures: 0,
    breaker_cooldown_ms: 10_000,
  });
  assert.deepEqual(settings.orchestrators[1]?.resilience, {});
});

test('refuses out-of-range and unknown resilience settings, naming the key', () => {
  for (const [yaml, where] of [
    ['    resilience: { retries: 50 }', 'orchestrators[0].resilience.retries'],
    ['    resilience: { max_concurrency: 0 }', 'orchestrators[0].resilience.max_concurrency'],
    [
      '    resilience: { circuit_breaker: { cooldown_seconds: 0 } }',
      'orchestrators[0].resilience.circuit_breaker.cooldown_seconds',
    ],
    ['    resilience: { retry: 1 }', 'orchestrators[0].resilience'],
  ] as const) {
    const path = file(
      'bad.yaml',
      `orchestrators:\n  - name: a\n    type: airflow\n    url: http://a\n${yaml}\n`,
    );
    assert.throws(
      () => loadSettings(path, {}),
      (e: unknown) => e instanceof ConfigError && e.message.includes(where),
      yaml,
    );
  }
  const path = file(
    'bad-timeout.yaml',
    'call_timeout_seconds: 0\norchestrators: [{ name: a, type: airflow, url: "http://a" }]\n',
  );
  assert.throws(() => loadSettings(path, {}), /call_timeout_seconds/);
});
