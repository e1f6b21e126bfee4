import { createHash } from 'node:crypto';
import { MonitorError } from '../core/errors.js';

/** Opaque offset cursors, bound to the filters they were issued for. */
export function encodeCursor(offset: number, filters: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint(filters) })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, filters: unknown): number {
  if (cursor === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      o?: unknown;
      f?: unknown;
    };
    if (
      typeof parsed.o === 'number' &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0 &&
      parsed.f === fingerprint(filters)
    ) {
      return parsed.o;
    }
  } catch {
    // fall through
  }
  throw new MonitorError('invalid_input', 'The cursor is not valid for these filters.', {
    hint: 'repeat the call without a cursor, or with the same filters as the call that returned it',
  });
}

function fingerprint(filters: unknown): string {
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}
