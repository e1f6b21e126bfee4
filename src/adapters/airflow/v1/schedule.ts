/**
 * Airflow 2's DAG `schedule_interval` (`{__type: CronExpression|TimeDelta|RelativeDelta, …}`) as the text
 * Airflow 3 shows as `timetable_summary` for the same schedule: the cron expression, Python's
 * `str(timedelta)`, or `repr(relativedelta)`.
 */

const DAY_US = 86_400_000_000;
const NEVER = 'Never, external triggers only';

function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** Python's `str(datetime.timedelta(days, seconds, microseconds))`, e.g. `1 day, 0:00:00`, `6:00:00`. */
export function pythonTimedelta(days: number, seconds: number, microseconds: number): string {
  const total = days * DAY_US + seconds * 1_000_000 + microseconds;
  const d = Math.floor(total / DAY_US);
  let rest = total - d * DAY_US;
  const us = rest % 1_000_000;
  rest = (rest - us) / 1_000_000;
  const hh = Math.floor(rest / 3600);
  const mm = Math.floor((rest % 3600) / 60);
  const ss = rest % 60;
  let text = `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}`;
  if (d !== 0) text = `${d} day${Math.abs(d) !== 1 ? 's' : ''}, ${text}`;
  if (us !== 0) text += `.${String(us).padStart(6, '0')}`;
  return text;
}

const RELATIVE = ['years', 'months', 'days', 'leapdays', 'hours', 'minutes', 'seconds', 'microseconds'];
const ABSOLUTE = ['year', 'month', 'day', 'weekday', 'hour', 'minute', 'second', 'microsecond'];

/** dateutil's `repr(relativedelta(...))`, e.g. `relativedelta(months=+1, day=1)`. */
export function pythonRelativedelta(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const name of RELATIVE) {
    const value = int(fields[name]);
    if (value !== 0) parts.push(`${name}=${value > 0 ? '+' : ''}${value}`);
  }
  for (const name of ABSOLUTE) {
    const value = fields[name];
    if (typeof value === 'number' && Number.isFinite(value)) parts.push(`${name}=${Math.trunc(value)}`);
    else if (typeof value === 'string' && /^[A-Z]{2}(\([+-]?\d+\))?$/.test(value))
      parts.push(`${name}=${value}`);
  }
  return `relativedelta(${parts.join(', ')})`;
}

/** The schedule_interval object rendered, or null when it is absent or of an unknown kind. */
export function renderScheduleInterval(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  switch (fields.__type) {
    case 'CronExpression':
      return typeof fields.value === 'string' && fields.value.trim() ? fields.value.trim() : null;
    case 'TimeDelta':
      return pythonTimedelta(int(fields.days), int(fields.seconds), int(fields.microseconds));
    case 'RelativeDelta':
      return pythonRelativedelta(fields);
    default:
      return null;
  }
}

/**
 * The schedule of an Airflow 2 DAG: its schedule_interval rendered; without one (dataset-triggered or
 * custom timetables) the timetable description, unless that says the DAG is not scheduled.
 */
export function v1Schedule(dag: {
  schedule_interval?: unknown;
  timetable_description?: string | null;
}): string | null {
  const rendered = renderScheduleInterval(dag.schedule_interval);
  if (rendered !== null) return rendered;
  const description = dag.timetable_description?.trim();
  if (!description || description === NEVER) return null;
  return description;
}
