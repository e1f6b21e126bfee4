/* eslint-disable no-control-regex */

// Terminal escape sequences, 7-bit and 8-bit forms:
// - string controls (DCS, SOS, PM, APC) up to their terminator (ST or BEL), or to the end when cut off;
// - OSC (titles, hyperlinks) up to BEL or ST, or to the end when cut off (8-bit forms need a terminator);
// - CSI with parameters and intermediates (colours, cursor moves, erase);
// - nF escapes (ESC, intermediates, final: charset selection) and the single-character escapes.
const ANSI = new RegExp(
  [
    '\\u001b[PX^_][\\s\\S]*?(?:\\u001b\\\\|\\u0007|\\u009c|$)',
    '\\u001b\\][^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c|$)',
    // 8-bit forms only with their terminator: a stray C1 byte (mis-decoded text) must not eat the line.
    '[\\u0090\\u0098\\u009d\\u009e\\u009f][^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)',
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]?',
    '\\u001b[ -/]+[0-~]?',
    '\\u001b[0-~]?',
  ].join('|'),
  'g',
);
// C0 controls except tab, DEL and C1 controls.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// Line and paragraph separators would break a line in two where the reader does not expect it.
const LINE_SEPARATORS = /[\u2028\u2029]/g;
// Invisible characters that hide or reorder text: soft hyphen, combining grapheme joiner, Arabic letter
// mark, Hangul fillers, Khmer inherent vowels, Mongolian vowel separator and free variation selectors,
// zero-width space/joiners, LRM/RLM, bidi embeddings/overrides/isolates, word joiner and invisible
// operators, deprecated format characters, BOM, interlinear annotation, tag characters.
// Each listed character is matched on its own, even those that combine with a neighbour.
const INVISIBLE =
  // eslint-disable-next-line no-misleading-character-class
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]|[\u{e0000}-\u{e007f}]/gu;
// Variation selectors: VS15/VS16 right after a pictograph choose its presentation and are kept; any other
// use (long runs after ordinary letters encode hidden bytes) is dropped, as is the supplement block.
const VARIATION_SELECTORS =
  /(\p{Extended_Pictographic})([\ufe0e\ufe0f])|[\ufe00-\ufe0f]|[\u{e0100}-\u{e01ef}]/gu;
// Lone surrogates (invalid UTF-16 from mis-decoded input).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** One line of untrusted text made safe to show: no escapes, controls, hidden or bidi characters. */
export function sanitizeLine(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r/g, '')
    .replace(/\n/g, ' ')
    .replace(LINE_SEPARATORS, ' ')
    .replace(CONTROL, '')
    .replace(INVISIBLE, '')
    .replace(VARIATION_SELECTORS, (_m, base?: string, vs?: string) => (base ? base + (vs ?? '') : ''))
    .replace(LONE_SURROGATE, '\ufffd');
}

/** Multi-line untrusted text: sanitized line by line, newlines kept (CRLF and lone CR become LF). */
export function sanitizeText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map(sanitizeLine)
    .join('\n');
}

const LOSSY_UTF8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Bytes from a log as text: invalid UTF-8 becomes U+FFFD instead of failing, a leading BOM is dropped. */
export function decodeUtf8Lossy(buf: Uint8Array | ArrayBuffer): string {
  return LOSSY_UTF8.decode(buf);
}
