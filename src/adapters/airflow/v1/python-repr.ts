import { splitLines } from '../log-reader.js';

/**
 * Airflow 2's log endpoint answers JSON with `content` set to Python's `str()` of a list of
 * `(host, text)` tuples — a Python literal, not JSON. This reads such literals without evaluating
 * anything: lists, tuples, str/bytes literals (every escape Python's repr emits), None, True, False and
 * numbers. Anything else is not a literal this module accepts.
 */

export type PyLiteral = string | number | boolean | null | PyLiteral[];

const MAX_DEPTH = 32;

class ReprError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  value(depth: number): PyLiteral {
    if (depth > MAX_DEPTH) throw new ReprError('nested too deeply');
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '[') return this.sequence(']', depth);
    if (ch === '(') return this.sequence(')', depth);
    const prefix = /^(?:[rRuUbB]|[bB][rR]|[rR][bB])?(?=['"])/.exec(this.text.slice(this.pos, this.pos + 3));
    if (prefix) {
      this.pos += prefix[0].length;
      return this.string(/r/i.test(prefix[0]));
    }
    const word = /^(?:None|True|False|[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))/.exec(
      this.text.slice(this.pos, this.pos + 64),
    );
    if (word) {
      this.pos += word[0].length;
      if (word[0] === 'None') return null;
      if (word[0] === 'True') return true;
      if (word[0] === 'False') return false;
      return Number(word[0]);
    }
    throw new ReprError(`unexpected ${ch === undefined ? 'end' : JSON.stringify(ch)} at ${this.pos}`);
  }

  private sequence(close: ']' | ')', depth: number): PyLiteral[] {
    this.pos++; // opening bracket
    const items: PyLiteral[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.skipSpace();
      const next = this.text[this.pos];
      if (next === ',') this.pos++;
      else if (next !== close) throw new ReprError(`expected , or ${close} at ${this.pos}`);
    }
  }

  private string(raw: boolean): string {
    const text = this.text;
    const quote = text[this.pos] as string;
    const triple = text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.pos += delimiter.length;
    // Jumps from one character that matters (backslash, quote, line break) to the next.
    const special = quote === "'" ? /[\\'\r\n]/g : /[\\"\r\n]/g;
    const parts: string[] = [];
    let start = this.pos;
    for (;;) {
      special.lastIndex = this.pos;
      const match = special.exec(text);
      if (match === null) throw new ReprError('unterminated string');
      this.pos = match.index;
      const ch = match[0];
      if (ch === '\\') {
        parts.push(text.slice(start, this.pos));
        this.pos++;
        if (raw) {
          parts.push(`\\${text[this.pos] ?? ''}`);
          this.pos++;
        } else parts.push(this.escape());
        start = this.pos;
        continue;
      }
      if (ch === quote && text.startsWith(delimiter, this.pos)) {
        parts.push(text.slice(start, this.pos));
        this.pos += delimiter.length;
        return parts.join('');
      }
      if (!triple && ch !== quote) throw new ReprError('line break in string');
      this.pos++;
    }
  }

  /** One escape sequence after a backslash (the position is after the backslash). */
  private escape(): string {
    const text = this.text;
    const ch = text[this.pos];
    if (ch === undefined) throw new ReprError('unterminated escape');
    this.pos++;
    switch (ch) {
      case '\n':
        return '';
      case '\\':
      case "'":
      case '"':
        return ch;
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'a':
        return '\u0007';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'x':
        return this.hex(2);
      case 'u':
        return this.hex(4);
      case 'U':
        return this.hex(8);
      default:
        break;
    }
    if (ch >= '0' && ch <= '7') {
      let digits = ch;
      while (digits.length < 3 && /[0-7]/.test(text[this.pos] ?? '')) digits += text[this.pos++];
      return String.fromCodePoint(parseInt(digits, 8));
    }
    return `\\${ch}`; // Python keeps unknown escapes as they are
  }

  private hex(length: number): string {
    const digits = this.text.slice(this.pos, this.pos + length);
    if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) throw new ReprError('bad hex escape');
    this.pos += length;
    const code = parseInt(digits, 16);
    if (code > 0x10ffff) throw new ReprError('code point out of range');
    return String.fromCodePoint(code);
  }
}

/** The literal, or undefined when the text is not exactly one supported Python literal. */
export function parsePythonLiteral(text: string): PyLiteral | undefined {
  const reader = new Reader(text);
  try {
    const value = reader.value(0);
    reader.skipSpace();
    return reader.pos === text.length ? value : undefined;
  } catch (error) {
    if (error instanceof ReprError || error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * The log lines of an Airflow 2 JSON log `content`: the texts of its `(host, text)` tuples (hosts are not
 * log lines), or the content itself when it is a plain string rather than a Python literal.
 */
export function v1LogLines(content: string | readonly unknown[]): string[] {
  let value: unknown = content;
  if (typeof content === 'string') {
    const start = content.trimStart();
    if (start.length === 0) return [];
    if (!start.startsWith('[') && !start.startsWith('(')) return splitLines(content);
    value = parsePythonLiteral(content);
    if (value === undefined) return splitLines(content); // not a literal after all: show it as text
  }
  const lines: string[] = [];
  const texts = Array.isArray(value) ? value : [value];
  for (const item of texts as unknown[]) {
    let text: unknown = item;
    if (Array.isArray(item)) text = item.length >= 2 ? item[1] : item[0];
    if (typeof text === 'string' && text.length > 0) for (const line of splitLines(text)) lines.push(line);
  }
  return lines;
}
