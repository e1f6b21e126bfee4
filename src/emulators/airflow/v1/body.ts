import type { Context } from 'hono';
import type { Env } from '../context.js';
import { parseAwareDatetime } from '../params.js';
import { badRequest, Problem } from './errors.js';
import { pyRepr } from './python.js';

/**
 * Request bodies read the way Airflow 2 reads them: connexion checks the body against the operation's
 * OpenAPI schema (jsonschema messages, first error only), then the endpoint loads it with a marshmallow
 * schema (unknown keys and bad datetimes reported as `str(err.messages)`).
 */

/** connexion's body reading: empty, non-JSON and wrongly-typed bodies. */
export async function readJsonBody(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  const type = c.req.header('content-type') ?? '';
  if (text.trim() === '') throw badRequest('Request body must not be empty');
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type.trim())) {
    throw new Problem(415, 'Unsupported Media Type', `Invalid Content-type (${type}), expected JSON data`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
}

type JsonType = 'string' | 'integer' | 'number' | 'object' | 'array' | 'boolean';

export interface PropSchema {
  type: JsonType;
  nullable?: boolean;
  minimum?: number;
  readOnly?: boolean;
  enum?: readonly (string | null)[];
  items?: PropSchema;
}

function typeMatches(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

function checkValue(value: unknown, schema: PropSchema, path: (string | number)[]): string | null {
  const at = path.length > 0 ? ` - '${path.join('.')}'` : '';
  if (schema.readOnly) return `Property is read-only${at}`;
  if (value === null && schema.nullable) return null;
  if (!typeMatches(value, schema.type)) return `${pyRepr(value)} is not of type '${schema.type}'${at}`;
  if (schema.enum && !schema.enum.includes(value as string | null)) {
    return `${pyRepr(value)} is not one of ${pyRepr(schema.enum)}${at}`;
  }
  if (schema.minimum !== undefined && (value as number) < schema.minimum) {
    return `${pyRepr(value)} is less than the minimum of ${schema.minimum}${at}`;
  }
  if (schema.items && Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const error = checkValue(item, schema.items, [...path, i]);
      if (error) return error;
    }
  }
  return null;
}

/** connexion's schema check of an object body; returns the body as a record. */
export function checkBodySchema(
  body: unknown,
  properties: Record<string, PropSchema>,
): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(`${pyRepr(body)} is not of type 'object'`);
  }
  const record = body as Record<string, unknown>;
  for (const [name, schema] of Object.entries(properties)) {
    if (!(name in record)) continue;
    const error = checkValue(record[name], schema, [name]);
    if (error) throw badRequest(error);
  }
  return record;
}

export type FieldKind = 'str' | 'int' | 'float' | 'bool' | 'datetime' | 'list' | 'dict';

/** marshmallow `Schema.load`: returns the loaded values or throws a 400 with `str(err.messages)`. */
export function marshmallowLoad(
  body: Record<string, unknown>,
  fields: Record<string, FieldKind>,
  options: { nullable?: readonly string[] } = {},
): Record<string, unknown> {
  const errors: [string, string][] = [];
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(fields)) {
    if (!(name in body)) continue;
    const value = body[name];
    if (value === null) {
      if (options.nullable?.includes(name)) out[name] = null;
      else errors.push([name, 'Field may not be null.']);
      continue;
    }
    if (kind === 'datetime') {
      const parsed = marshmallowDatetime(value);
      if (parsed === null) errors.push([name, 'Not a valid datetime.']);
      else out[name] = parsed;
    } else if (kind === 'int' && !(typeof value === 'number' && Number.isInteger(value))) {
      errors.push([name, 'Not a valid integer.']);
    } else {
      out[name] = value;
    }
  }
  for (const name of Object.keys(body)) if (!(name in fields)) errors.push([name, 'Unknown field.']);
  if (errors.length > 0) {
    throw badRequest(`{${errors.map(([name, msg]) => `${pyRepr(name)}: [${pyRepr(msg)}]`).join(', ')}}`);
  }
  return out;
}

/**
 * marshmallow's ISO DateTime, then Airflow's `validate_istimezone` (which raises its own 400 for a naive
 * value). Returns epoch ms, or null when the text is not a datetime at all.
 */
function marshmallowDatetime(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}/.test(value)) return null;
  const aware = parseAwareDatetime(value);
  if (typeof aware === 'number') return aware;
  const naive = parseAwareDatetime(value, true);
  if (typeof naive === 'number') throw badRequest('Naive datetime is disallowed', 'Invalid datetime format');
  return null;
}
