/** Time helpers. The world keeps every instant as epoch milliseconds (UTC). */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The way Airflow's API (pydantic) prints a UTC datetime: `2025-01-15T02:00:00Z`, microseconds when non-zero. */
export function apiTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const millis = iso.slice(20, 23);
  return millis === '000' ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 19)}.${millis}000Z`;
}

export function apiTimeOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : apiTime(ms);
}

/** Python's `datetime.isoformat()` for a UTC datetime, as used in Airflow run ids: `2025-01-15T02:00:00+00:00`. */
export function pythonIsoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const millis = iso.slice(20, 23);
  return millis === '000' ? `${iso.slice(0, 19)}+00:00` : `${iso.slice(0, 19)}.${millis}000+00:00`;
}

export function startOfUtcDay(ms: number): number {
  return ms - (((ms % DAY) + DAY) % DAY);
}
