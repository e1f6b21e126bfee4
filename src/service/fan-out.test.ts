import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrchestratorAdapter } from '../core/adapter.js';
import { CallBudget, currentCall, runInCall } from '../core/call-context.js';
import { MonitorError } from '../core/errors.js';
import { fanOut } from './fan-out.js';
import { TtlCache } from './ttl-cache.js';

const adapter = (name: string) => ({ name }) as OrchestratorAdapter;

/** Resolves after `ms`, or rejects as the HTTP layer does when the call scope aborts. */
function work(ms: number, value: string): Promise<string> {
  const signal = currentCall()?.signal;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new MonitorError('upstream_unavailable', `${value} aborted`));
    });
  });
}

describe('fan-out within a call budget', () => {
  it('cuts a slow orchestrator before the deadline, names it, and keeps the others', async () => {
    const budget = new CallBudget(new AbortController().signal, 1200);
    let aborted = false;
    const started = Date.now();
    const out = await runInCall(budget, () =>
      fanOut([adapter('fast'), adapter('slow')], (a) => {
        if (a.name === 'slow') currentCall()?.signal.addEventListener('abort', () => (aborted = true));
        return work(a.name === 'fast' ? 10 : 10_000, a.name);
      }),
    );
    budget.dispose();
    const took = Date.now() - started;
    assert.ok(took < 1200 - 400, `answered with time to spare (${took} ms)`);
    assert.deepEqual(
      out.results.map((r) => r.value),
      ['fast'],
    );
    assert.equal(out.unavailable[0]?.orchestrator, 'slow');
    assert.match(
      out.unavailable[0]?.reason ?? '',
      /^slow: no complete answer within [\d.]+ s \(this call's time budget\)/,
    );
    assert.ok(aborted, "the slow orchestrator's requests were aborted");
  });

  it('without a call, waits for everyone', async () => {
    const out = await fanOut([adapter('a'), adapter('b')], (a) => work(20, a.name));
    assert.equal(out.results.length, 2);
  });
});

describe('a coalesced read shared by two calls', () => {
  it("is not stopped by one call's cancellation while the other still waits", async () => {
    const cache = new TtlCache<string>(10_000);
    const a = new AbortController();
    const callA = new CallBudget(a.signal, 60_000);
    const callB = new CallBudget(new AbortController().signal, 60_000);
    let loads = 0;
    const load = () => {
      loads++;
      return work(100, 'value');
    };
    const first = runInCall(callA, () => cache.get('k', load));
    const second = runInCall(callB, () => cache.get('k', load));
    setTimeout(() => a.abort(), 20);
    first.catch(() => undefined);
    assert.equal(await second, 'value');
    assert.equal(loads, 1);
    callA.dispose();
    callB.dispose();
  });

  it('is stopped once every waiting call has stopped, and not reused after', async () => {
    const cache = new TtlCache<string>(10_000);
    const a = new AbortController();
    const callA = new CallBudget(a.signal, 60_000);
    const first = runInCall(callA, () => cache.get('k', () => work(5000, 'stale')));
    setTimeout(() => a.abort(), 20);
    await assert.rejects(first, /aborted/);
    const callB = new CallBudget(new AbortController().signal, 60_000);
    assert.equal(await runInCall(callB, () => cache.get('k', () => work(5, 'fresh'))), 'fresh');
    callA.dispose();
    callB.dispose();
  });
});

describe('a partial answer in a read cache', () => {
  it('is shared with concurrent callers but not reused after', async () => {
    const cache = new TtlCache<{ unavailable: string[] }>(10_000);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { unavailable: loads === 1 ? ['down'] : [] };
    };
    const keep = (v: { unavailable: string[] }) => v.unavailable.length === 0;
    const [a, b] = await Promise.all([cache.get('k', load, keep), cache.get('k', load, keep)]);
    assert.equal(a, b);
    assert.equal(loads, 1);
    assert.deepEqual((await cache.get('k', load, keep)).unavailable, [], 'asked again');
    assert.equal(loads, 2);
    await cache.get('k', load, keep);
    assert.equal(loads, 2, 'a complete answer is reused');
  });
});
