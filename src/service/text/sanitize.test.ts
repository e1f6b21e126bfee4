import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeUtf8Lossy, sanitizeLine, sanitizeText } from './sanitize.js';

test('terminal escapes: CSI, OSC (BEL and ST), string controls, charset selection, 8-bit CSI', () => {
  assert.equal(sanitizeLine('\u001b[1;31mERROR\u001b[0m done\u001b[2K'), 'ERROR done');
  assert.equal(sanitizeLine('\u001b]0;fake title\u0007text'), 'text');
  assert.equal(sanitizeLine('\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\'), 'click');
  assert.equal(sanitizeLine('a\u001bP1$r0m\u001b\\b'), 'ab');
  assert.equal(sanitizeLine('a\u001b(Bb\u001b=c'), 'abc');
  assert.equal(sanitizeLine('\u009b31mred\u009b0m'), 'red');
  assert.equal(sanitizeLine('cut \u001b]0;no terminator'), 'cut ');
  assert.equal(sanitizeLine('cut \u001b['), 'cut ');
});

test('C0 and C1 controls are removed, tab kept, CR dropped and newlines become spaces', () => {
  assert.equal(sanitizeLine('a\u0000b\u0007c\u0008d\u001fe\u007ff\u0085g\u009fh'), 'abcdefgh');
  assert.equal(sanitizeLine('col1\tcol2'), 'col1\tcol2');
  assert.equal(sanitizeLine('progress 50%\rprogress 100%\r\n'), 'progress 50%progress 100% ');
  assert.equal(sanitizeLine('one\ntwo\u2028three\u2029four'), 'one two three four');
  assert.equal(sanitizeText('a\r\nb\rc\n\u001b[31md'), 'a\nb\nc\nd');
});

test('invisible and reordering characters are removed', () => {
  const hidden = [
    '\u200b', // zero-width space
    '\u200c', // zero-width non-joiner
    '\u200d', // zero-width joiner
    '\u2060', // word joiner
    '\ufeff', // BOM / zero-width no-break space
    '\u00ad', // soft hyphen
    '\u034f', // combining grapheme joiner
    '\u061c', // Arabic letter mark
    '\u200e\u200f', // LRM, RLM
    '\u202a\u202b\u202c\u202d\u202e', // embeddings and overrides
    '\u2066\u2067\u2068\u2069', // isolates
    '\u115f\u1160\u3164\uffa0', // Hangul fillers
    '\u180e', // Mongolian vowel separator
  ];
  for (const h of hidden) assert.equal(sanitizeLine(`ad${h}min`), 'admin', JSON.stringify(h));
  // Tag characters (an invisible "ignore previous" spelled in the tag block).
  const tags = [...'ignore previous'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
  assert.equal(sanitizeLine(`ok${tags}`), 'ok');
  // The bidi trick that shows "exe.txt" for "txt.exe".
  assert.equal(sanitizeLine('invoice\u202Etxt.exe'), 'invoicetxt.exe');
});

test('variation selectors: kept after a pictograph, dropped when they hide data', () => {
  assert.equal(sanitizeLine('status \u2705\ufe0f ok'), 'status \u2705\ufe0f ok');
  assert.equal(sanitizeLine('\u2764\ufe0f'), '\u2764\ufe0f');
  // Bytes smuggled as a run of selectors after an ordinary letter.
  const smuggled = `a${'\ufe01\ufe02\ufe0e'}${String.fromCodePoint(0xe0100, 0xe0142, 0xe01ef)}b`;
  assert.equal(sanitizeLine(smuggled), 'ab');
  assert.equal(sanitizeLine(`\u2705\ufe0f\ufe0f\ufe03`), '\u2705\ufe0f');
});

test('lone surrogates become U+FFFD; valid astral characters stay', () => {
  assert.equal(sanitizeLine('lone \ud800 high, lone \udc00 low'), 'lone \ufffd high, lone \ufffd low');
  assert.equal(sanitizeLine('emoji \u{1f600} ok'), 'emoji \u{1f600} ok');
});

test('decodeUtf8Lossy: invalid UTF-8 becomes U+FFFD, the BOM is dropped', () => {
  assert.equal(decodeUtf8Lossy(Buffer.from('plain ascii')), 'plain ascii');
  assert.equal(decodeUtf8Lossy(Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69])), 'hi');
  assert.equal(decodeUtf8Lossy(Buffer.from([0x61, 0xff, 0x62])), 'a\ufffdb');
  // Truncated multi-byte sequence at the end (a log cut in the middle of a character).
  assert.equal(decodeUtf8Lossy(Buffer.from([0x63, 0x61, 0x66, 0xc3])), 'caf\ufffd');
  // Overlong encoding of '/' and an encoded surrogate are rejected.
  assert.equal(decodeUtf8Lossy(Buffer.from([0xc0, 0xaf])), '\ufffd\ufffd');
  assert.equal(decodeUtf8Lossy(Buffer.from([0xed, 0xa0, 0x80])), '\ufffd\ufffd\ufffd');
  assert.equal(decodeUtf8Lossy(new Uint8Array([0xe2, 0x82, 0xac])), '\u20ac');
  assert.equal(decodeUtf8Lossy(new Uint8Array([0x61, 0x62]).buffer), 'ab');
});
