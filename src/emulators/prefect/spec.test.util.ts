import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpenApiValidator } from '../../test/openapi-validator.js';
import { sharedSpecsDir } from '../../test/spec-path.js';
import type { RecordedRequest } from './server.js';

/** Test support: the Prefect 3.8.3 OpenAPI document (read at run time from the shared specs, never copied). */

export interface PrefectSpec {
  validator: OpenApiValidator;
  doc: { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
}

let cached: PrefectSpec | null | undefined;

/** The spec, or null when the shared specs directory is absent (tests then skip, saying so). */
export function prefectSpec(): PrefectSpec | null {
  if (cached !== undefined) return cached;
  const dir = sharedSpecsDir();
  if (!dir) return (cached = null);
  const doc = JSON.parse(readFileSync(join(dir, 'prefect-openapi.json'), 'utf8')) as PrefectSpec['doc'];
  cached = { validator: new OpenApiValidator(doc), doc };
  return cached;
}

const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;

/** `/deployments/<uuid>/create_flow_run` → `/deployments/{id}/create_flow_run`. */
export function pathTemplate(apiPath: string): string {
  return apiPath.replace(UUID_SEGMENT, '/{id}');
}

function bodySchemaName(spec: PrefectSpec, method: string, template: string): string | null {
  const op = spec.doc.paths[template]?.[method.toLowerCase()] as
    { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } } | undefined;
  const ref = op?.requestBody?.content?.['application/json']?.schema?.$ref;
  return ref ? (ref.split('/').pop() ?? null) : null;
}

/**
 * What is wrong with the request bodies a client sent, against the spec's request body schemas: schema
 * violations (wrong or misspelled fields inside filters, bad enums, bad UUIDs or datetimes), top-level keys
 * the operation does not have (FastAPI would silently ignore them), a `limit` above 200, a POST without
 * Content-Length. Empty when all is well.
 */
export function requestProblems(spec: PrefectSpec, requests: readonly RecordedRequest[]): string[] {
  const problems: string[] = [];
  for (const r of requests) {
    if (r.method !== 'POST') continue;
    const where = `${r.method} ${r.apiPath}`;
    if (r.contentLength === null) problems.push(`${where}: no Content-Length`);
    const template = pathTemplate(r.apiPath);
    const name = bodySchemaName(spec, r.method, template);
    if (!name) {
      problems.push(`${where}: no request body schema for ${template} in the spec`);
      continue;
    }
    const validate = spec.validator.schemaValidator(name);
    if (!validate(r.body)) {
      const errors = (validate.errors ?? []).map(
        (e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
      );
      problems.push(`${where}: body does not match ${name}: ${errors.slice(0, 5).join('; ')}`);
    }
    const schema = spec.doc.components.schemas[name] as { properties?: Record<string, unknown> } | undefined;
    if (typeof r.body === 'object' && r.body !== null && schema?.properties) {
      for (const key of Object.keys(r.body)) {
        if (!(key in schema.properties)) problems.push(`${where}: unknown top-level field ${key} (${name})`);
      }
      const limit = (r.body as { limit?: unknown }).limit;
      if (typeof limit === 'number' && limit > 200) problems.push(`${where}: limit ${limit} > 200`);
    }
  }
  return problems;
}
