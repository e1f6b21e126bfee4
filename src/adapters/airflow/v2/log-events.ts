import { splitLines } from '../log-reader.js';
import {
  StructuredLogMessageSchema,
  TaskLogResponseSchema,
  type StructuredLogMessage,
  type TaskLogResponse,
} from './schemas.js';

/** Airflow 3 structured log events (structlog JSON) → readable lines. */

const RESERVED_KEYS = new Set(['event', 'timestamp', 'level', 'logger', 'error_detail']);
const EXTRA_VALUE_MAX = 200;
const MAX_FRAMES = 30;

function compactValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string')
    text = /[\s"=]/.test(value) || value.length === 0 ? JSON.stringify(value) : value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > EXTRA_VALUE_MAX ? `${text.slice(0, EXTRA_VALUE_MAX - 1)}…` : text;
}

/** Renders structlog's `error_detail` (dict tracebacks) like a Python traceback. */
export function renderErrorDetail(detail: unknown): string[] {
  if (!Array.isArray(detail)) return [];
  const out: string[] = [];
  for (const exc of detail.slice(0, 10)) {
    if (typeof exc !== 'object' || exc === null) continue;
    const e = exc as Record<string, unknown>;
    const frames = Array.isArray(e.frames) ? e.frames : [];
    // structlog lists the raised exception first, then its causes (is_cause).
    if (e.is_cause === true && out.length > 0) out.push('Caused by:');
    if (frames.length > 0) out.push('Traceback (most recent call last):');
    if (frames.length > MAX_FRAMES) out.push(`  … ${frames.length - MAX_FRAMES} earlier frames`);
    for (const frame of frames.slice(-MAX_FRAMES)) {
      if (typeof frame !== 'object' || frame === null) continue;
      const f = frame as Record<string, unknown>;
      out.push(
        `  File "${String(f.filename ?? '?')}", line ${String(f.lineno ?? '?')}, in ${String(f.name ?? '?')}`,
      );
      if (typeof f.line === 'string' && f.line.trim()) out.push(`    ${f.line.trim()}`);
    }
    const type = typeof e.exc_type === 'string' ? e.exc_type : 'Exception';
    const value = typeof e.exc_value === 'string' ? e.exc_value : '';
    out.push(value ? `${type}: ${value}` : type);
    if (Array.isArray(e.exc_notes)) {
      for (const note of e.exc_notes.slice(0, 5)) if (typeof note === 'string') out.push(note);
    }
  }
  return out;
}

/** `[timestamp] LEVEL logger - event key=value …`, then any traceback; split into physical lines. */
export function renderLogEvent(event: StructuredLogMessage | string): string[] {
  if (typeof event === 'string') return splitLines(event);
  const parts: string[] = [];
  if (event.timestamp) parts.push(`[${event.timestamp}]`);
  if (event.level) parts.push(event.level.toUpperCase());
  if (event.logger) parts.push(`${event.logger} -`);
  parts.push(event.event);
  const extras: string[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (RESERVED_KEYS.has(key) || value === null || value === undefined) continue;
    extras.push(`${key}=${compactValue(value)}`);
  }
  if (extras.length > 0) parts.push(extras.join(' '));
  const lines = splitLines(parts.join(' '));
  return lines.concat(renderErrorDetail((event as Record<string, unknown>).error_detail));
}

/** The lines of one response's `content`, whatever its form. */
export function renderContent(content: TaskLogResponse['content']): string[] {
  if (typeof content === 'string') return content.length === 0 ? [] : splitLines(content);
  const out: string[] = [];
  for (const item of content) for (const line of renderLogEvent(item)) out.push(line);
  return out;
}

/**
 * The lines of one line of an NDJSON log stream: one event, rendered as the JSON answer's content items are
 * (a structured event, or a string). A `{"content": …}` record is read like a JSON answer's body. A line
 * that is none of these (not JSON, or another shape) is shown as it is rather than failing the whole log.
 */
export function renderNdjsonLine(line: string): string[] {
  if (line.trim().length === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return splitLines(line);
  }
  if (typeof parsed === 'string') return renderLogEvent(parsed);
  const event = StructuredLogMessageSchema.safeParse(parsed);
  if (event.success) return renderLogEvent(event.data);
  const wrapped = TaskLogResponseSchema.pick({ content: true }).safeParse(parsed);
  if (wrapped.success) return renderContent(wrapped.data.content);
  return splitLines(line);
}
