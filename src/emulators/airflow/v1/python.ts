/** Python's `repr()` of the values Airflow 2 puts into its answers (log content, error details). */

function escapeChar(ch: string, quote: string): string {
  if (ch === quote || ch === '\\') return `\\${ch}`;
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0xad) {
    return `\\x${code.toString(16).padStart(2, '0')}`;
  }
  if (code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
    return `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return ch;
}

/** `repr(str)`: single quotes unless the text has one and no double quote. */
export function pyStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) out += escapeChar(ch, quote);
  return out + quote;
}

/** `repr()` of a JSON value as Python sees it after json.loads (dict, list, str, int, float, bool, None). */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyStr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pyStr(k)}: ${pyRepr(v)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return pyStr(String(value));
}

/** `str([(host, text), …])`: how Airflow 2's LogsSchema (a marshmallow `fields.Str`) prints log chunks. */
export function pyHostLogList(chunks: readonly (readonly [string, string])[]): string {
  return `[${chunks.map(([host, text]) => `(${pyStr(host)}, ${pyStr(text)})`).join(', ')}]`;
}
