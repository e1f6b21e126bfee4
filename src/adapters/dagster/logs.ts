import { LogTail } from '../airflow/log-reader.js';
import { isoFromMillisString, renderTraceback } from './mapping.js';
import type { DagsterEvent } from './schemas.js';

/**
 * Reading a step's captured stdout/stderr through `capturedLogs` cursors while keeping only a bounded tail,
 * and the structured-event fallback. Everything here is pure except `readCapturedTail`, which only calls the
 * fetch function it is given.
 */

export { LogTail };

export const STDOUT_HEADER = '==> stdout <==';
export const STDERR_HEADER = '==> stderr <==';

/** A LogTail fed with arbitrary text chunks: lines may be split across chunks. */
export class StreamTail {
  readonly tail: LogTail;
  private carry = '';
  bytes = 0;

  constructor(maxBytes: number) {
    this.tail = new LogTail(maxBytes);
  }

  write(text: string): void {
    if (text.length === 0) return;
    this.bytes += Buffer.byteLength(text, 'utf8');
    const parts = (this.carry + text).split('\n');
    this.carry = parts.pop() ?? '';
    for (const part of parts) this.tail.push(part.endsWith('\r') ? part.slice(0, -1) : part);
    // A line without end: keep only as much of it as the tail could ever show.
    const limit = this.tail.maxBytes * 2;
    if (this.carry.length > limit) {
      this.carry = this.carry.slice(-limit);
      this.tail.truncated = true;
    }
  }

  end(): void {
    if (this.carry.length > 0)
      this.tail.push(this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry);
    this.carry = '';
  }

  get empty(): boolean {
    return this.bytes === 0;
  }
}

export interface CapturedChunk {
  stdout?: string | null | undefined;
  stderr?: string | null | undefined;
  cursor?: string | null | undefined;
}

export interface CapturedTailResult {
  lines: string[];
  truncated: boolean;
  bytes_read: number;
  chunks: number;
  /** False when the chunk bound stopped reading before the end of the log. */
  complete: boolean;
  /** Nothing was captured (or the server keeps it elsewhere): use another source. */
  empty: boolean;
}

export interface ReadCapturedOptions {
  maxBytes: number;
  /** Upper bound on requests for one log. */
  maxChunks: number;
}

/**
 * Follows `capturedLogs` cursors until a chunk brings nothing, the cursor stops moving, or the chunk bound;
 * keeps the last `maxBytes` of each stream while streaming. The result puts stderr after stdout, so that the
 * bounded tail keeps stderr (where Dagster writes step failures and tracebacks) first.
 */
export async function readCapturedTail(
  fetchChunk: (cursor: string | null) => Promise<CapturedChunk>,
  options: ReadCapturedOptions,
): Promise<CapturedTailResult> {
  const stdout = new StreamTail(options.maxBytes);
  const stderr = new StreamTail(options.maxBytes);
  let cursor: string | null = null;
  let chunks = 0;
  let complete = false;
  while (chunks < Math.max(1, options.maxChunks)) {
    const chunk = await fetchChunk(cursor);
    chunks++;
    const out = chunk.stdout ?? '';
    const err = chunk.stderr ?? '';
    stdout.write(out);
    stderr.write(err);
    const next = chunk.cursor ?? null;
    if ((out.length === 0 && err.length === 0) || next === null || next === cursor) {
      complete = true;
      break;
    }
    cursor = next;
  }
  stdout.end();
  stderr.end();
  const combined = new LogTail(options.maxBytes);
  const both = !stdout.empty && !stderr.empty;
  if (both) combined.push(STDOUT_HEADER);
  for (const line of stdout.tail.lines()) combined.push(line);
  if (both) combined.push(STDERR_HEADER);
  for (const line of stderr.tail.lines()) combined.push(line);
  if (!complete) {
    combined.push(
      `[pipeline-monitor] stopped after ${chunks} log chunks; the end of the captured log was not read`,
    );
  }
  return {
    lines: combined.lines(),
    truncated: combined.truncated || stdout.tail.truncated || stderr.tail.truncated || !complete,
    bytes_read: stdout.bytes + stderr.bytes,
    chunks,
    complete,
    empty: stdout.empty && stderr.empty,
  };
}

/** `[time] LEVEL EVENT_TYPE - message`, then the error (if any) as a Python traceback. */
export function renderEvent(event: DagsterEvent): string[] {
  const parts: string[] = [];
  const time = isoFromMillisString(event.timestamp);
  if (time) parts.push(`[${time}]`);
  if (event.level) parts.push(event.level);
  parts.push(`${event.eventType ?? event.__typename} -`);
  parts.push(event.message ?? '');
  const lines = parts.join(' ').replace(/\s+$/, '').split(/\r?\n/);
  if (event.error) lines.push(...renderTraceback(event.error));
  return lines;
}

/** True when the event concerns the step (its own events and the LogsCapturedEvent that lists it). */
export function eventIsForStep(event: DagsterEvent, stepKey: string): boolean {
  return event.stepKey === stepKey || (event.stepKeys ?? []).includes(stepKey);
}
