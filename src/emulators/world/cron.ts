import { DAY, HOUR, MINUTE, startOfUtcDay } from './time.js';

/** A five-field cron expression, evaluated in UTC (enough for the schedules the worlds use). */
export interface Cron {
  readonly expression: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** null = every day of the month / month / weekday. */
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number> | null;
  readonly daysOfWeek: ReadonlySet<number> | null;
}

function field(text: string, min: number, max: number): number[] | null {
  if (text === '*') return null;
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let from = min;
    let to = max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      from = Number(a);
      to = b === undefined ? (stepText === undefined ? from : max) : Number(b);
    }
    if (![from, to, step].every(Number.isInteger) || from < min || to > max || step < 1) {
      throw new Error(`invalid cron field "${text}"`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((x, y) => x - y);
}

function range(min: number, max: number): number[] {
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron expression needs 5 fields: "${expression}"`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = parts;
  const set = (values: number[] | null) => (values === null ? null : new Set(values));
  const weekdays = field(dow, 0, 7)?.map((d) => d % 7) ?? null;
  return {
    expression,
    minutes: field(m, 0, 59) ?? range(0, 59),
    hours: field(h, 0, 23) ?? range(0, 23),
    daysOfMonth: set(field(dom, 1, 31)),
    months: set(field(mon, 1, 12)),
    daysOfWeek: set(weekdays),
  };
}

function dayMatches(cron: Cron, dayStart: number): boolean {
  const d = new Date(dayStart);
  if (cron.months && !cron.months.has(d.getUTCMonth() + 1)) return false;
  const domOk = !cron.daysOfMonth || cron.daysOfMonth.has(d.getUTCDate());
  const dowOk = !cron.daysOfWeek || cron.daysOfWeek.has(d.getUTCDay());
  // Standard cron: when both day fields are restricted, either may match.
  if (cron.daysOfMonth && cron.daysOfWeek) return domOk || dowOk;
  return domOk && dowOk;
}

/** Every fire time t with from <= t < to, ascending. */
export function cronTimesBetween(cron: Cron, from: number, to: number): number[] {
  const out: number[] = [];
  for (let day = startOfUtcDay(from); day < to; day += DAY) {
    if (!dayMatches(cron, day)) continue;
    for (const h of cron.hours) {
      for (const m of cron.minutes) {
        const t = day + h * HOUR + m * MINUTE;
        if (t >= from && t < to) out.push(t);
      }
    }
  }
  return out;
}

/** The first fire time strictly after `after` (searches up to ~400 days ahead). */
export function nextCronTime(cron: Cron, after: number): number | null {
  for (let day = startOfUtcDay(after); day < after + 400 * DAY; day += DAY) {
    if (!dayMatches(cron, day)) continue;
    for (const h of cron.hours) {
      for (const m of cron.minutes) {
        const t = day + h * HOUR + m * MINUTE;
        if (t > after) return t;
      }
    }
  }
  return null;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad = (n: number) => String(n).padStart(2, '0');

/** A cron-descriptor style sentence (what Airflow shows as timetable_description), for common shapes. */
export function describeCron(expression: string): string {
  const [m = '', h = '', dom = '', mon = '', dow = ''] = expression.trim().split(/\s+/);
  const num = /^\d+$/;
  let time: string;
  if (num.test(m) && num.test(h)) time = `At ${pad(Number(h))}:${pad(Number(m))}`;
  else if (num.test(m) && h === '*') time = `At ${m} minutes past the hour`;
  else if (num.test(m) && /^\*\/\d+$/.test(h))
    time = `At ${m} minutes past the hour, every ${h.slice(2)} hours`;
  else return expression;
  if (dom !== '*' && num.test(dom) && mon === '*' && dow === '*')
    return `${time}, on day ${dom} of the month`;
  if (dow === '*' || dom !== '*' || mon !== '*') return time;
  if (num.test(dow)) return `${time}, only on ${WEEKDAYS[Number(dow) % 7]}`;
  const span = /^(\d)-(\d)$/.exec(dow);
  if (span) return `${time}, ${WEEKDAYS[Number(span[1]) % 7]} through ${WEEKDAYS[Number(span[2]) % 7]}`;
  return time;
}
