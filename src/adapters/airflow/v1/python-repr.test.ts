import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedSpecsDir, specsMissingMessage } from '../../../test/spec-path.js';
import { parsePythonLiteral, v1LogLines } from './python-repr.js';

describe('parsePythonLiteral', () => {
  it('reads lists, tuples, str, None, booleans and numbers', () => {
    assert.deepEqual(parsePythonLiteral("[('a', 'b'), ('c', \"d\")]"), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
    assert.deepEqual(parsePythonLiteral('(None, True, False, 3, -1.5e2, (),)'), [
      null,
      true,
      false,
      3,
      -150,
      [],
    ]);
    assert.deepEqual(parsePythonLiteral('[ ]'), []);
  });

  it('decodes every escape Python repr writes', () => {
    assert.equal(parsePythonLiteral(String.raw`'line\nnext\ttab\\back\'q'`), "line\nnext\ttab\\back'q");
    assert.equal(parsePythonLiteral(String.raw`"it's \"x\""`), 'it\'s "x"');
    assert.equal(parsePythonLiteral(String.raw`'\x1b[31m\x00\r\a\b\f\v'`), '\u001b[31m\u0000\r\u0007\b\f\v');
    assert.equal(parsePythonLiteral(String.raw`'caf\xe9 \u2603 \U0001f600 \101'`), 'café ☃ 😀 A');
    assert.equal(parsePythonLiteral("'café ☃'"), 'café ☃');
    assert.equal(parsePythonLiteral(String.raw`'\q unknown escapes stay'`), '\\q unknown escapes stay');
    assert.equal(parsePythonLiteral(String.raw`r'C:\dir\n'`), 'C:\\dir\\n');
    assert.equal(parsePythonLiteral(String.raw`b'bytes\n'`), 'bytes\n');
    assert.equal(parsePythonLiteral("'''tri'ple'''"), "tri'ple");
  });

  it('refuses anything that is not exactly one literal, without evaluating it', () => {
    for (const text of [
      "[__import__('os').system('touch /tmp/x')]",
      "['a' + 'b']",
      '[(',
      "'unterminated",
      "'line\nbreak'",
      "['a'] trailing",
      String.raw`'\x4'`,
      String.raw`'\U00110000'`,
      '{1: 2}',
      '['.repeat(100) + ']'.repeat(100),
      '',
    ]) {
      assert.equal(parsePythonLiteral(text), undefined, text);
    }
  });

  it('is fast on a large log', () => {
    const line = String.raw`INFO - some log line with \'quotes\' and \\ slashes\n`;
    const text = `[('worker-1', '${line.repeat(100_000)}')]`;
    const started = Date.now();
    const value = parsePythonLiteral(text) as [string, string][];
    assert.ok(Date.now() - started < 2000);
    assert.equal(value[0]?.[1].split('\n').length, 100_001);
  });
});

describe('v1LogLines', () => {
  it('reads the Airflow 2 example payload from the shared contracts', (t) => {
    const dir = sharedSpecsDir();
    if (dir === null) return t.skip(specsMissingMessage());
    const file = join(dir, 'examples', 'airflow', 'v1_get_log_response.test-expected.json');
    const example = JSON.parse(readFileSync(file, 'utf8')) as { content: string };
    assert.deepEqual(v1LogLines(example.content), [
      '*** Found local files:',
      '***   * <log_dir>/dag_id=<dag_id>/run_id=<run_id>/task_id=<task_id>/attempt=1.log',
      'Log for testing.',
    ]);
  });

  it('joins several (host, text) tuples and skips the hosts', () => {
    assert.deepEqual(v1LogLines("[('h1', 'a\\nb\\n'), ('h2', 'c')]"), ['a', 'b', 'c']);
    assert.deepEqual(v1LogLines('[]'), []);
    assert.deepEqual(v1LogLines(''), []);
  });

  it('accepts a plain string and JSON arrays of pairs', () => {
    assert.deepEqual(v1LogLines('plain text\r\nsecond line\n'), ['plain text', 'second line']);
    assert.deepEqual(v1LogLines([['host', 'x\ny'], 'z']), ['x', 'y', 'z']);
  });

  it('shows content that only looks like a literal as text', () => {
    assert.deepEqual(v1LogLines('[2026-03-10 02:00:01] INFO - started\nnext'), [
      '[2026-03-10 02:00:01] INFO - started',
      'next',
    ]);
  });
});
