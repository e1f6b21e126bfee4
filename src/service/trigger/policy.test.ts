import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TRIGGER_DEFAULTS, type TriggerSettings } from '../../config/settings.js';
import { ConfirmationTokens, CONFIRMATION_TTL_MS } from './confirmation.js';
import { listRefusal, rateRefusal } from './policy.js';

const settings: TriggerSettings = {
  ...TRIGGER_DEFAULTS,
  enabled: true,
  audit_log: '/dev/null',
  cooldown_seconds: 600,
  max_per_hour: 4,
  max_per_hour_per_pipeline: 2,
};
const NOW = Date.parse('2026-11-24T12:00:00Z');
const min = 60_000;

test('allow and deny globs over orchestrator:pipeline', () => {
  const s = { ...settings, allow: ['prod:*', 'dev:etl_*'], deny: ['prod:*_critical'] };
  assert.equal(listRefusal(s, 'prod:daily'), null);
  assert.match(listRefusal(s, 'prod:billing_critical')?.reason ?? '', /deny/);
  assert.match(listRefusal(s, 'dev:ml_train')?.reason ?? '', /allow/);
  assert.equal(listRefusal(s, 'dev:etl_orders'), null);
  assert.equal(listRefusal(settings, 'flow/deployment:x'), null, 'the default allows everything, / included');
});

test('cooldown, then per-pipeline and overall hourly limits, each saying when', () => {
  assert.equal(rateRefusal(settings, 'a:x', [], NOW), null);
  const cool = rateRefusal(settings, 'a:x', [{ pipeline: 'a:x', at: NOW - 5 * min }], NOW);
  assert.equal(cool?.retry_after, new Date(NOW + 5 * min).toISOString());
  const perPipeline = rateRefusal(
    settings,
    'a:x',
    [
      { pipeline: 'a:x', at: NOW - 50 * min },
      { pipeline: 'a:x', at: NOW - 20 * min },
    ],
    NOW,
  );
  assert.match(perPipeline?.reason ?? '', /2 times in the last hour/);
  assert.equal(perPipeline?.retry_after, new Date(NOW + 10 * min).toISOString());
  const all = ['b', 'c', 'd', 'e'].map((p, i) => ({ pipeline: `a:${p}`, at: NOW - (50 - i) * min }));
  assert.match(rateRefusal(settings, 'a:x', all, NOW)?.reason ?? '', /4 triggers in the last hour/);
  assert.equal(rateRefusal(settings, 'a:x', all.slice(1), NOW), null);
});

test('confirmation tokens: bound, single-use, expiring', () => {
  let now = NOW;
  const tokens = new ConfirmationTokens(() => now);
  const { token } = tokens.issue('a:x', 'd1');
  const ok = tokens.check(token, 'a:x', 'd1');
  assert.equal(ok.ok, true);
  assert.equal(tokens.check(token, 'a:y', 'd1').ok, false);
  assert.equal(tokens.check(token, 'a:x', 'd2').ok, false);
  if (ok.ok) tokens.consume(ok.nonce);
  assert.deepEqual(tokens.check(token, 'a:x', 'd1'), {
    ok: false,
    reason: 'the confirmation token was already used',
  });
  const late = tokens.issue('a:x', 'd1').token;
  now += CONFIRMATION_TTL_MS + 1;
  assert.deepEqual(tokens.check(late, 'a:x', 'd1'), {
    ok: false,
    reason: 'the confirmation token has expired',
  });
  assert.equal(
    new ConfirmationTokens(() => now).check(tokens.issue('a:x', 'd1').token, 'a:x', 'd1').ok,
    false,
    'another process’s key',
  );
});
