import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BENIGN_LINES, SECRET_SAMPLES, type SecretSample } from './secret-corpus.test.fixture.js';
import { UntrustedText } from './untrusted.js';

const NOISE_BEFORE = [
  '[2024-05-01, 02:00:01 UTC] {taskinstance.py:1382} INFO - Executing <Task(PythonOperator): sync> on 2024-05-01',
  '[2024-05-01, 02:00:02 UTC] {base.py:73} INFO - Using connection ID warehouse for task execution.',
];
const NOISE_AFTER = ['[2024-05-01, 02:00:09 UTC] {taskinstance.py:1400} INFO - Marking task as FAILED.'];

/** The secret, or any 12-character piece of a long one, still readable in the output. */
function leak(output: string, secret: string): string | null {
  if (output.includes(secret)) return secret;
  if (secret.length < 16) return null;
  for (let i = 0; i + 12 <= secret.length; i++) {
    const piece = secret.slice(i, i + 12);
    if (output.includes(piece)) return piece;
  }
  return null;
}

function outputs(sample: SecretSample): Record<string, string> {
  const text = new UntrustedText(sample.configured ?? []);
  const lines = sample.text.split('\n');
  return {
    'single-line': text.line(sample.text, 1_000_000),
    'multi-line (lines)': text.lines([...NOISE_BEFORE, ...lines, ...NOISE_AFTER], 1_000_000).join('\n'),
    'multi-line (block)': text.block([...NOISE_BEFORE, sample.text, ...NOISE_AFTER].join('\n'), 1_000_000),
  };
}

test('the secret corpus has at least 200 samples of many shapes', () => {
  assert.ok(SECRET_SAMPLES.length >= 200, `${SECRET_SAMPLES.length} samples`);
  assert.ok(new Set(SECRET_SAMPLES.map((s) => s.shape)).size >= 60);
  assert.ok(BENIGN_LINES.length >= 30);
});

test('no secret of the corpus survives, in single-line and multi-line modes', () => {
  const failures: string[] = [];
  for (const sample of SECRET_SAMPLES) {
    for (const [mode, out] of Object.entries(outputs(sample))) {
      for (const secret of sample.secrets) {
        const leaked = leak(out, secret);
        if (leaked) failures.push(`${sample.shape} [${mode}] leaked "${leaked}" in: ${out}`);
      }
      if (!out.includes('[REDACTED]')) failures.push(`${sample.shape} [${mode}] has no mask: ${out}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('ordinary log lines come through unchanged', () => {
  const text = new UntrustedText([]);
  for (const line of BENIGN_LINES) {
    assert.equal(text.line(line), line);
    assert.deepEqual(text.lines([line]), [line]);
    assert.equal(text.block(line), line);
  }
  assert.deepEqual(text.lines(BENIGN_LINES), BENIGN_LINES);
});

test('lines after a PEM block are not swallowed once it ends; a cut-off block stays masked', () => {
  const text = new UntrustedText([]);
  const out = text.lines([
    'before',
    '-----BEGIN PRIVATE KEY-----',
    'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=',
    '-----END PRIVATE KEY----- trailing',
    'after the key',
  ]);
  assert.deepEqual(out, ['before', '[REDACTED]', '[REDACTED]', '[REDACTED] trailing', 'after the key']);
  // Each call to lines() starts outside a key.
  assert.deepEqual(text.lines(['QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=']), [
    'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=',
  ]);
  const stream = text.redactor();
  assert.equal(stream.line('x -----BEGIN EC PRIVATE KEY-----'), 'x [REDACTED]');
  assert.equal(stream.line('MHcCAQEEIBkg4LVWM9nuwNSk'), '[REDACTED]');
});
