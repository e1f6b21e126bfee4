/**
 * `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. How long the server asked us to wait,
 * and how to say so.
 */

/** Milliseconds to wait from `now`, or null when the header is absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date (IMF-fixdate, or the obsolete forms Date.parse also reads); only with a named weekday or GMT.
  if (!/GMT|UTC|[A-Z][a-z]{2},/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** "120 s (at 14:02:05 UTC)": when to try again, for messages. */
export function describeWait(ms: number, now = Date.now()): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  const at = new Date(now + seconds * 1000).toISOString().slice(11, 19);
  return `${seconds} s (at ${at} UTC)`;
}
