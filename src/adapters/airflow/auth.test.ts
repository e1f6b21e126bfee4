import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JwtSession, REFRESH_BEFORE_EXPIRY_MS, StaticAuth, basicCredentials, jwtExpiry } from './auth.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}.c2ln`;

describe('JWT expiry', () => {
  it('reads exp without verifying the signature', () => {
    assert.equal(jwtExpiry(jwt({ exp: 1_800_000_000, sub: 'u' })), 1_800_000_000_000);
    assert.equal(jwtExpiry(jwt({ exp: 1_800_000_000.5 })), 1_800_000_000_500);
    assert.equal(jwtExpiry(jwt({ sub: 'no-exp' })), null);
    assert.equal(jwtExpiry('opaque-token'), null);
    assert.equal(jwtExpiry('a.b.c'), null);
  });
});

describe('JwtSession', () => {
  function session(ttlSeconds: number | null, start = 1_000_000_000_000) {
    let now = start;
    let issued = 0;
    const auth = new JwtSession(
      async () => {
        issued++;
        const claims: Record<string, unknown> = { sub: 'u', n: issued };
        if (ttlSeconds !== null) claims.exp = (now + ttlSeconds * 1000) / 1000;
        return jwt(claims);
      },
      () => now,
    );
    return {
      auth,
      issued: () => issued,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('exchanges once for concurrent callers and reuses the token', async () => {
    const s = session(3600);
    const [a, b] = await Promise.all([s.auth.headers(), s.auth.headers()]);
    assert.equal(s.issued(), 1);
    assert.equal(a.headers.authorization, b.headers.authorization);
    assert.match(a.headers.authorization ?? '', /^Bearer ey/);
    await s.auth.headers();
    assert.equal(s.issued(), 1);
  });

  it('refreshes before the token expires (less than 60 s left)', async () => {
    const s = session(3600);
    const first = await s.auth.headers();
    s.advance(3600_000 - REFRESH_BEFORE_EXPIRY_MS - 1000);
    assert.equal((await s.auth.headers()).credential, first.credential, '61 s left: kept');
    s.advance(2000);
    const second = await s.auth.headers();
    assert.notEqual(second.credential, first.credential, '59 s left: refreshed');
    assert.equal(s.issued(), 2);
  });

  it('uses half the lifetime as the margin for short-lived tokens', async () => {
    const s = session(30);
    const first = await s.auth.headers();
    s.advance(14_000);
    assert.equal((await s.auth.headers()).credential, first.credential);
    s.advance(2000);
    assert.notEqual((await s.auth.headers()).credential, first.credential);
  });

  it('renews after a rejection, once for every caller that saw the same token', async () => {
    const s = session(null);
    const used = await s.auth.headers();
    assert.equal(await s.auth.renew(used.credential), true);
    assert.equal(await s.auth.renew(used.credential), true);
    assert.equal(s.issued(), 2, 'the second rejection was of the old token: no new exchange');
    assert.notEqual((await s.auth.headers()).credential, used.credential);
  });

  it('ignores an exp already past on arrival (clock skew) instead of exchanging on every request', async () => {
    const s = session(-10);
    await s.auth.headers();
    await s.auth.headers();
    assert.equal(s.issued(), 1);
  });

  it('shares a failed exchange and tries again next time', async () => {
    let calls = 0;
    const auth = new JwtSession(async () => {
      calls++;
      if (calls === 1) throw new Error('down');
      return jwt({ exp: Date.now() / 1000 + 3600 });
    }, Date.now);
    const results = await Promise.allSettled([auth.headers(), auth.headers()]);
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(calls, 1);
    await auth.headers();
    assert.equal(calls, 2);
  });
});

describe('static credentials', () => {
  it('sends HTTP Basic or a bearer token and never renews', async () => {
    assert.deepEqual((await StaticAuth.basic('monitor', 'pw:with:colons').headers()).headers, {
      authorization: `Basic ${Buffer.from('monitor:pw:with:colons').toString('base64')}`,
    });
    assert.equal(basicCredentials('a', 'b'), 'YTpi');
    const bearer = StaticAuth.bearer('tok-123');
    assert.equal((await bearer.headers()).headers.authorization, 'Bearer tok-123');
    assert.equal(await bearer.renew(), false);
    assert.equal(bearer.what, 'token');
  });
});

describe('a seeded JWT session', () => {
  it('uses the token it was given until it is about to expire', async () => {
    let exchanges = 0;
    let now = 1_000_000_000_000;
    const auth = new JwtSession(
      async () => {
        exchanges++;
        return jwt({ exp: (now + 3600_000) / 1000 });
      },
      () => now,
    );
    const seeded = jwt({ exp: (now + 600_000) / 1000 });
    auth.seed(seeded);
    assert.equal((await auth.headers()).credential, `Bearer ${seeded}`);
    assert.equal(exchanges, 0);
    now += 600_000 - 30_000;
    assert.notEqual((await auth.headers()).credential, `Bearer ${seeded}`);
    assert.equal(exchanges, 1);
  });
});
