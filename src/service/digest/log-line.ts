/** Reading one log line of any orchestrator: its level and its message without the logging prefix. */

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

export interface ParsedLine {
  level: LogLevel | null;
  /** The message without timestamp, source file, level and logger prefixes (leading indentation kept). */
  text: string;
  /** True when a logging prefix was recognized (the line is a log record, not raw stderr output). */
  prefixed: boolean;
}

const LEVEL = '(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|EXCEPTION)';
const TIMESTAMP =
  '(?:\\d{2,4}[-/]\\d\\d[-/]\\d\\d(?:,?[ T]\\d\\d:\\d\\d(?::\\d\\d)?(?:[.,]\\d+)?)?(?:\\s*(?:Z|UTC|[+-]\\d\\d:?\\d\\d))?|\\d\\d:\\d\\d:\\d\\d(?:[.,]\\d+)?)';

// `[2024-01-01 00:00:00,123]`, `[2024-01-01, 00:00:00 UTC]`, `[2026-11-24T06:17:03.689000Z]`
// A bracketed prefix counts when it holds a time, or when a source file or a level follows it.
const BRACKET_TIME = new RegExp(
  `^(?:\\[[^\\]]{0,40}\\d\\d:\\d\\d[^\\]]{0,20}\\]\\s*|\\[[^\\]\\s]{1,48}\\]\\s+(?=\\{|${LEVEL}\\b))`,
);
const PLAIN_TIME = new RegExp(`^${TIMESTAMP}\\s*`);
// Airflow 2's `{taskinstance.py:1234}`.
const SOURCE = /^\{[^}]{1,120}\}\s*/;
// Prefect console: `| ERROR   | Flow run 'crimson-fox' - `; generic `| ERROR | logger - `.
const PIPE_LEVEL = new RegExp(
  `^\\|\\s*${LEVEL}\\s*\\|\\s*(?:(?:Flow|Task) run '[^']*'\\s+-\\s|[\\w.<>-]+\\s+-\\s)?`,
  'i',
);
// Python logging `name - LEVEL - ` (Dagster: `dagster - ERROR - job - run_id - step - EVENT - message`).
const NAME_DASH_LEVEL = new RegExp(`^(?:-\\s+)?[\\w.<>-]+\\s+-\\s+${LEVEL}\\s+-\\s`, 'i');
// `LEVEL logger - `, `LEVEL - `, `LEVEL: `, `LEVEL:root:`, `LEVEL `.
const LEVEL_FIRST = new RegExp(
  `^${LEVEL}(?:\\s+[\\w.<>\\[\\]-]+\\s+-\\s|\\s+-\\s|:[\\w.]+:|:\\s|\\s+(?=\\S))`,
);
// Dagster structured messages: `job - 0f1e…- 1234 - step - STEP_FAILURE - Execution of step "x" failed.`
const DAGSTER_EVENT =
  /^(?:[^\s].*?\s-\s)?((?:STEP|RUN|ENGINE|PIPELINE|ASSET|HOOK|LOGS|HANDLED|RESOURCE|LOADED|ALERT|OBJECT)_[A-Z_]+)\s-\s/;
// dbt prints its own clock before each line: `02:09:12  Database Error in model …`.
const DBT_CLOCK = /^\d\d:\d\d:\d\d(?:\.\d+)?\s{1,4}(?=\S|\s)/;

function level(name: string | undefined): LogLevel | null {
  switch (name?.toUpperCase()) {
    case 'DEBUG':
      return 'debug';
    case 'INFO':
      return 'info';
    case 'WARNING':
    case 'WARN':
      return 'warning';
    case 'ERROR':
    case 'EXCEPTION':
      return 'error';
    case 'CRITICAL':
    case 'FATAL':
      return 'critical';
    default:
      return null;
  }
}

export function parseLogLine(line: string): ParsedLine {
  let text = line;
  let prefixed = false;
  let lvl: LogLevel | null = null;
  const strip = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(text);
    if (m) {
      text = text.slice(m[0].length);
      prefixed = true;
    }
    return m;
  };
  if (!strip(BRACKET_TIME)) strip(PLAIN_TIME);
  if (prefixed) strip(SOURCE);
  const m = strip(PIPE_LEVEL) ?? strip(NAME_DASH_LEVEL) ?? strip(LEVEL_FIRST);
  if (m) lvl = level(m[1]);
  if (m || prefixed) {
    strip(DAGSTER_EVENT);
    // dbt's clock, then the line's own indentation is not meaningful.
    const clock = DBT_CLOCK.exec(text);
    if (clock) text = text.slice(clock[0].length).trimStart();
  }
  // A logged line that only carries a logger prefix (`[ts] task.stderr - …`) without a level.
  if (prefixed && !m) {
    const logger = /^[\w.<>-]+\s+-\s/.exec(text);
    if (logger) text = text.slice(logger[0].length);
  }
  return { level: lvl, text, prefixed };
}

/** The message part of a log line, without `[timestamp] {file:line} LEVEL logger - ` prefixes. */
export function logPayload(line: string): string {
  return parseLogLine(line).text;
}
