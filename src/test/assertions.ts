import assert from 'node:assert/strict';
import { MonitorError } from '../core/errors.js';

/** The MonitorError a promise rejects with; fails the test when it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<MonitorError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MonitorError, `expected a MonitorError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** UTF-8 size of log lines as the adapters count it (one newline each). */
export const bytesOf = (lines: readonly string[]): number =>
  lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
