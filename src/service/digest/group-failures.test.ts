import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupFailures, type GroupableFailure } from './group-failures.js';

test('groups by signature, largest first, singletons kept', () => {
  const items: GroupableFailure[] = [
    { key: 'a:1', signature: 'auth/ClientError/1', class: 'auth', error_line: 'AccessDenied on bucket a' },
    { key: 'b:1', signature: 'timeout/ReadTimeout/2', class: 'timeout', error_line: 'Read timed out' },
    { key: 'c:1', signature: 'auth/ClientError/1', class: 'auth', error_line: 'AccessDenied on bucket c' },
    { key: 'd:1', signature: 'auth/ClientError/1', class: 'auth', error_line: 'AccessDenied on bucket d' },
    { key: 'e:1', signature: 'timeout/ReadTimeout/2', class: 'timeout', error_line: 'Read timed out again' },
    { key: 'f:1', signature: 'code_error/KeyError/3', class: 'code_error', error_line: "KeyError: 'x'" },
  ];
  const groups = groupFailures(items);
  assert.deepEqual(
    groups.map((g) => [g.signature, g.count, g.keys]),
    [
      ['auth/ClientError/1', 3, ['a:1', 'c:1', 'd:1']],
      ['timeout/ReadTimeout/2', 2, ['b:1', 'e:1']],
      ['code_error/KeyError/3', 1, ['f:1']],
    ],
  );
  assert.equal(groups[0]?.error_line, 'AccessDenied on bucket a');
  assert.equal(groups[0]?.class, 'auth');
});

test('failures without a signature group only on the exact error line within their class', () => {
  const groups = groupFailures([
    { key: 'a', signature: null, class: 'unknown', error_line: 'Command exited with return code 1' },
    { key: 'b', signature: null, class: 'unknown', error_line: 'Command exited with return code 1' },
    { key: 'c', signature: null, class: 'unknown', error_line: 'Command exited with return code 2' },
    { key: 'd', signature: null, class: 'upstream_failed', error_line: 'Command exited with return code 1' },
    { key: 'e', signature: null, class: 'unknown', error_line: null },
    { key: 'f', signature: null, class: 'unknown', error_line: null },
    {
      key: 'g',
      signature: 'unknown/-/abc',
      class: 'unknown',
      error_line: 'Command exited with return code 1',
    },
  ]);
  assert.deepEqual(
    groups.map((g) => g.keys),
    [['a', 'b'], ['c'], ['d'], ['e'], ['f'], ['g']],
  );
  assert.equal(groups[0]?.signature, null);
  assert.deepEqual(groupFailures([]), []);
});
