import type { z } from 'zod';
import { secretsOf, type OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import {
  HttpClient,
  resilienceOptions,
  describeZodError,
  sanitizeText,
  type HttpRequestSpec,
  type HttpResponse,
} from '../http/index.js';
import type { DagsterDocument } from './documents.js';
import { EnvelopeSchema, type ErrorMember } from './schemas.js';
import { errorSummary } from './mapping.js';

/**
 * GraphQL over HTTP to one Dagster webserver or Dagster+ deployment: `POST {url}/graphql` with
 * `{query, variables, operationName}`, the Dagster+ API token header, and Dagster's error model mapped onto
 * MonitorError (HTTP 400 = the server rejected the document, 500 = a resolver raised, `…OrError` members).
 */

export const GRAPHQL_PATH = '/graphql';
/** Dagster+ authenticates API calls with a user token in this header (not `Authorization`). */
export const CLOUD_TOKEN_HEADER = 'Dagster-Cloud-Api-Token';
const MESSAGE_MAX = 300;

export interface DagsterClientOptions {
  /** Retries of queries after the first attempt (default 2); mutations are never retried. */
  maxRetries?: number;
  retryInitialDelayMs?: number;
}

/** The server refused the document itself (GraphQL validation: HTTP 400, or errors without data). */
export class DagsterQueryRejected extends MonitorError {
  readonly messages: string[];

  constructor(message: string, messages: string[], options: ConstructorParameters<typeof MonitorError>[2]) {
    super('upstream_error', message, options);
    this.name = 'DagsterQueryRejected';
    this.messages = messages;
  }

  /** True when the server's schema has no such field on that type (schema drift between versions). */
  lacksField(type: string, field: string): boolean {
    return this.messages.some((m) => m.includes(`"${field}"`) && m.includes(`"${type}"`));
  }
}

export class DagsterClient {
  readonly http: HttpClient;
  readonly name: string;
  private readonly config: OrchestratorConfig;

  constructor(config: OrchestratorConfig, options: DagsterClientOptions = {}) {
    this.config = config;
    this.name = config.name;
    const httpOptions = {
      name: config.name,
      product: 'Dagster',
      baseUrl: config.url,
      timeoutMs: config.timeout_ms,
      headers: config.headers,
      secrets: secretsOf(config),
      ...resilienceOptions(config.resilience),
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      retryInitialDelayMs: options.retryInitialDelayMs,
      // Used by an HTTP layer that supports TLS settings (extra CA, verification), ignored by one that does not.
      tls: { caPem: config.tls?.ca_pem ?? null, verify: config.tls?.verify !== false },
    };
    this.http = new HttpClient(httpOptions);
  }

  /**
   * Sends one operation and validates `data` with the schema. Queries are retried on connection failures and
   * 502/503/504; mutations never are (a repeated launch could start a second run).
   */
  async execute<T>(
    doc: DagsterDocument,
    variables: Record<string, unknown>,
    schema: z.ZodType<T>,
  ): Promise<T> {
    const spec: HttpRequestSpec = {
      method: 'POST',
      path: GRAPHQL_PATH,
      json: { query: doc.query, variables, operationName: doc.operationName },
      headers: this.authHeaders(),
      retry: doc.kind === 'query',
    };
    const response = await this.http.send(spec);
    if (response.status === 200) {
      const envelope = this.http.parse(spec, response, EnvelopeSchema);
      const messages = (envelope.errors ?? []).map((e) => e.message);
      if (messages.length > 0) {
        if (envelope.data === null || envelope.data === undefined) throw this.rejected(doc, 200, messages);
        throw this.failed(doc, 200, messages);
      }
      if (envelope.data === null || envelope.data === undefined) {
        throw this.http.unexpected(this.describe(doc), 'no data and no errors');
      }
      const result = schema.safeParse(envelope.data);
      if (!result.success) throw this.http.unexpected(this.describe(doc), describeZodError(result.error));
      return result.data;
    }
    throw this.statusError(doc, spec, response);
  }

  /** A member of an `…OrError` union other than the expected one, as a MonitorError. */
  unionError(error: ErrorMember, what: string, notFound?: { message: string; hint: string }): MonitorError {
    const options = { orchestrator: this.name };
    const message = this.clean(error.message ?? '');
    const type = error.__typename;
    if (type === 'UnauthorizedError') {
      return new MonitorError(
        'auth',
        `${this.name}: Dagster refused ${what}${message ? `: ${message}` : ''}.`,
        {
          ...options,
          hint: `the token configured for ${this.name} lacks the Dagster permission for this; check its role`,
        },
      );
    }
    if (/NotFound/.test(type) && notFound) {
      return new MonitorError('not_found', `${this.name}: ${notFound.message}`, {
        ...options,
        hint: notFound.hint,
      });
    }
    if (type === 'PythonError') {
      return new MonitorError(
        'upstream_error',
        `${this.name}: Dagster raised an error while ${what}: ${this.clean(errorSummary(error, 600))}`,
        { ...options, hint: `look at the Dagster webserver's logs for ${this.name}` },
      );
    }
    return new MonitorError(
      'upstream_error',
      `${this.name}: Dagster answered ${type} while ${what}${message ? `: ${message}` : ''}.`,
      options,
    );
  }

  /** Sanitized, redacted and trimmed text from the server, safe for a message. */
  clean(text: string, max = MESSAGE_MAX): string {
    return sanitizeText(this.http.redact(text), max);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private authHeaders(): Record<string, string> {
    const auth = this.config.auth;
    if (auth.kind === 'token') return { [CLOUD_TOKEN_HEADER]: auth.token };
    if (auth.kind === 'basic') {
      // Dagster has no basic auth of its own; a proxy in front of it may.
      const basic = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      return { authorization: `Basic ${basic}` };
    }
    return {};
  }

  private describe(doc: DagsterDocument): Pick<HttpRequestSpec, 'method' | 'path'> {
    return { method: 'POST', path: `${GRAPHQL_PATH} ${doc.operationName}` };
  }

  /** GraphQL error messages out of an error body, when it is a GraphQL envelope. */
  private graphqlMessages(response: HttpResponse): string[] | null {
    try {
      const parsed = EnvelopeSchema.safeParse(JSON.parse(response.body));
      if (!parsed.success || !parsed.data.errors || parsed.data.errors.length === 0) return null;
      return parsed.data.errors.map((e) => e.message);
    } catch {
      return null;
    }
  }

  private joined(messages: readonly string[]): string {
    const shown = messages.slice(0, 3).map((m) => this.clean(m, 200));
    const more = messages.length > 3 ? ` (and ${messages.length - 3} more)` : '';
    return `${shown.join('; ')}${more}`;
  }

  private rejected(doc: DagsterDocument, status: number, messages: string[]): DagsterQueryRejected {
    return new DagsterQueryRejected(
      `${this.name}: Dagster at ${this.http.host} rejected the ${doc.operationName} ${doc.kind} (HTTP ${status}): ${this.joined(messages)}`,
      messages,
      {
        orchestrator: this.name,
        hint: `the Dagster version of ${this.name} may not have a field this monitor uses; check that it is a supported Dagster version`,
      },
    );
  }

  private failed(doc: DagsterDocument, status: number, messages: string[]): MonitorError {
    return new MonitorError(
      'upstream_error',
      `${this.name}: Dagster at ${this.http.host} failed while answering ${doc.operationName} (HTTP ${status}): ${this.joined(messages)}`,
      { orchestrator: this.name, hint: `look at the Dagster webserver's logs for ${this.name}` },
    );
  }

  private statusError(doc: DagsterDocument, spec: HttpRequestSpec, response: HttpResponse): MonitorError {
    const status = response.status;
    if (status === 401 || status === 403) {
      const detail = this.http.detailOf(response);
      const kind = this.config.auth.kind;
      const hint =
        kind === 'token'
          ? `check the Dagster+ API token configured for ${this.name} (sent as ${CLOUD_TOKEN_HEADER}) and that its deployment is in the url`
          : `${this.name} has no token configured; Dagster+ needs a user API token (auth: token)`;
      return new MonitorError(
        'auth',
        `${this.name}: Dagster rejected the credentials (HTTP ${status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint },
      );
    }
    const messages = this.graphqlMessages(response);
    if (status === 400 && messages) return this.rejected(doc, status, messages);
    if (status >= 500 && status !== 502 && status !== 503 && status !== 504 && messages) {
      return this.failed(doc, status, messages);
    }
    if (status === 404 || status === 405) {
      return new MonitorError(
        'upstream_error',
        `${this.name}: no Dagster GraphQL endpoint at ${this.http.host} (POST ${GRAPHQL_PATH} answered HTTP ${status}).`,
        {
          orchestrator: this.name,
          hint: `check ${this.name}'s url: the Dagster webserver's address (with its --path-prefix), or https://<org>.dagster.cloud/<deployment> for Dagster+`,
        },
      );
    }
    return this.http.statusError(spec, response);
  }
}
