import type { ValidationIssue } from './errors.js';
import { ValidationFailure } from './errors.js';
import { expectedList, parseAwareDatetime } from './params.js';

/** Request bodies validated like pydantic models with `extra="forbid"` (every Airflow 3 request body). */

export type FieldType =
  | 'string'
  | 'datetime'
  | 'object'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'array'
  | 'string[]'
  | 'enum[]'
  | 'enum';

export interface FieldSpec {
  type: FieldType;
  required?: boolean;
  nullable?: boolean;
  min?: number;
  /** For `enum[]`: allowed items (null items are allowed when `nullableItems`). */
  values?: readonly string[];
  nullableItems?: boolean;
}

export type BodyValue = string | number | boolean | null | Record<string, unknown> | unknown[];

/** Reads the raw request text as JSON; errors are pydantic's `json_invalid` / `missing`. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new ValidationFailure([{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const position = /position (\d+)/.exec(String(e))?.[1];
    throw new ValidationFailure([
      {
        type: 'json_invalid',
        loc: ['body', Number(position ?? 0)],
        msg: 'JSON decode error',
        input: {},
        ctx: { error: 'Expecting value' },
      },
    ]);
  }
}

/** Validates a parsed body; returns the fields that were given (datetimes as epoch ms). */
export function validateBody(
  body: unknown,
  fields: Record<string, FieldSpec>,
): Record<string, BodyValue | undefined> {
  const issues: ValidationIssue[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailure([
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary or object to extract fields from',
        input: body,
      },
    ]);
  }
  const input = body as Record<string, unknown>;
  const out: Record<string, BodyValue | undefined> = {};
  for (const [name, spec] of Object.entries(fields)) {
    if (!(name in input)) {
      if (spec.required) issues.push({ type: 'missing', loc: ['body', name], msg: 'Field required', input });
      continue;
    }
    const value = input[name];
    if (value === null && spec.nullable) {
      out[name] = null;
      continue;
    }
    const checked = checkField(name, value, spec, issues);
    if (checked !== undefined) out[name] = checked;
  }
  for (const [name, value] of Object.entries(input)) {
    if (!(name in fields))
      issues.push({
        type: 'extra_forbidden',
        loc: ['body', name],
        msg: 'Extra inputs are not permitted',
        input: value,
      });
  }
  if (issues.length > 0) throw new ValidationFailure(issues);
  return out;
}

function checkField(
  name: string,
  value: unknown,
  spec: FieldSpec,
  issues: ValidationIssue[],
): BodyValue | undefined {
  const fail = (
    type: string,
    msg: string,
    ctx?: Record<string, unknown>,
    loc: (string | number)[] = ['body', name],
    input = value,
  ) => {
    issues.push({ type, loc, msg, input, ...(ctx ? { ctx } : {}) });
    return undefined;
  };
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? value : fail('string_type', 'Input should be a valid string');
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('bool_type', 'Input should be a valid boolean');
    case 'array':
      return Array.isArray(value) ? (value as unknown[]) : fail('list_type', 'Input should be a valid list');
    case 'enum': {
      if (typeof value === 'string' && spec.values?.includes(value)) return value;
      const expected = expectedList(spec.values ?? []);
      return fail('enum', `Input should be ${expected}`, { expected });
    }
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : fail('dict_type', 'Input should be a valid dictionary');
    case 'datetime': {
      if (typeof value === 'number') return value * 1000;
      if (typeof value !== 'string') return fail('datetime_type', 'Input should be a valid datetime');
      const parsed = parseAwareDatetime(value);
      return typeof parsed === 'number' ? parsed : fail(parsed.type, parsed.msg);
    }
    case 'integer':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || typeof value === 'boolean') {
        return spec.type === 'integer'
          ? fail('int_type', 'Input should be a valid integer')
          : fail('float_type', 'Input should be a valid number');
      }
      if (spec.type === 'integer' && !Number.isInteger(n)) {
        return fail('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      if (spec.min !== undefined && n < spec.min) {
        return fail('greater_than_equal', `Input should be greater than or equal to ${spec.min}`, {
          ge: spec.min,
        });
      }
      return n;
    }
    case 'string[]':
    case 'enum[]': {
      if (!Array.isArray(value)) return fail('list_type', 'Input should be a valid list');
      const before = issues.length;
      value.forEach((item, i) => {
        if (item === null && spec.nullableItems) return;
        if (typeof item !== 'string') {
          fail('string_type', 'Input should be a valid string', undefined, ['body', name, i], item);
        } else if (spec.type === 'enum[]' && spec.values && !spec.values.includes(item)) {
          const expected = expectedList(spec.values);
          fail('enum', `Input should be ${expected}`, { expected }, ['body', name, i], item);
        }
      });
      return issues.length === before ? (value as unknown[]) : undefined;
    }
  }
}
