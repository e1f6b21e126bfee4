import { readFileSync } from 'node:fs';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/**
 * Response-schema validators from an OpenAPI 3.0 or 3.1 document (YAML or JSON), for contract tests.
 * `$ref`s are resolved inside the document; OpenAPI 3.0's `nullable: true` and boolean
 * `exclusiveMinimum`/`exclusiveMaximum` are rewritten into JSON Schema 2020-12 first.
 */

// ajv and ajv-formats are CommonJS with a `default` export: take whichever shape the loader gives.
type AjvClass = typeof Ajv2020Module.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvClass }).default ?? Ajv2020Module) as AjvClass;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ??
  addFormatsModule) as AddFormats;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ANNOTATIONS = [
  'title',
  'description',
  'default',
  'example',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
];

/** OpenAPI 3.0 schema idioms → JSON Schema 2020-12 (3.1 documents pass through unchanged). */
export function normalizeSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalizeSchema);
  if (!isObject(node)) return node;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(node)) out[key] = normalizeSchema(value);
  for (const bound of ['exclusiveMinimum', 'exclusiveMaximum'] as const) {
    const limit = bound === 'exclusiveMinimum' ? 'minimum' : 'maximum';
    if (typeof out[bound] === 'boolean') {
      if (out[bound] === true && typeof out[limit] === 'number') {
        out[bound] = out[limit];
        delete out[limit];
      } else delete out[bound];
    }
  }
  if (typeof out.nullable === 'boolean') {
    const nullable = out.nullable;
    delete out.nullable;
    if (nullable) {
      const annotations: Record<string, Json> = {};
      for (const key of ANNOTATIONS) {
        if (key in out) {
          annotations[key] = out[key] as Json;
          delete out[key];
        }
      }
      return { ...annotations, anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}

function pointer(...segments: string[]): string {
  return `#/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

export interface ValidationResult {
  valid: boolean;
  errors: string[];
}

export class OpenApiValidator {
  private readonly ajv: InstanceType<AjvClass>;
  private readonly doc: Record<string, Json>;
  private readonly cache = new Map<string, ValidateFunction>();
  private static nextId = 0;
  private readonly id = `openapi-${OpenApiValidator.nextId++}.json`;

  constructor(document: unknown) {
    if (!isObject(document) || !isObject(document.paths))
      throw new Error('not an OpenAPI document (no paths)');
    this.doc = normalizeSchema(document) as Record<string, Json>;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc as object, this.id);
  }

  static fromFile(file: string): OpenApiValidator {
    const text = readFileSync(file, 'utf8');
    return new OpenApiValidator(
      file.endsWith('.json') ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown),
    );
  }

  /** The JSON pointer of the response schema of (method, path template, status, content type). */
  responsePointer(method: string, path: string, status: number, contentType = 'application/json'): string {
    const op = (this.doc.paths as Record<string, Json>)[path];
    const operation = isObject(op) ? op[method.toLowerCase()] : undefined;
    if (!isObject(operation)) throw new Error(`no operation ${method.toUpperCase()} ${path} in the document`);
    const responses = isObject(operation.responses) ? operation.responses : {};
    const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    const response = statusKey === undefined ? undefined : responses[statusKey];
    if (statusKey === undefined || !isObject(response)) {
      throw new Error(
        `${method.toUpperCase()} ${path} documents no ${status} response (has ${Object.keys(responses).join(', ')})`,
      );
    }
    const content = isObject(response.content) ? response.content : {};
    const type = contentType.split(';')[0]?.trim() ?? contentType;
    const media = content[type];
    if (!isObject(media) || !('schema' in media)) {
      throw new Error(
        `${method.toUpperCase()} ${path} ${status} has no ${type} schema (has ${Object.keys(content).join(', ') || 'none'})`,
      );
    }
    return pointer('paths', path, method.toLowerCase(), 'responses', statusKey, 'content', type, 'schema');
  }

  /** An ajv validator of that response's body. */
  responseValidator(
    method: string,
    path: string,
    status: number,
    contentType = 'application/json',
  ): ValidateFunction {
    const ref = `${this.id}${this.responsePointer(method, path, status, contentType)}`;
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, validate);
    }
    return validate;
  }

  /** A validator for a named component schema (`#/components/schemas/<name>`). */
  schemaValidator(name: string): ValidateFunction {
    const ref = `${this.id}${pointer('components', 'schemas', name)}`;
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, validate);
    }
    return validate;
  }

  validateResponse(
    method: string,
    path: string,
    status: number,
    body: unknown,
    contentType = 'application/json',
  ): ValidationResult {
    const validate = this.responseValidator(method, path, status, contentType);
    const valid = validate(body) as boolean;
    return { valid, errors: valid ? [] : formatErrors(validate.errors ?? []) };
  }

  /** Throws an Error listing every schema violation. */
  assertResponse(
    method: string,
    path: string,
    status: number,
    body: unknown,
    contentType = 'application/json',
  ): void {
    const result = this.validateResponse(method, path, status, body, contentType);
    if (!result.valid) {
      throw new Error(
        `${method.toUpperCase()} ${path} ${status} does not match its schema:\n  ${result.errors.slice(0, 20).join('\n  ')}`,
      );
    }
  }
}

function formatErrors(errors: readonly ErrorObject[]): string[] {
  return errors.map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}
