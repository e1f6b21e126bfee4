import { inflateSync } from 'node:zlib';
import { LineSplitter, type StreamStop } from '../http/index.js';
import type { LogChunk } from './records.js';

/**
 * Reading an Airflow task log while keeping only a bounded tail: through continuation tokens, whatever API
 * version the chunks come from, or as one stream of lines (StreamedLogTail). Everything here is pure except
 * `readLogTail`, which only calls the fetch function it is given.
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

export interface StreamedLogOptions {
  /** Rendered bytes kept from the end. */
  maxBytes: number;
  /** A longer line of the stream (one record) is left out, with a note, to keep memory bounded. */
  maxLineBytes: number;
  /** One line of the stream → its rendered lines. */
  render: (line: string) => string[];
}

/**
 * The tail of a log that arrives as one stream of records, one per line: fed chunk by chunk (lines and
 * UTF-8 characters may be split anywhere between chunks), each complete line rendered and pushed into a
 * bounded LogTail at once. Memory is the tail plus at most one unfinished line, whatever the log's size.
 */
export class StreamedLogTail {
  private readonly tail: LogTail;
  private readonly splitter: LineSplitter;
  private readonly maxLineBytes: number;
  /** Bytes of the stream received. */
  bytes = 0;

  constructor(options: StreamedLogOptions) {
    this.tail = new LogTail(options.maxBytes);
    this.maxLineBytes = options.maxLineBytes;
    this.splitter = new LineSplitter({
      maxLineBytes: options.maxLineBytes,
      onLine: (line) => {
        for (const rendered of options.render(line)) this.tail.push(rendered);
      },
      onOverlong: () => {
        this.tail.push(
          `[pipeline-monitor] a log record of more than ${formatBytes(this.maxLineBytes)} was left out`,
        );
        this.tail.truncated = true;
      },
    });
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.splitter.push(chunk);
  }

  /** The result once reading ended, for whatever reason (`stopped`); `chunks` counts requests. */
  finish(stopped: StreamStop, chunks = 1): LogTailResult {
    const complete = stopped === 'end';
    if (complete) this.splitter.end();
    else {
      // Cut short: the last line is not whole, and the end of the log was not read.
      this.splitter.discard();
      const why =
        stopped === 'max_bytes'
          ? `after ${formatBytes(this.bytes)}`
          : stopped === 'deadline'
            ? 'at the time bound'
            : 'early';
      this.tail.push(`[pipeline-monitor] stopped reading the log ${why}; the end of the log was not read`);
      this.tail.truncated = true;
    }
    return {
      lines: this.tail.lines(),
      truncated: this.tail.truncated,
      bytes_read: this.bytes,
      chunks,
      complete,
    };
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}
