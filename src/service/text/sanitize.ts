// ANSI escape sequences (CSI, OSC, single-character escapes).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
// Control characters except tab, plus C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Zero-width, bidi overrides/isolates, BOM, soft hyphen, tag characters and other invisible formatting.
const INVISIBLE =
  /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\u{e0000}-\u{e007f}]/gu;
// Lone surrogates (invalid UTF-16 from mis-decoded input).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** One line of untrusted text made safe to show: no escapes, controls, hidden or bidi characters. */
export function sanitizeLine(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r/g, '')
    .replace(CONTROL, '')
    .replace(INVISIBLE, '')
    .replace(LONE_SURROGATE, '\ufffd');
}

/** Multi-line untrusted text: sanitized line by line, newlines kept. */
export function sanitizeText(text: string): string {
  return text.split('\n').map(sanitizeLine).join('\n');
}
