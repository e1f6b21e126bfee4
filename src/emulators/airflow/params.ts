import { ValidationFailure } from './errors.js';
import type { ValidationIssue } from './errors.js';

/** Reads query/path parameters the way FastAPI + pydantic v2 validate them, collecting every error. */
export class ParamReader {
  readonly issues: ValidationIssue[] = [];

  constructor(
    private readonly get: (name: string) => string[],
    private readonly where: 'query' | 'path' = 'query',
  ) {}

  static query(params: URLSearchParams): ParamReader {
    return new ParamReader((name) => params.getAll(name));
  }

  private raw(name: string): string | undefined {
    const values = this.get(name);
    // FastAPI reads the last value of a repeated scalar parameter.
    return values[values.length - 1];
  }

  private issue(
    type: string,
    name: string,
    msg: string,
    input: unknown,
    ctx?: Record<string, unknown>,
  ): null {
    this.issues.push({ type, loc: [this.where, name], msg, input, ...(ctx ? { ctx } : {}) });
    return null;
  }

  int(name: string, fallback: number, min?: number): number {
    return this.optionalInt(name, min) ?? fallback;
  }

  optionalInt(name: string, min?: number): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    return this.parseInt(name, raw, min);
  }

  private parseInt(name: string, raw: string, min?: number): number | null {
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
      return this.issue(
        'int_parsing',
        name,
        'Input should be a valid integer, unable to parse string as an integer',
        raw,
      );
    }
    const value = Number(raw);
    if (min !== undefined && value < min) {
      return this.issue('greater_than_equal', name, `Input should be greater than or equal to ${min}`, raw, {
        ge: min,
      });
    }
    return value;
  }

  intList(name: string): number[] {
    return this.get(name)
      .map((raw) => this.parseInt(name, raw))
      .filter((v): v is number => v !== null);
  }

  number(name: string): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      return this.issue(
        'float_parsing',
        name,
        'Input should be a valid number, unable to parse string as a number',
        raw,
      );
    }
    return value;
  }

  bool(name: string): boolean | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const v = raw.trim().toLowerCase();
    if (['1', 'on', 't', 'true', 'y', 'yes'].includes(v)) return true;
    if (['0', 'off', 'f', 'false', 'n', 'no'].includes(v)) return false;
    return this.issue(
      'bool_parsing',
      name,
      'Input should be a valid boolean, unable to interpret input',
      raw,
    );
  }

  string(name: string): string | null {
    return this.raw(name) ?? null;
  }

  list(name: string): string[] {
    return this.get(name);
  }

  /** One of `allowed` (a Literal, or with type `enum` an Enum, as pydantic reports them). */
  literal<T extends string>(
    name: string,
    allowed: readonly T[],
    type: 'literal_error' | 'enum' = 'literal_error',
  ): T | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    const expected = expectedList(allowed);
    return this.issue(type, name, `Input should be ${expected}`, raw, { expected });
  }

  /** An aware datetime, as epoch ms. */
  datetime(name: string): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const parsed = parseAwareDatetime(raw);
    if (typeof parsed === 'number') return parsed;
    return this.issue(parsed.type, name, parsed.msg, raw);
  }

  /** Every datetime range filter of a field: `<field>_gte`, `_gt`, `_lte`, `_lt`. */
  range(field: string): TimeRange {
    return {
      gte: this.datetime(`${field}_gte`),
      gt: this.datetime(`${field}_gt`),
      lte: this.datetime(`${field}_lte`),
      lt: this.datetime(`${field}_lt`),
    };
  }

  numberRange(field: string): TimeRange {
    return {
      gte: this.number(`${field}_gte`),
      gt: this.number(`${field}_gt`),
      lte: this.number(`${field}_lte`),
      lt: this.number(`${field}_lt`),
    };
  }

  /** Throws the collected errors as one 422. */
  done(): void {
    if (this.issues.length > 0) throw new ValidationFailure(this.issues);
  }
}

/** pydantic's `'a', 'b' or 'c'`. */
export function expectedList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

export interface TimeRange {
  gte: number | null;
  gt: number | null;
  lte: number | null;
  lt: number | null;
}

/** True when the range constrains anything. */
export function rangeIsSet(range: TimeRange): boolean {
  return range.gte !== null || range.gt !== null || range.lte !== null || range.lt !== null;
}

export function inRange(value: number | null, range: TimeRange): boolean {
  if (!rangeIsSet(range)) return true;
  if (value === null) return false;
  return (
    (range.gte === null || value >= range.gte) &&
    (range.gt === null || value > range.gt) &&
    (range.lte === null || value <= range.lte) &&
    (range.lt === null || value < range.lt)
  );
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt _](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?)?$/;

/**
 * pydantic's AwareDatetime: ISO-8601 with a timezone, or a Unix timestamp. Returns epoch ms or an error.
 * With `naiveAsUtc`, a datetime without a timezone is read as UTC (as Airflow 2's pendulum parsing does).
 */
export function parseAwareDatetime(raw: string, naiveAsUtc = false): number | { type: string; msg: string } {
  const text = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    // pydantic reads numbers above 2e10 as milliseconds.
    return Math.abs(n) > 2e10 ? Math.round(n) : Math.round(n * 1000);
  }
  const m = DATETIME.exec(text);
  const invalid = (why: string) => ({
    type: 'datetime_from_date_parsing',
    msg: `Input should be a valid datetime or date, ${why}`,
  });
  if (!m) return invalid(text.length < 10 ? 'input is too short' : 'invalid character in year');
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', z, sign, oh, om = '0'] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return invalid('month value is outside expected range of 1-12');
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return invalid('day value is outside expected range');
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return invalid('invalid time');
  if (!z && !sign && !naiveAsUtc) return { type: 'timezone_aware', msg: 'Input should have timezone info' };
  const offsetMin = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
  const ms = Math.floor(Number(`0.${frac || '0'}`) * 1000);
  return Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s), ms) - offsetMin * 60_000;
}
