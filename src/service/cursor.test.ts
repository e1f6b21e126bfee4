import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCursor, encodeCursor } from './cursor.js';

test('cursors round-trip and refuse other filters or garbage', () => {
  const filters = { owner: 'data-platform' };
  assert.equal(decodeCursor(encodeCursor(50, filters), filters), 50);
  assert.equal(decodeCursor(undefined, filters), 0);
  assert.throws(() => decodeCursor(encodeCursor(50, filters), { owner: 'other' }), /not valid/);
  assert.throws(() => decodeCursor('not-a-cursor', filters), /not valid/);
});
