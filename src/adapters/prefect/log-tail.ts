import { renderLog } from './mapping.js';
import type { PrefectLog } from './schemas.js';

/**
 * The tail of a Prefect log read from its end: pages of `POST /logs/filter` sorted TIMESTAMP_DESC (newest
 * first) until `maxBytes` of rendered text are collected or the start of the log is reached, then put back
 * in chronological order. A huge log costs a few pages, never a walk from its beginning.
 */

export interface LogTailOptions {
  maxBytes: number;
  /** Upper bound on requests for one log. */
  maxPages: number;
  /** Records per page (≤ 200). */
  pageSize: number;
}

export interface LogTailResult {
  /** Chronological. */
  lines: string[];
  /** True when older lines exist that are not in `lines`. */
  truncated: boolean;
  /** Bytes (UTF-8, one newline per line) of every rendered line read. */
  bytes_read: number;
  /** Log records read. */
  records: number;
  pages: number;
}

const lineBytes = (line: string) => Buffer.byteLength(line, 'utf8') + 1;

/** The last `maxBytes` bytes of a line, without a broken leading character. */
function tailOfLine(line: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const buf = Buffer.from(line, 'utf8');
  return buf
    .subarray(Math.max(0, buf.length - maxBytes))
    .toString('utf8')
    .replace(/^\uFFFD+/, '');
}

export async function readLogTail(
  fetchPage: (offset: number, limit: number) => Promise<PrefectLog[]>,
  options: LogTailOptions,
): Promise<LogTailResult> {
  const maxBytes = Math.max(1, Math.floor(options.maxBytes));
  const newestFirst: string[][] = [];
  const seen = new Set<string>();
  let bytes = 0;
  let offset = 0;
  let pages = 0;
  let records = 0;
  let exhausted = false;
  while (pages < Math.max(1, options.maxPages)) {
    const page = await fetchPage(offset, options.pageSize);
    pages++;
    for (const log of page) {
      // A log written while we page shifts the offsets: the same record can come twice.
      if (seen.has(log.id)) continue;
      seen.add(log.id);
      records++;
      const lines = renderLog(log);
      for (const line of lines) bytes += lineBytes(line);
      newestFirst.push(lines);
    }
    offset += page.length;
    if (page.length < options.pageSize) {
      exhausted = true;
      break;
    }
    if (bytes >= maxBytes) break;
  }
  // Chronological, keeping only the newest maxBytes.
  const kept: string[] = [];
  let size = 0;
  let dropped = false;
  outer: for (const group of newestFirst) {
    for (let i = group.length - 1; i >= 0; i--) {
      const line = group[i] as string;
      const b = lineBytes(line);
      if (size + b > maxBytes) {
        if (kept.length === 0) kept.push(tailOfLine(line, maxBytes - 1));
        dropped = true;
        break outer;
      }
      kept.push(line);
      size += b;
    }
  }
  kept.reverse();
  return { lines: kept, truncated: dropped || !exhausted, bytes_read: bytes, records, pages };
}
