/** Short plain-English renderings of durations, times and rates for the summaries. */

export const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** `45 s`, `27 min`, `2 h 5 min`, `3.5 days`. */
export function formatDuration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s - h * 3600) / 60);
    return m === 0 ? `${h} h` : m === 60 ? `${h + 1} h` : `${h} h ${m} min`;
  }
  return `${round(s / 86400, 1)} days`;
}

/** `Tuesday 06:00 UTC` within the last week, `Jun 3 06:00 UTC` before that. */
export function formatWhen(ms: number, now: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
  if (now - ms < 6.5 * DAY_MS && ms - now < DAY_MS) return `${WEEKDAYS[d.getUTCDay()] ?? ''} ${time}`;
  return `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()} ${time}`;
}

/** `06:00 UTC`. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** A 0..1 rate as a whole percentage: `17 %`. */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}

/** A signed percentage change: `+175 %`, `−40 %`. */
export function formatChange(percent: number): string {
  const rounded = Math.round(percent);
  return rounded >= 0 ? `+${rounded} %` : `\u2212${Math.abs(rounded)} %`;
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function roundOrNull(value: number | null, digits: number): number | null {
  return value === null ? null : round(value, digits);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** Epoch ms of an ISO-8601 string, or null when absent or unreadable. */
export function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
