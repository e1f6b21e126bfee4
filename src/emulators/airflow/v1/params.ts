import { parseAwareDatetime } from '../params.js';
import type { TimeRange } from '../params.js';
import type { Problem } from './errors.js';
import { badRequest } from './errors.js';

/**
 * Query and path parameters read the way Airflow 2's API reads them: connexion with `strict_validation`
 * (unknown query parameters are a 400) and its type coercion, then Airflow's own `format_parameters`
 * (`format_datetime`, `check_limit`). Connexion errors win over formatter errors, as connexion runs first.
 */
export class V1Params {
  private connexionError: Problem | null = null;
  private formatError: Problem | null = null;

  private constructor(
    private readonly get: (name: string) => string[],
    private readonly where: 'query' | 'path',
  ) {}

  /** The query of a request; names outside `allowed` make it a 400 (strict validation). */
  static query(params: URLSearchParams, allowed: readonly string[]): V1Params {
    const reader = new V1Params((name) => params.getAll(name), 'query');
    const extra = [...new Set(params.keys())].filter((k) => !allowed.includes(k));
    if (extra.length > 0) {
      reader.connexionError = badRequest(`Extra query parameter(s) ${extra.join(', ')} not in spec`);
    }
    return reader;
  }

  static path(get: (name: string) => string | undefined): V1Params {
    return new V1Params((name) => {
      const value = get(name);
      return value === undefined ? [] : [value];
    }, 'path');
  }

  private raw(name: string): string | undefined {
    const values = this.get(name);
    return values[values.length - 1];
  }

  private wrongType(name: string, type: string): null {
    this.connexionError ??= badRequest(
      `Wrong type, expected '${type}' for ${this.where} parameter '${name}'`,
    );
    return null;
  }

  int(name: string, minimum?: number): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    if (!/^[+-]?\d+$/.test(raw.trim())) return this.wrongType(name, 'integer');
    const value = Number(raw.trim());
    if (minimum !== undefined && value < minimum) {
      // jsonschema's ValidationError, as connexion passes str(exception) on.
      this.connexionError ??= badRequest(
        `${value} is less than the minimum of ${minimum}\n\nFailed validating 'minimum' in schema:\n    {'minimum': ${minimum}, 'type': 'integer'}\n\nOn instance:\n    ${value}`,
      );
      return null;
    }
    return value;
  }

  number(name: string): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) return this.wrongType(name, 'number');
    return value;
  }

  /** connexion's boolean(): `true` / `false` in any case, nothing else. */
  bool(name: string): boolean | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const v = raw.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    return this.wrongType(name, 'boolean');
  }

  string(name: string): string | null {
    return this.raw(name) ?? null;
  }

  /** An array parameter: repeated keys and comma-separated values both work (connexion joins, then splits). */
  list(name: string): string[] {
    const values = this.get(name);
    return values.length === 0 ? [] : values.join(',').split(',');
  }

  /** `format_datetime`: a space becomes `+` (an unencoded offset), naive means UTC, garbage is a 400. */
  datetime(name: string): number | null {
    const raw = this.raw(name);
    if (raw === undefined) return null;
    const parsed = parseV1Datetime(raw);
    if (typeof parsed === 'number') return parsed;
    this.formatError ??= parsed;
    return null;
  }

  /** The `<field>_gte` / `<field>_lte` pair of a field. */
  range(field: string): TimeRange {
    return { gte: this.datetime(`${field}_gte`), gt: null, lte: this.datetime(`${field}_lte`), lt: null };
  }

  numberRange(field: string): TimeRange {
    return { gte: this.number(`${field}_gte`), gt: null, lte: this.number(`${field}_lte`), lt: null };
  }

  /** `check_limit`: above the maximum is capped, 0 is the fallback, negative is a 400. */
  limit(maximumPageLimit: number, fallbackPageLimit: number): number {
    const value = this.int('limit') ?? 100;
    if (value > maximumPageLimit) return maximumPageLimit;
    if (value === 0) return fallbackPageLimit;
    if (value < 0) {
      this.formatError ??= badRequest(null, 'Page limit must be a positive integer');
      return 0;
    }
    return value;
  }

  offset(): number {
    return this.int('offset', 0) ?? 0;
  }

  /** Throws the first connexion error: what connexion checks before the view (and its auth) runs. */
  connexion(): void {
    if (this.connexionError) throw this.connexionError;
  }

  /** Throws the first connexion error, else the first formatter error. */
  done(): void {
    const error = this.connexionError ?? this.formatError;
    if (error) throw error;
  }
}

/** Airflow 2's `format_datetime` for query parameters: a space becomes `+` (an unencoded offset), then pendulum. */
export function parseV1Datetime(raw: string): number | Problem {
  const value = raw.trim();
  return parsePendulum(value.endsWith('Z') ? value : value.replace(/ /g, '+'));
}

/** `timezone.parse` (pendulum, lenient: naive means UTC): epoch ms, or the 400 Airflow raises for it. */
export function parsePendulum(value: string): number | Problem {
  const parsed = value.trim() === '' ? null : parseAwareDatetime(value, true);
  if (typeof parsed === 'number' && !/^-?\d+(\.\d+)?$/.test(value.trim())) return parsed;
  return badRequest(`Unable to parse string [${value}]`, 'Incorrect datetime argument');
}
