import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { LogTail, readLogTail, splitLines, StreamedLogTail, tokenEndOfLog } from './log-reader.js';
import type { LogChunk } from './records.js';
import { bytesOf } from '../../test/assertions.js';

describe('LogTail', () => {
  it('keeps only the last maxBytes and flags truncation', () => {
    const tail = new LogTail(50);
    for (let i = 0; i < 1000; i++) tail.push(`line ${i} ${'x'.repeat(i % 7)}`);
    const lines = tail.lines();
    assert.ok(bytesOf(lines) <= 50);
    assert.equal(lines[lines.length - 1], `line 999 ${'x'.repeat(999 % 7)}`);
    assert.equal(tail.truncated, true);
    assert.ok(tail.bytesSeen > 10_000);
  });

  it('is not truncated when everything fits', () => {
    const tail = new LogTail(1000);
    tail.push('a');
    tail.push('b');
    assert.deepEqual(tail.lines(), ['a', 'b']);
    assert.equal(tail.truncated, false);
    assert.equal(tail.size, 4);
  });

  it('keeps the end of a single line longer than the bound, without breaking characters', () => {
    const tail = new LogTail(10);
    tail.push(`${'é'.repeat(20)}END`);
    const [line] = tail.lines();
    assert.ok(line !== undefined && line.endsWith('END'));
    assert.ok(!line.includes('\uFFFD'));
    assert.ok(Buffer.byteLength(line) + 1 <= 10);
    assert.equal(tail.truncated, true);
  });

  it('stays bounded over a very long stream (ring compaction)', () => {
    const tail = new LogTail(100);
    for (let i = 0; i < 50_000; i++) tail.push(String(i));
    assert.equal(tail.lines().at(-1), '49999');
    assert.ok(bytesOf(tail.lines()) <= 100);
  });
});

describe('splitLines', () => {
  it('splits on LF and CRLF without a trailing empty line', () => {
    assert.deepEqual(splitLines('a\r\nb\nc\n'), ['a', 'b', 'c']);
    assert.deepEqual(splitLines('one'), ['one']);
  });
});

describe('continuation', () => {
  it('reads end_of_log from itsdangerous-style tokens', () => {
    const plain = `${Buffer.from(JSON.stringify({ end_of_log: true, log_pos: 10 })).toString('base64url')}.sig`;
    assert.equal(tokenEndOfLog(plain), true);
    const zipped = `.${deflateSync(Buffer.from(JSON.stringify({ end_of_log: false }))).toString('base64url')}.sig`;
    assert.equal(tokenEndOfLog(zipped), false);
    assert.equal(tokenEndOfLog('opaque-token'), null);
    assert.equal(tokenEndOfLog('!!!'), null);
    // Airflow 2's itsdangerous URLSafeSerializer tokens: payload.signature, the payload is not encrypted.
    const v1 = `${Buffer.from('{"end_of_log":true,"log_pos":16}').toString('base64url')}.c2lnbmF0dXJl`;
    assert.equal(tokenEndOfLog(v1), true);
  });

  it('stops when the token says end_of_log, even when it is still sent (Airflow 2)', async () => {
    const end = `${Buffer.from('{"end_of_log":true,"log_pos":3}').toString('base64url')}.sig`;
    let calls = 0;
    const result = await readLogTail(
      async () => {
        calls++;
        return { lines: ['a', 'b'], continuation_token: end };
      },
      { maxBytes: 1000, maxChunks: 10 },
    );
    assert.equal(calls, 1);
    assert.deepEqual(result.lines, ['a', 'b']);
    assert.equal(result.complete, true);
  });

  it('follows tokens, bounds the tail and counts bytes', async () => {
    const all = Array.from({ length: 200 }, (_, i) => `line ${i}`);
    const tokens: (string | null)[] = [];
    const fetch = async (token: string | null): Promise<LogChunk> => {
      tokens.push(token);
      const start = token === null ? 0 : Number(token);
      const end = Math.min(all.length, start + 15);
      return {
        lines: all.slice(start, end),
        continuation_token: end < all.length ? String(end) : null,
      };
    };
    const result = await readLogTail(fetch, { maxBytes: 100, maxChunks: 100 });
    assert.equal(result.chunks, 14);
    assert.equal(result.complete, true);
    assert.equal(result.truncated, true);
    assert.equal(result.lines.at(-1), 'line 199');
    assert.ok(bytesOf(result.lines) <= 100);
    assert.equal(result.bytes_read, bytesOf(all));
  });

  it('stops on a repeated token, an empty chunk, or the chunk bound', async () => {
    let calls = 0;
    const same = await readLogTail(
      async () => {
        calls++;
        return { lines: ['x'], continuation_token: 'same' };
      },
      { maxBytes: 1000, maxChunks: 50 },
    );
    assert.equal(calls, 2);
    assert.equal(same.complete, true);

    const empty = await readLogTail(async (t) => ({ lines: t ? [] : ['a'], continuation_token: 't' }), {
      maxBytes: 1000,
      maxChunks: 50,
    });
    assert.deepEqual(empty.lines, ['a']);

    let n = 0;
    const endless = await readLogTail(async () => ({ lines: [`l${n}`], continuation_token: String(++n) }), {
      maxBytes: 1000,
      maxChunks: 5,
    });
    assert.equal(endless.complete, false);
    assert.equal(endless.truncated, true);
    assert.match(endless.lines.at(-1) ?? '', /stopped after 5 log chunks/);
  });
});

describe('StreamedLogTail', () => {
  const render = (line: string) => (line.length === 0 ? [] : [`> ${line}`]);

  it('renders lines as they complete, across chunks, and keeps a bounded tail', () => {
    const tail = new StreamedLogTail({ maxBytes: 40, maxLineBytes: 1000, render });
    const text = Array.from({ length: 50 }, (_, i) => `l${i} é`).join('\n');
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += 7) tail.push(bytes.subarray(i, i + 7));
    const result = tail.finish('end');
    assert.equal(result.lines.at(-1), '> l49 é', 'the last line has no newline and still counts');
    assert.ok(bytesOf(result.lines) <= 40);
    assert.equal(result.truncated, true);
    assert.equal(result.complete, true);
    assert.equal(result.bytes_read, bytes.length);
    assert.equal(result.chunks, 1);
  });

  it('is complete and untruncated when everything fits', () => {
    const tail = new StreamedLogTail({ maxBytes: 1000, maxLineBytes: 1000, render });
    tail.push(Buffer.from('a\n\nb\n'));
    assert.deepEqual(tail.finish('end'), {
      lines: ['> a', '> b'],
      truncated: false,
      bytes_read: 5,
      chunks: 1,
      complete: true,
    });
  });

  it('notes a stream cut short and drops its unfinished last line', () => {
    const tail = new StreamedLogTail({ maxBytes: 1000, maxLineBytes: 1000, render });
    tail.push(Buffer.from('a\nb\nhalf a li'));
    const result = tail.finish('max_bytes');
    assert.deepEqual(result.lines.slice(0, 2), ['> a', '> b']);
    assert.match(
      result.lines.at(-1) ?? '',
      /^\[pipeline-monitor\] stopped reading the log after 13 bytes; the end/,
    );
    assert.equal(result.truncated, true);
    assert.equal(result.complete, false);

    const late = new StreamedLogTail({ maxBytes: 1000, maxLineBytes: 1000, render });
    late.push(Buffer.from('a\n'));
    assert.match(late.finish('deadline').lines.at(-1) ?? '', /at the time bound/);
  });

  it('leaves out an oversized record with a note', () => {
    const tail = new StreamedLogTail({ maxBytes: 1000, maxLineBytes: 10, render });
    tail.push(Buffer.from(`a\n${'x'.repeat(30)}\nb\n`));
    const result = tail.finish('end');
    assert.deepEqual(result.lines, [
      '> a',
      '[pipeline-monitor] a log record of more than 10 bytes was left out',
      '> b',
    ]);
    assert.equal(result.truncated, true);
  });
});
