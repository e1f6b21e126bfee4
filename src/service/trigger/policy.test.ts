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
  max_per_hour_per_principal: 3,
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

test('per-principal hourly limit: counted over all pipelines for that caller, saying when', () => {
  const at = (pipeline: string, principal: string | null, minutesAgo: number) => ({
    pipeline,
    principal,
    at: NOW - minutesAgo * min,
  });
  const s = { ...settings, max_per_hour: 100, cooldown_seconds: 0 };
  const history = [
    at('a:p1', 'alice', 70), // more than an hour ago: not counted
    at('a:p1', 'alice', 50),
    at('a:p2', 'alice', 40),
    at('a:p3', 'alice', 30),
    at('a:p4', 'bob', 20),
    at('a:p5', null, 10),
  ];
  const refused = rateRefusal(s, 'a:p9', history, NOW, 'alice');
  assert.equal(refused?.reason, 'alice triggered 3 runs in the last hour (limit 3 per caller).');
  assert.equal(
    refused?.retry_after,
    new Date(NOW + 10 * min).toISOString(),
    'when the oldest counted one ages out',
  );
  assert.equal(rateRefusal(s, 'a:p9', history, NOW, 'bob'), null, 'another caller has their own budget');
  assert.equal(
    rateRefusal(s, 'a:p9', history, NOW, null),
    null,
    'no principal (stdio): only the other limits',
  );
  assert.equal(rateRefusal(s, 'a:p9', history, NOW + 11 * min, 'alice'), null, 'an hour later');
  // The overall limit still applies to everyone.
  assert.match(
    rateRefusal({ ...s, max_per_hour: 5 }, 'a:p9', history, NOW, 'bob')?.reason ?? '',
    /5 triggers in the last hour/,
  );
});

test('confirmation tokens: bound, single-use, expiring', () => {
  let now = NOW;
  const tokens = new ConfirmationTokens(() => now);
  const { token } = tokens.issue('a:x', 'd1');
  const ok = tokens.check(token, 'a:x', 'd1');
  assert.equal(ok.ok, true);
  assert.equal(tokens.check(token, 'a:y', 'd1').ok, false);
  assert.equal(tokens.check(token, 'a:x', 'd2').ok, false);
  if (ok.ok) assert.equal(tokens.consume(ok.nonce), true);
  if (ok.ok) assert.equal(tokens.consume(ok.nonce), false, 'a second use is refused');
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
