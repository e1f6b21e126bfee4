import { inflateSync } from 'node:zlib';
import type { LogChunk } from './records.js';

/**
 * Reading an Airflow task log through continuation tokens while keeping only a bounded tail, whatever API
 * version the chunks come from. Everything here is pure except `readLogTail`, which only calls the fetch
 * function it is given.
 */

/** Keeps the last `maxBytes` (UTF-8, one newline per line) of the lines pushed into it. */
export class LogTail {
  private buffer: string[] = [];
  private head = 0;
  private bytes = 0;
  /** Bytes of every line pushed, kept or not. */
  bytesSeen = 0;
  truncated = false;
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(1, Math.floor(maxBytes));
  }

  push(line: string): void {
    let size = lineBytes(line);
    this.bytesSeen += size;
    if (size > this.maxBytes) {
      line = tailOfLine(line, this.maxBytes - 1);
      size = lineBytes(line);
      this.truncated = true;
    }
    this.buffer.push(line);
    this.bytes += size;
    while (this.bytes > this.maxBytes && this.head < this.buffer.length) {
      const dropped = this.buffer[this.head] as string;
      this.buffer[this.head] = '';
      this.head++;
      this.bytes -= lineBytes(dropped);
      this.truncated = true;
    }
    if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.bytes;
  }

  lines(): string[] {
    return this.buffer.slice(this.head);
  }
}

/** Physical lines of a text (CRLF or LF); a final newline adds no empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lineBytes(line: string): number {
  return Buffer.byteLength(line, 'utf8') + 1;
}

/** The last `maxBytes` bytes of a line, without a broken leading character. */
function tailOfLine(line: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const buf = Buffer.from(line, 'utf8');
  return buf
    .subarray(buf.length - maxBytes)
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
}

/**
 * `end_of_log` from a continuation token, when the token is an itsdangerous-signed (not encrypted)
 * JSON payload as Airflow issues them; null when it cannot be read.
 */
export function tokenEndOfLog(token: string): boolean | null {
  if (token.length > 16_384) return null;
  try {
    const compressed = token.startsWith('.');
    const payload = (compressed ? token.slice(1) : token).split('.')[0] ?? '';
    if (!/^[A-Za-z0-9_-]+=*$/.test(payload)) return null;
    let bytes = Buffer.from(payload, 'base64url');
    if (compressed) bytes = inflateSync(bytes, { maxOutputLength: 65_536 });
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const end = (parsed as Record<string, unknown>).end_of_log;
    return typeof end === 'boolean' ? end : null;
  } catch {
    return null;
  }
}

export interface LogTailResult {
  lines: string[];
  truncated: boolean;
  bytes_read: number;
  chunks: number;
  /** False when the chunk bound stopped reading before the end of the log. */
  complete: boolean;
}

export interface ReadLogOptions {
  maxBytes: number;
  /** Upper bound on requests for one log. */
  maxChunks: number;
}

/**
 * Follows continuation tokens until there is none, it repeats, a chunk adds nothing, or the token says
 * end_of_log; keeps only the last `maxBytes` of rendered lines while streaming.
 */
export async function readLogTail(
  fetchChunk: (token: string | null) => Promise<LogChunk>,
  options: ReadLogOptions,
): Promise<LogTailResult> {
  const tail = new LogTail(options.maxBytes);
  let token: string | null = null;
  let chunks = 0;
  let complete = false;
  while (chunks < Math.max(1, options.maxChunks)) {
    const response = await fetchChunk(token);
    chunks++;
    const lines = response.lines;
    for (const line of lines) tail.push(line);
    const next = response.continuation_token ?? null;
    if (!next || next === token || lines.length === 0 || tokenEndOfLog(next) === true) {
      complete = true;
      break;
    }
    token = next;
  }
  const bytesRead = tail.bytesSeen;
  if (!complete) {
    tail.push(`[pipeline-monitor] stopped after ${chunks} log chunks; the end of the log was not read`);
    tail.truncated = true;
  }
  return { lines: tail.lines(), truncated: tail.truncated, bytes_read: bytesRead, chunks, complete };
}
