/** The meaningful error in a log tail: the final exception of a traceback, else the last ERROR line. */
export interface ExtractedError {
  error_line: string;
  exception_type: string | null;
  /** The innermost frames of the traceback that raised it, trimmed. */
  stack: string[];
}

const TRACEBACK_START = /^Traceback \(most recent call last\):/;
// Python prints `module.ExceptionType: message` (or just the type) unindented after the frames.
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;
const FRAME = /^(File "|\s)/;
// A chain printed outermost-first by Airflow 3's structured logs; Python itself prints causes first.
const CAUSED_BY = /^Caused by:?$/;
const ERROR_LEVEL = /\b(ERROR|CRITICAL|FATAL)\b/;
const GENERIC_ERROR = /Task failed with exception|^Traceback \(most recent call last\)/;
const MAX_STACK_LINES = 8;

/** The message part of a log line, without `[timestamp] {file:line} LEVEL logger - ` prefixes. */
export function logPayload(line: string): string {
  const m =
    /^\[[^\]]*\]\s*(?:\{[^}]*\}\s*)?(?:(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)(?:\s+[\w.<>-]+)?\s+-\s)?(.*)$/.exec(
      line,
    );
  return m ? (m[1] ?? '') : line;
}

export function extractError(lines: readonly string[]): ExtractedError | null {
  const payloads = lines.map(logPayload);
  let start = lastIndex(payloads, (p) => TRACEBACK_START.test(p), payloads.length - 1);
  // Walk back over "Caused by:" sections to the outermost exception of the chain.
  while (start > 0) {
    const before = lastIndex(payloads, (p) => p.trim().length > 0, start - 1);
    if (before < 0 || !CAUSED_BY.test(payloads[before]?.trim() ?? '')) break;
    const previous = lastIndex(payloads, (p) => TRACEBACK_START.test(p), before - 1);
    if (previous < 0) break;
    start = previous;
  }
  if (start >= 0) {
    for (let i = start + 1; i < payloads.length; i++) {
      const text = payloads[i] ?? '';
      if (text.trim() === '' || FRAME.test(text)) continue;
      const m = EXCEPTION_LINE.exec(text.trimEnd()) ?? /^([A-Za-z_][\w.]*):\s(.*)$/.exec(text);
      if (!m) break;
      const frames = payloads.slice(start + 1, i).filter((l) => l.trim().length > 0);
      return {
        error_line: text.trim(),
        exception_type: (m[1] ?? '').split('.').pop() ?? null,
        stack: frames.slice(-MAX_STACK_LINES).map((l) => l.trimEnd()),
      };
    }
  }
  const errorAt = lastIndex(
    lines,
    (l, i) => ERROR_LEVEL.test(l) && !GENERIC_ERROR.test(payloads[i] ?? ''),
    lines.length - 1,
  );
  if (errorAt < 0) return null;
  const text = (payloads[errorAt] ?? '').trim();
  const m = /^([A-Za-z_][\w.]*(?:Error|Exception)):/.exec(text);
  return { error_line: text, exception_type: m?.[1]?.split('.').pop() ?? null, stack: [] };
}

function lastIndex<T>(
  items: readonly T[],
  predicate: (item: T, index: number) => boolean,
  from: number,
): number {
  for (let i = Math.min(from, items.length - 1); i >= 0; i--) {
    if (predicate(items[i] as T, i)) return i;
  }
  return -1;
}
