import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UntrustedText } from '../text/untrusted.js';
import { FAILURE_CLASSES, type FailureClass } from './classify.js';
import { extractError } from './extract-error.js';

// tsc does not copy non-TS files: the fixtures are read from the source tree.
const CORPUS = new URL('../../../src/service/digest/corpus/', import.meta.url);

interface Expectation {
  source: string;
  class: FailureClass;
  exception_type: string | null;
  /** A substring of the expected error line. */
  error_line: string;
  /** A substring of one of the context lines. */
  context?: string;
  /** Substrings the causes start with, outermost first. */
  causes?: string[];
  /** A substring of one of the stack entries. */
  stack?: string;
}

const cases = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .map((file) => {
    const name = file.replace(/\.log$/, '');
    const log = readFileSync(new URL(file, CORPUS), 'utf8');
    const expected = JSON.parse(readFileSync(new URL(`${name}.json`, CORPUS), 'utf8')) as Expectation;
    return { name, lines: log.replace(/\n$/, '').split('\n'), expected };
  });

test('the corpus is large enough and covers every class at least twice', () => {
  assert.ok(cases.length >= 25, `${cases.length} cases`);
  for (const cls of FAILURE_CLASSES) {
    const n = cases.filter((c) => c.expected.class === cls).length;
    assert.ok(n >= 2, `class ${cls} has ${n} case(s)`);
  }
  const sources = new Set(cases.map((c) => c.expected.source.split('+')[0]));
  for (const s of ['airflow2', 'airflow3', 'dagster', 'prefect', 'spark', 'dbt'])
    assert.ok(sources.has(s), s);
});

const text = new UntrustedText([]);

for (const { name, lines, expected } of cases) {
  test(`corpus: ${name}`, () => {
    // As digestFailure reads them: cleaned and redacted first.
    const found = extractError(text.lines(lines, 1000));
    assert.ok(found, 'no error found');
    const where = `\n${JSON.stringify(found, null, 2)}`;
    assert.equal(found.class, expected.class, `class${where}`);
    assert.equal(found.exception_type, expected.exception_type, `exception_type${where}`);
    assert.ok(found.error_line.includes(expected.error_line), `error_line${where}`);
    if (expected.context !== undefined) {
      assert.ok(
        found.context.some((l) => l.includes(expected.context as string)),
        `context should include "${expected.context}"${where}`,
      );
    }
    if (expected.causes) {
      assert.equal(found.causes.length, expected.causes.length, `causes${where}`);
      expected.causes.forEach((c, i) => assert.ok(found.causes[i]?.startsWith(c), `cause ${i}${where}`));
    }
    if (expected.stack !== undefined) {
      assert.ok(
        found.stack.some((l) => l.includes(expected.stack as string)),
        `stack should include "${expected.stack}"${where}`,
      );
    }
    assert.ok(found.context.length <= 3 && found.causes.length <= 3 && found.stack.length <= 8);
    assert.match(found.signature, /^[a-z_]+\/[\w$-]+\/[0-9a-f]{12}$/);
    // Raw lines (not cleaned) classify the same.
    assert.equal(extractError(lines)?.class, expected.class);
  });
}
