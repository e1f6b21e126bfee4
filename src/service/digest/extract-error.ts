/** The meaningful error in a log tail: the final exception of a traceback, else the last ERROR line. */
export interface ExtractedError {
  error_line: string;
  exception_type: string | null;
  /** The innermost frames of the last traceback, trimmed. */
  stack: string[];
}

const EXCEPTION_LINE = /^(?:[\w.]+\.)?([A-Z]\w*(?:Error|Exception|Timeout|Exit|Failure|Interrupt|Warning)|KeyboardInterrupt|SystemExit)(?::\s*(.*))?$/;
const TRACEBACK_START = /Traceback \(most recent call last\):/;
const ERROR_LEVEL = /\b(ERROR|CRITICAL|FATAL)\b/;
const MAX_STACK_LINES = 8;

/** Strips the `[timestamp] {file:line} LEVEL - ` prefix Airflow puts on log lines. */
function payload(line: string): string {
  const m = /^\[[^\]]*\]\s*(?:\{[^}]*\}\s*)?(?:[A-Z]+\s*-\s*)?(.*)$/.exec(line);
  return (m?.[1] ?? line).trim();
}

export function extractError(lines: readonly string[]): ExtractedError | null {
  let lastTraceback = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (TRACEBACK_START.test(lines[i] ?? '')) {
      lastTraceback = i;
      break;
    }
  }
  if (lastTraceback >= 0) {
    for (let i = lastTraceback + 1; i < lines.length; i++) {
      const text = payload(lines[i] ?? '');
      const m = EXCEPTION_LINE.exec(text);
      if (m && !/^\s/.test(lines[i] ?? '')) {
        const frames = lines.slice(lastTraceback + 1, i).filter((l) => l.trim().length > 0);
        return {
          error_line: text,
          exception_type: m[1] ?? null,
          stack: frames.slice(-MAX_STACK_LINES).map((l) => l.trimEnd()),
        };
      }
    }
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (ERROR_LEVEL.test(line) && !/Task failed with exception$/.test(line)) {
      const text = payload(line);
      const m = EXCEPTION_LINE.exec(text);
      return { error_line: text, exception_type: m?.[1] ?? null, stack: [] };
    }
  }
  return null;
}
