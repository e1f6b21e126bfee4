import { StateUnavailableError } from '../../service/trigger/store.js';

/** SQLSTATEs that mean our SQL is wrong: bugs, rethrown as they are. */
const BUG_CODES = new Set(['42601', '42703', '42883', '42P02', '22P02', '42804']);

/**
 * Turns a driver error into `StateUnavailableError` (connection refused or lost, timeouts, the server
 * shutting down, permissions) with a message that never carries the connection URL or its password.
 */
export function unavailable(error: unknown, doing: string, secrets: readonly string[]): unknown {
  if (error instanceof StateUnavailableError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && BUG_CODES.has(code)) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const detail = scrub(raw, secrets) || 'no detail';
  return new StateUnavailableError(
    `PostgreSQL: ${doing} failed: ${detail}${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}
