import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MonitorError } from './errors.js';
import { assertSafeId, splitQualifiedId } from './identifiers.js';

test('accepts the ids real orchestrators use', () => {
  for (const id of [
    'daily_sales_etl',
    'scheduled__2026-11-24T02:00:00+00:00',
    'my-flow/prod deployment',
    'team.group.task_1',
    'process_partition[2026-11-24]',
    '0b1c6f9e-3f7a-4b8e-9d7a-2f1e5c3b7a10',
  ]) {
    assert.equal(assertSafeId(id, 'id'), id);
  }
});

test('rejects traversal, encodings, hidden characters and over-long ids', () => {
  const hostile = [
    '..',
    '../etc/passwd',
    'a/../b',
    '%2e%2e',
    'a%2Fb',
    'a\\b',
    'dag\u0000',
    'dag\nname',
    'dag\u202ename',
    'dag\u200bname',
    'x'.repeat(251),
    '',
    ' dag',
    'dag?x=1',
    'dag#frag',
  ];
  for (const id of hostile) {
    assert.throws(
      () => assertSafeId(id, 'pipeline_id'),
      (e: unknown) => e instanceof MonitorError && e.kind === 'invalid_input',
      JSON.stringify(id),
    );
  }
});

test('splits a qualified id only on a configured orchestrator name', () => {
  assert.deepEqual(splitQualifiedId('prod:daily', ['prod']), { orchestrator: 'prod', id: 'daily' });
  assert.deepEqual(splitQualifiedId('other:daily', ['prod']), { orchestrator: null, id: 'other:daily' });
  assert.deepEqual(splitQualifiedId('daily', ['prod']), { orchestrator: null, id: 'daily' });
});
