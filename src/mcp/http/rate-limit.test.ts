import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limit.js';

test('a burst up to the limit, then a wait that the refill explains; principals are separate', () => {
  let now = 0;
  const limiter = new RateLimiter(60, () => now);
  for (let i = 0; i < 60; i++) assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), 1, 'one request per second comes back');
  assert.equal(limiter.take('b'), 0);
  now += 1_000;
  assert.equal(limiter.take('a'), 0);
  assert.equal(limiter.take('a'), 1);
  now += 3_600_000;
  for (let i = 0; i < 60; i++) assert.equal(limiter.take('a'), 0, 'never more than the limit in store');
  assert.ok(limiter.take('a') > 0);
});

test('a slow limit gives a long Retry-After', () => {
  const limiter = new RateLimiter(2, () => 0);
  limiter.take('a');
  limiter.take('a');
  assert.equal(limiter.take('a'), 30);
});
