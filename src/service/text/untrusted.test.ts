import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSecretKey, redactSecrets, secretVariants } from './redact.js';
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

test('configured secrets are redacted in their encoded forms too', () => {
  const secret = 'pa ss/w+rd&1';
  const variants = secretVariants(secret);
  assert.ok(variants.includes(encodeURIComponent(secret)));
  assert.ok(variants.includes(Buffer.from(secret).toString('base64')));
  for (const v of variants) assert.equal(redactSecrets(`x ${v} y`, [secret]), 'x [REDACTED] y', v);
  // Too short to be told apart from ordinary text: left to the shape rules.
  assert.equal(redactSecrets('abc is fine', ['abc']), 'abc is fine');
});

test('which keys name secrets', () => {
  for (const k of [
    'password',
    'DB_PASSWORD',
    'dbPassword',
    'api_key',
    'apiKey',
    'x-api-key',
    'client_secret',
    'AccountKey',
    'SharedAccessKey',
    'access_token',
    'refresh_token',
    'aws_secret_access_key',
    'stripe.secretKey',
    'session_id',
    'secret_id',
    'X-Amz-Signature',
    'PGPASSWORD',
    'SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
  ]) {
    assert.ok(isSecretKey(k), k);
  }
  for (const k of [
    'author',
    'tokenizer',
    'max_tokens',
    'passed',
    'token_uri',
    'token_type',
    'password_file',
    'secret_name',
    'private_key_id',
    'PWD',
    'keyword',
    'key_count',
    'bypass',
    'secretary',
    'user',
    'host',
  ]) {
    assert.ok(!isSecretKey(k), k);
  }
});
