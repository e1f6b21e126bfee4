import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { CallBudget, runInCall } from '../../core/call-context.js';
import { rejection, startTestServer as startServer, type Handler } from './test-server.test.util.js';
import { HttpClient, type HttpClientOptions } from './http-client.js';
import { RequestSlots } from './request-slots.js';
import { describeWait, retryAfterMs } from './retry-after.js';

/** Runs `fn` as a tool call would: within a budget, cancellable through `client`. */
function inCall<T>(budgetMs: number, fn: () => Promise<T>, client = new AbortController()) {
  const budget = new CallBudget(client.signal, budgetMs);
  return runInCall(budget, fn).finally(() => budget.dispose());
}

const schema = z.object({ ok: z.boolean() });
const get = { method: 'GET' as const, path: '/thing' };
const ok: Handler = (_req, res) => res.end('{"ok":true}');
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(code, headers);
    res.end('{"detail":"busy"}');
  };
/** `first` for the first `times` requests, then `then`. */
function sequence(times: number, first: Handler, then: Handler = ok): Handler {
  let n = 0;
  return (req, res) => (n++ < times ? first(req, res) : then(req, res));
}

describe('retries, Retry-After, cancellation, circuit breaker, concurrency', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const clients: HttpClient[] = [];
  const client = (options: Partial<HttpClientOptions> = {}) => {
    const c = new HttpClient({
      name: 'orch',
      product: 'Airflow',
      baseUrl: server.url,
      timeoutMs: 2000,
      retryInitialDelayMs: 5,
      ...options,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('retries a read on 429 after the Retry-After seconds asked for', async () => {
    server.use(sequence(1, status(429, { 'retry-after': '1' })));
    const started = Date.now();
    assert.deepEqual(await client().json(get, schema), { ok: true });
    const gap = (server.arrivals[1] ?? 0) - (server.arrivals[0] ?? 0);
    assert.equal(server.arrivals.length, 2);
    assert.ok(gap >= 990 && gap < 1600, `waited ${gap} ms for Retry-After: 1`);
    assert.ok(Date.now() - started < 2500);
  });

  it('retries on 503 after the HTTP-date Retry-After names', async () => {
    let at = 0;
    server.use(
      sequence(1, (_req, res) => {
        // A whole second at least 1 s ahead (an HTTP-date has no fractions).
        at = Math.ceil((Date.now() + 1000) / 1000) * 1000;
        res.writeHead(503, { 'retry-after': new Date(at).toUTCString() });
        res.end();
      }),
    );
    assert.deepEqual(await client().json(get, schema), { ok: true });
    const second = server.arrivals[1] ?? 0;
    assert.ok(second >= at - 20 && second < at + 600, `retried ${second - at} ms after the date`);
  });

  it('does not wait longer than the cap: fails at once saying when to try again', async () => {
    server.use(status(429, { 'retry-after': '120' }));
    const started = Date.now();
    const e = await rejection(client({ maxRetryAfterMs: 5000 }).json(get, schema));
    assert.ok(Date.now() - started < 500);
    assert.equal(server.arrivals.length, 1);
    assert.equal(e.kind, 'upstream_unavailable');
    assert.equal(e.orchestrator, 'orch');
    assert.match(e.message, /HTTP 429.*retry after 120 s \(at \d\d:\d\d:\d\d UTC\)/);
    assert.match(e.hint ?? '', /try again after 120 s/);
  });

  it('does not wait past the call deadline: fails now, saying when', async () => {
    server.use(status(503, { 'retry-after': '3' }));
    const started = Date.now();
    const e = await rejection(inCall(2000, () => client().json(get, schema)));
    assert.ok(Date.now() - started < 500, 'no wait that cannot fit');
    assert.equal(server.arrivals.length, 1);
    assert.match(e.message, /HTTP 503.*retry after 3 s/);
  });

  it('retries 429 and resets only for reads and keyed writes', async () => {
    server.use(sequence(1, status(429)));
    assert.deepEqual(await client().json(get, schema), { ok: true });
    assert.equal(server.arrivals.length, 2);

    server.use(sequence(1, status(502)));
    const post = { method: 'POST' as const, path: '/runs', json: {} };
    assert.equal((await client().send(post)).status, 502, 'a write without a key is sent once');
    assert.equal(server.arrivals.length, 1);

    server.use(sequence(1, (_req, res) => res.socket?.destroy()));
    assert.deepEqual(await client().json({ ...post, retry: true }, schema), { ok: true });
    assert.equal(server.arrivals.length, 2, 'a keyed write is repeated after a reset');
  });

  it('a cancelled call aborts its request in flight (the server sees the connection close)', async () => {
    server.use(() => {
      /* never answers */
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = Date.now();
    const e = await rejection(inCall(60_000, () => client().json(get, schema), controller));
    assert.ok(Date.now() - started < 1000);
    assert.match(e.message, /^orch: stopped waiting for Airflow .*the call was cancelled/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.closedEarly(), 1);
  });

  it('the call deadline cuts a request shorter than its own timeout, and a retry wait', async () => {
    server.use(() => {
      /* never answers */
    });
    let started = Date.now();
    let e = await rejection(inCall(300, () => client({ timeoutMs: 5000 }).json(get, schema)));
    assert.ok(Date.now() - started < 1000);
    assert.match(e.message, /ran out of its 0\.3 s time budget/);
    assert.match(e.hint ?? '', /call_timeout_seconds/);

    server.use(status(503));
    started = Date.now();
    const slowBackoff = client({ retryInitialDelayMs: 1000, retryMaxDelayMs: 1000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    e = await rejection(inCall(60_000, () => slowBackoff.json(get, schema), controller));
    assert.ok(Date.now() - started < 600, 'the backoff wait stopped with the call');
    assert.equal(server.arrivals.length, 1);
  });

  it('opens the circuit after consecutive failures, fails fast, and recovers through one trial', async () => {
    const c = client({ maxRetries: 0, breakerFailures: 3, breakerCooldownMs: 400 });
    server.use(status(500));
    for (let i = 0; i < 3; i++) await rejection(c.json(get, schema));
    assert.equal(c.circuitState, 'open');
    assert.equal(server.arrivals.length, 3);

    const started = Date.now();
    const e = await rejection(c.json(get, schema));
    assert.ok(Date.now() - started < 50);
    assert.equal(server.arrivals.length, 3, 'nothing sent while open');
    assert.equal(e.kind, 'upstream_unavailable');
    assert.match(
      e.message,
      /^orch: not contacting Airflow .*last 3 requests failed \(last: HTTP 500\).*tried again in \d+ s/,
    );
    assert.match(e.hint ?? '', /try again after/);

    // Half-open: the trial fails, the circuit opens again.
    await new Promise((resolve) => setTimeout(resolve, 450));
    await rejection(c.json(get, schema));
    assert.equal(server.arrivals.length, 4);
    assert.equal(c.circuitState, 'open');

    // Half-open again: the trial succeeds, the circuit closes.
    server.use(ok);
    await new Promise((resolve) => setTimeout(resolve, 450));
    assert.deepEqual(await c.json(get, schema), { ok: true });
    assert.equal(c.circuitState, 'closed');
    assert.deepEqual(await c.json(get, schema), { ok: true });
    assert.equal(server.arrivals.length, 2);
  });

  it('4xx answers and cancelled calls never open the circuit; timeouts and refusals do', async () => {
    const c = client({ maxRetries: 0, breakerFailures: 2, breakerCooldownMs: 60_000, timeoutMs: 100 });
    server.use(status(404));
    for (let i = 0; i < 4; i++) assert.equal((await c.send(get)).status, 404);
    server.use(() => {
      /* never answers */
    });
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await rejection(inCall(60_000, () => c.send(get), controller));
    }
    assert.equal(c.circuitState, 'closed');
    await rejection(c.send(get)); // timeout
    await rejection(c.send(get)); // timeout
    assert.equal(c.circuitState, 'open');
  });

  it('a trial request stopped by its caller leaves the circuit open; a real answer closes it', async () => {
    const c = client({ maxRetries: 0, breakerFailures: 2, breakerCooldownMs: 300 });
    server.use(status(500));
    for (let i = 0; i < 2; i++) await rejection(c.json(get, schema));
    assert.equal(c.circuitState, 'open');
    await new Promise((resolve) => setTimeout(resolve, 350));
    server.use(() => {
      /* never answers */
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await rejection(inCall(60_000, () => c.json(get, schema), controller));
    assert.equal(c.circuitState, 'open', 'a cancelled trial proves nothing');
    server.use(ok);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.deepEqual(await c.json(get, schema), { ok: true });
    assert.equal(c.circuitState, 'closed');
  });

  it('keeps at most max_concurrency requests in flight; the others wait their turn', async () => {
    server.use((_req, res) => setTimeout(() => res.end('{"ok":true}'), 60));
    const c = client({ maxConcurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => c.json(get, schema)));
    assert.equal(results.length, 6);
    assert.equal(server.maxInFlight(), 2);
  });
});

describe('RequestSlots', () => {
  it('hands slots out in order and drops a waiter whose signal aborts', async () => {
    const slots = new RequestSlots(1);
    const first = await slots.acquire();
    const controller = new AbortController();
    const order: string[] = [];
    const cancelled = slots.acquire(controller.signal).then(
      () => order.push('cancelled one got a slot'),
      () => order.push('cancelled'),
    );
    const second = slots.acquire().then((release) => {
      order.push('second');
      return release;
    });
    assert.equal(slots.waiting, 2);
    controller.abort();
    await cancelled;
    assert.equal(slots.waiting, 1);
    first();
    (await second)();
    assert.deepEqual(order, ['cancelled', 'second']);
    assert.equal(slots.inFlight, 0);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('reads delta-seconds and HTTP-dates, ignores the rest', () => {
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs(['2', '9'], now), 2000);
    assert.equal(retryAfterMs('Sun, 01 Mar 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Sun, 01 Mar 2026 11:00:00 GMT', now), 0, 'a past date: now');
    for (const bad of [undefined, '', 'soon', '-1', '1.5', '2026-03-01'])
      assert.equal(retryAfterMs(bad, now), null);
  });
  it('says how long and until when', () => {
    assert.equal(describeWait(1200, now), '2 s (at 12:00:02 UTC)');
  });
});
