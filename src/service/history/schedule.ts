import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** A schedule the freshness check and the history analysis can compute with, evaluated in UTC. */
export type ParsedSchedule =
  | { kind: 'cron'; /** Five-field expression (presets expanded). */ expression: string }
  | { kind: 'interval'; /** Fixed interval, anchored on the previous run. */ seconds: number };

/** Airflow's cron presets (`@once`, `@continuous` and `None` have no fixed times and stay unparsed). */
const PRESETS: Readonly<Record<string, string>> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  week: 604800,
};

// Parsing an expression costs far more than stepping it, and the same few schedules are evaluated for every
// pipeline on every health and history call: parsed expressions are kept (bounded) and reset to each instant.
const parsedCron = new Map<string, CronExpression>();
const PARSED_CRON_MAX = 1000;

/** The expression positioned at `at`; throws as the parser does for an invalid one. */
function cronAt(expression: string, at: number): CronExpression {
  let cron = parsedCron.get(expression);
  if (!cron) {
    cron = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: at });
    if (parsedCron.size >= PARSED_CRON_MAX) parsedCron.clear();
    parsedCron.set(expression, cron);
  }
  cron.reset(new Date(at));
  return cron;
}

/**
 * Reads a schedule as the orchestrators show it: a 5-field cron expression, an Airflow preset
 * (`@daily`), an Airflow timedelta summary (`1 day, 0:00:00`, `6:00:00`) or `every N hours`.
 * Anything else (asset/event triggers, `@once`, free text, null) gives null.
 */
export function parseSchedule(text: string | null): ParsedSchedule | null {
  if (text === null) return null;
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const preset = PRESETS[trimmed.toLowerCase()];
  if (preset !== undefined) return { kind: 'cron', expression: preset };

  const delta = /^(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(trimmed);
  if (delta) {
    const [, days = '0', h = '0', m = '0', s = '0'] = delta;
    const seconds = Number(days) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
    return seconds > 0 ? { kind: 'interval', seconds } : null;
  }
  const every = /^every\s+(?:(\d+(?:\.\d+)?)\s+)?(second|minute|hour|day|week)s?$/i.exec(trimmed);
  if (every) {
    const [, count = '1', unit = ''] = every;
    const seconds = Number(count) * (UNIT_SECONDS[unit.toLowerCase()] ?? 0);
    return seconds > 0 ? { kind: 'interval', seconds } : null;
  }

  const fields = trimmed.split(/\s+/);
  // Five fields only (no seconds field), and no Jenkins-style `H`, which would need a hash seed.
  if (fields.length !== 5 || /(?<![a-z])h(?![a-z])/i.test(trimmed)) return null;
  try {
    cronAt(trimmed, 0).next();
    return { kind: 'cron', expression: trimmed };
  } catch {
    return null;
  }
}

/** The latest fire time at or before `at` (epoch ms), or null. */
export function cronPrev(expression: string, at: number): number | null {
  try {
    return cronAt(expression, at + 1)
      .prev()
      .getTime();
  } catch {
    return null;
  }
}

/** Fire times strictly after `after`, ascending, up to and including `until`, at most `limit` of them. */
export function cronTimesAfter(expression: string, after: number, until: number, limit: number): number[] {
  const out: number[] = [];
  try {
    const cron = cronAt(expression, after);
    while (out.length < limit) {
      const t = cron.next().getTime();
      if (t > until) break;
      if (t > after) out.push(t);
    }
  } catch {
    // No further fire time (or none the parser can find): what was found so far is the answer.
  }
  return out;
}

/** The first fire time strictly after `after`, or null. */
export function cronNext(expression: string, after: number): number | null {
  try {
    return cronAt(expression, after).next().getTime();
  } catch {
    return null;
  }
}
