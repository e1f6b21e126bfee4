import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallBudget, CallStopped, currentCall, runInCall, SharedScope } from './call-context.js';

describe('call scope', () => {
  it('aborts at the deadline or on the client cancelling, saying which', async () => {
    const client = new AbortController();
    const timed = new CallBudget(client.signal, 30);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.ok(timed.signal.aborted);
    assert.ok(timed.signal.reason instanceof CallStopped);
    assert.equal((timed.signal.reason as CallStopped).why, 'deadline');
    assert.match((timed.signal.reason as CallStopped).message, /ran out of its 0\.03 s time budget/);
    timed.dispose();

    const cancelled = new CallBudget(client.signal, 60_000);
    client.abort();
    assert.equal((cancelled.signal.reason as CallStopped).why, 'cancelled');
    cancelled.dispose();
  });

  it('follows the work across awaits and timers', async () => {
    const budget = new CallBudget(new AbortController().signal, 1000);
    const seen = await runInCall(budget, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return currentCall();
    });
    assert.equal(seen, budget);
    assert.equal(currentCall(), undefined);
    budget.dispose();
  });

  it('a shared piece of work stops only when every call waiting for it has stopped', () => {
    const a = new AbortController();
    const b = new AbortController();
    const callA = new CallBudget(a.signal, 1000);
    const callB = new CallBudget(b.signal, 5000);
    const shared = new SharedScope();
    runInCall(callA, () => shared.join());
    runInCall(callB, () => shared.join());
    assert.ok(shared.deadline >= callB.deadline, 'the latest deadline of the calls');
    a.abort();
    assert.equal(shared.signal.aborted, false, 'b still waits');
    b.abort();
    assert.equal(shared.signal.aborted, true);
    callA.dispose();
    callB.dispose();

    const outside = new SharedScope();
    outside.join(); // joined outside any call: never stops
    assert.equal(outside.deadline, Number.POSITIVE_INFINITY);
  });

  it('counts the requests outstanding per orchestrator', () => {
    const budget = new CallBudget(new AbortController().signal, 1000);
    budget.noteRequest('airflow', 1);
    budget.noteRequest('airflow', 1);
    budget.noteRequest('prefect', 1);
    budget.noteRequest('airflow', -1);
    budget.noteRequest('prefect', -1);
    assert.deepEqual(budget.waitingOn(), ['airflow']);
    budget.dispose();
  });
});
