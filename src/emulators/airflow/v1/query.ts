import type { Context } from 'hono';
import type { Env } from '../context.js';
import { badRequest } from './errors.js';
import { V1Params } from './params.js';

/** The request's query, read against the operation's declared parameters. */
export function queryV1(c: Context<Env>, allowed: readonly string[]): V1Params {
  return V1Params.query(new URL(c.req.url).searchParams, allowed);
}

/**
 * The `fields` parameter (ReturnFields): marshmallow's `only=`. Unknown names are the 400 that marshmallow's
 * ValueError becomes. For a collection, `only=["dags.x"]` keeps only the list: total_entries is dropped.
 */
export function checkFields(
  fields: readonly string[],
  allowed: readonly string[],
  schema: string,
  many: boolean,
  title: string,
): void {
  const unknown = fields.filter((f) => !allowed.includes(f));
  if (unknown.length > 0) {
    const names = unknown.map((f) => `'${f}'`).join(', ');
    throw badRequest(`Invalid fields for <${schema}(many=${many ? 'True' : 'False'})>: {${names}}.`, title);
  }
}

export function pick(item: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f, item[f]]));
}
