import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from './lines.js';

function split(chunks: Buffer[], maxLineBytes = 1 << 20): { lines: string[]; overlong: number[] } {
  const lines: string[] = [];
  const overlong: number[] = [];
  const splitter = new LineSplitter({
    maxLineBytes,
    onLine: (l) => lines.push(l),
    onOverlong: (n) => overlong.push(n),
  });
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return { lines, overlong };
}

/** The bytes cut at each of the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const i of [...at, bytes.length]) {
    out.push(bytes.subarray(from, i));
    from = i;
  }
  return out;
}

describe('LineSplitter', () => {
  const text = '{"event":"Zählerstand für 日本 — ok"}\r\n{"event":"😀 €"}\n\nlast without newline 🎉';
  const expected = [
    '{"event":"Zählerstand für 日本 — ok"}',
    '{"event":"😀 €"}',
    '',
    'last without newline 🎉',
  ];
  const bytes = Buffer.from(text, 'utf8');

  it('decodes lines whole, wherever the chunks are cut (inside characters too)', () => {
    for (let i = 0; i <= bytes.length; i++) {
      assert.deepEqual(split(cut(bytes, [i])).lines, expected, `cut at ${i}`);
    }
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        assert.deepEqual(split(cut(bytes, [i, j])).lines, expected, `cut at ${i}, ${j}`);
      }
    }
    // One byte at a time.
    assert.deepEqual(
      split(
        cut(
          bytes,
          Array.from({ length: bytes.length }, (_, i) => i),
        ),
      ).lines,
      expected,
    );
  });

  it('drops a byte-order mark at the start, even split', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a\nb\n')]);
    for (let i = 0; i <= withBom.length; i++) assert.deepEqual(split(cut(withBom, [i])).lines, ['a', 'b']);
  });

  it('leaves out a line longer than the bound, reports it, and goes on', () => {
    const long = `short\n${'x'.repeat(100)}\nnext\n${'y'.repeat(60)}`;
    const pieces = cut(Buffer.from(long), [3, 20, 50, 90, 110, 130]);
    const { lines, overlong } = split(pieces, 50);
    assert.deepEqual(lines, ['short', 'next']);
    assert.deepEqual(overlong, [100, 60]);
  });

  it('keeps no more than one unfinished line, and can drop it', () => {
    const lines: string[] = [];
    const s = new LineSplitter({
      maxLineBytes: 100,
      onLine: (l) => lines.push(l),
      onOverlong: () => undefined,
    });
    s.push(Buffer.from('a\nbc'));
    assert.equal(s.pending, 2);
    s.discard();
    s.end();
    assert.deepEqual(lines, ['a']);
    assert.equal(s.pending, 0);
  });
});
