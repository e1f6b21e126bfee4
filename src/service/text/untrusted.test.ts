import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets } from './redact.js';
import { sanitizeLine } from './sanitize.js';

test('sanitize strips ANSI, control, bidi and zero-width characters', () => {
  const dirty = '\u001b[31mERROR\u001b[0m \u202eevil\u202c zero\u200bwidth\u0007 bell\r';
  assert.equal(sanitizeLine(dirty), 'ERROR evil zerowidth bell');
  assert.equal(sanitizeLine('tab\tkept'), 'tab\tkept');
  assert.equal(sanitizeLine('lone \ud800 surrogate'), 'lone \ufffd surrogate');
});

test('redact removes credential shapes and known secrets', () => {
  const samples: [string, string][] = [
    ['postgresql://etl:hunter2@db.internal:5432/sales', 'hunter2'],
    ['Authorization: Bearer abcdefghijklmnop.qrstuv', 'abcdefghijklmnop'],
    ['token=ghp_' + 'a'.repeat(36), 'ghp_'],
    ['aws key AKIAABCDEFGHIJKLMNOP used', 'AKIAABCDEFGHIJKLMNOP'],
    ['password: "s3cr3t-value"', 's3cr3t-value'],
    ['DB_PASSWORD=correcthorse', 'correcthorse'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop', 'eyJhbGciOiJIUzI1NiJ9'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEA'],
  ];
  for (const [text, secret] of samples) {
    const out = redactSecrets(text);
    assert.ok(!out.includes(secret), `${secret} leaked in: ${out}`);
    assert.ok(out.includes('[REDACTED]'), out);
  }
  assert.equal(
    redactSecrets('the admin password is plainword', ['plainword']),
    'the admin password is [REDACTED]',
  );
  assert.equal(
    redactSecrets('Connection timeout to inventory service'),
    'Connection timeout to inventory service',
  );
});
