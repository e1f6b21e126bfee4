import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { z } from 'zod';
import { MonitorError } from '../../core/errors.js';

/**
 * A small HTTP layer shared by the orchestrator adapters: one undici dispatcher per orchestrator with
 * connect/headers/body timeouts, a per-request deadline, bounded response bodies, jittered retries of
 * idempotent requests, JSON parsing validated by zod, and failures mapped onto MonitorError.
 * It knows nothing about any orchestrator's API or authentication.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type QueryScalar = string | number | boolean;
/** Arrays repeat the key (`state=failed&state=running`); null/undefined values are left out. */
export type QueryValue = QueryScalar | readonly QueryScalar[] | null | undefined;

export interface HttpRequestSpec {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`; path segments must already be encoded. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as a JSON body. */
  json?: unknown;
  /** Retry on connection failures and 502/503/504. Defaults to true for GET only. */
  retry?: boolean;
  /** Largest body accepted; bigger responses are an upstream_error. */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpClientOptions {
  /** The orchestrator's configured name, used in every message. */
  name: string;
  /** Human name of the product ("Airflow"), used in messages. */
  product: string;
  baseUrl: string;
  timeoutMs: number;
  /** Sent on every request (the configuration's extra headers). */
  headers?: Record<string, string>;
  /** Values that must never appear in a message (passwords, tokens). */
  secrets?: string[];
  /** Retries after the first attempt (default 2). */
  maxRetries?: number;
  /** First backoff delay in ms (default 100; jittered, capped at 2 s). */
  retryInitialDelayMs?: number;
  /** Default bound on a response body (default 32 MiB). */
  maxResponseBytes?: number;
  /** Sockets per origin (default 16). */
  connections?: number;
  /** TLS toward the server: extra trusted CAs (added to Node's default roots) and whether to verify at all. */
  tls?: HttpTlsOptions;
  /** Turns an error body into a short human message (default: `extractDetail`). */
  detailExtractor?: (body: string) => string | null;
}

export interface HttpTlsOptions {
  /** PEM bundle of CAs to trust in addition to the default root certificates. */
  caPem?: string | null;
  /** False only when configured explicitly: the server's certificate is then not checked at all. */
  verify?: boolean;
}

/** undici `connect` options for the TLS settings: extra CAs are added to Node's roots, never replace them. */
export function tlsConnectOptions(tls: HttpTlsOptions | undefined): {
  ca?: string[];
  rejectUnauthorized?: false;
} {
  const options: { ca?: string[]; rejectUnauthorized?: false } = {};
  if (tls?.caPem) options.ca = [...rootCertificates, tls.caPem];
  if (tls?.verify === false) options.rejectUnauthorized = false;
  return options;
}

/** OpenSSL / Node verification failures: the server answered, but its certificate is not trusted. */
const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

const RETRYABLE_STATUS = new Set([502, 503, 504]);
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);
const DETAIL_MAX = 300;
const ERROR_BODY_MAX = 64 * 1024;

/** A failure below HTTP (DNS, connect, reset, timeout). */
class TransportError extends Error {
  constructor(
    readonly code: string,
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(code, { cause });
    this.name = 'TransportError';
  }
}

class ResponseTooLargeError extends Error {}

function errorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && e.code.length > 0) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errorCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return errorCode(e.cause, depth + 1);
}

/** Removes control characters and collapses whitespace so server text is safe to show. */
export function sanitizeText(text: string, max: number): string {
  const collapsed = text
    .replace(/\s+/g, ' ')
    .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu, '')
    .trim();
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

/** Best-effort human message out of an error body (`detail`, `message`, `title`, `error`). */
export function extractDetail(body: string): string | null {
  if (body.trim().length === 0) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return /^\s*</.test(body) ? null : body; // HTML error pages carry nothing useful
  }
  if (typeof parsed === 'string') return parsed;
  if (typeof parsed !== 'object' || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  for (const key of ['detail', 'message', 'title', 'error', 'errors']) {
    const value = record[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) {
      // FastAPI 422: [{loc, msg, type}]
      const parts = value.slice(0, 5).map((item) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'object' && item !== null) {
          const it = item as Record<string, unknown>;
          const loc = Array.isArray(it.loc) ? it.loc.map(String).join('.') : '';
          const msg = typeof it.msg === 'string' ? it.msg : typeof it.message === 'string' ? it.message : '';
          return loc ? `${loc}: ${msg}` : msg || safeStringify(item);
        }
        return String(item);
      });
      return parts.join('; ');
    }
    if (typeof value === 'object' && value !== null) return safeStringify(value);
  }
  return null;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value).slice(0, 2000);
  } catch {
    return '';
  }
}

/** Describes the first zod issue as "missing field x" / "field x: …". */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid shape';
  const path = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  const where = path.length > 0 ? path : 'body';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
    return `missing field ${where}`;
  return `field ${where}: ${sanitizeText(issue.message, 120)}`;
}

export class HttpClient {
  readonly name: string;
  readonly product: string;
  readonly baseUrl: string;
  readonly host: string;
  readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly secrets: Set<string>;
  private readonly retryPolicy: RetryPolicy;
  private readonly maxResponseBytes: number;
  private detailExtractor: (body: string) => string | null;

  constructor(options: HttpClientOptions) {
    this.name = options.name;
    this.product = options.product;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    let host: string;
    try {
      host = new URL(this.baseUrl).host;
    } catch {
      throw new MonitorError('invalid_input', `${options.name}: the configured url is not a valid URL.`, {
        orchestrator: options.name,
      });
    }
    this.host = host;
    this.timeoutMs = options.timeoutMs;
    this.headers = { ...(options.headers ?? {}) };
    this.secrets = new Set((options.secrets ?? []).filter((s) => s.length >= 4));
    this.maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
    this.detailExtractor = options.detailExtractor ?? extractDetail;
    this.agent = new Agent({
      connect: { timeout: options.timeoutMs, ...tlsConnectOptions(options.tls) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: options.connections ?? 16,
    });
    const policy = handleWhen(
      (e) => e instanceof TransportError && !e.timedOut && RETRYABLE_CODES.has(e.code),
    ).orWhenResult(
      (r) => typeof r === 'object' && r !== null && RETRYABLE_STATUS.has((r as HttpResponse).status),
    );
    this.retryPolicy = retry(policy, {
      maxAttempts: options.maxRetries ?? 2,
      backoff: new ExponentialBackoff({ initialDelay: options.retryInitialDelayMs ?? 100, maxDelay: 2000 }),
    });
  }

  /** Replaces how error bodies are read (e.g. once the API dialect is known). */
  setDetailExtractor(extractor: (body: string) => string | null): void {
    this.detailExtractor = extractor;
  }

  /** Registers a value obtained at run time (e.g. an exchanged token) that must never be shown. */
  addSecret(value: string): void {
    if (value.length >= 4) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }

  /** "GET /api/v2/dags" — for messages; never contains the query string. */
  describe(spec: Pick<HttpRequestSpec, 'method' | 'path'>): string {
    return `${spec.method} ${this.redact(sanitizeText(spec.path, 200))}`;
  }

  buildUrl(path: string, query?: Record<string, QueryValue>): string {
    const url = new URL(this.baseUrl + path);
    if (query) {
      for (const [key, value] of Object.entries(query)) {
        if (value === null || value === undefined) continue;
        if (Array.isArray(value))
          for (const v of value as readonly QueryScalar[]) url.searchParams.append(key, String(v));
        else url.searchParams.append(key, String(value));
      }
    }
    return url.toString();
  }

  /**
   * Sends one request (with retries when idempotent). Resolves with any HTTP status;
   * rejects with MonitorError('upstream_unavailable') when the server cannot be reached in time.
   */
  async send(spec: HttpRequestSpec): Promise<HttpResponse> {
    const shouldRetry = spec.retry ?? spec.method === 'GET';
    try {
      if (!shouldRetry) return await this.attempt(spec);
      return await this.retryPolicy.execute(() => this.attempt(spec));
    } catch (error) {
      throw this.transportFailure(spec, error);
    }
  }

  /** Sends and expects a 2xx JSON body matching the schema; other statuses go to `onError`. */
  async json<T>(
    spec: HttpRequestSpec,
    schema: z.ZodType<T>,
    onError: (response: HttpResponse) => MonitorError = (r) => this.statusError(spec, r),
  ): Promise<T> {
    const response = await this.send(spec);
    if (response.status < 200 || response.status >= 300) throw onError(response);
    return this.parse(spec, response, schema);
  }

  parse<T>(spec: Pick<HttpRequestSpec, 'method' | 'path'>, response: HttpResponse, schema: z.ZodType<T>): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      const type = headerValue(response.headers['content-type']) ?? 'no content type';
      throw this.unexpected(spec, `not JSON (${sanitizeText(type, 60)})`);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) throw this.unexpected(spec, describeZodError(result.error));
    return result.data;
  }

  unexpected(spec: Pick<HttpRequestSpec, 'method' | 'path'>, what: string): MonitorError {
    return new MonitorError(
      'upstream_error',
      `${this.name}: unexpected response from ${this.product} at ${this.host} (${this.describe(spec)}): ${what}.`,
      {
        orchestrator: this.name,
        hint: `check that ${this.name}'s url points at a supported ${this.product} version`,
      },
    );
  }

  /** The server's error detail, sanitized, redacted and trimmed to 300 characters. */
  detailOf(response: HttpResponse): string | null {
    let detail: string | null;
    try {
      detail = this.detailExtractor(response.body);
    } catch {
      detail = null;
    }
    if (detail === null) return null;
    const text = sanitizeText(this.redact(detail), DETAIL_MAX);
    return text.length > 0 ? text : null;
  }

  /** Generic mapping of a non-2xx status; adapters handle the statuses that mean something to them first. */
  statusError(spec: Pick<HttpRequestSpec, 'method' | 'path'>, response: HttpResponse): MonitorError {
    const detail = this.detailOf(response);
    const suffix = detail ? `: ${detail}` : '';
    const status = response.status;
    if (status === 401 || status === 403) {
      return new MonitorError(
        'auth',
        `${this.name}: ${this.product} rejected the request (HTTP ${status})${suffix}`,
        { orchestrator: this.name, hint: `check the credentials configured for ${this.name}` },
      );
    }
    if (status === 404) {
      return new MonitorError(
        'not_found',
        `${this.name}: not found (HTTP 404, ${this.describe(spec)})${suffix}`,
        {
          orchestrator: this.name,
        },
      );
    }
    if (status >= 300 && status < 400) {
      const location = headerValue(response.headers.location);
      return new MonitorError(
        'upstream_error',
        `${this.name}: ${this.product} at ${this.host} answered ${this.describe(spec)} with a redirect (HTTP ${status}${
          location ? ` to ${sanitizeText(this.redact(location), 120)}` : ''
        }).`,
        {
          orchestrator: this.name,
          hint: `check ${this.name}'s url (a login page or proxy may be in front of the API)`,
        },
      );
    }
    const retryAfter = headerValue(response.headers['retry-after']);
    return new MonitorError(
      'upstream_error',
      `${this.name}: ${this.product} at ${this.host} answered ${this.describe(spec)} with HTTP ${status}${suffix}`,
      {
        orchestrator: this.name,
        hint:
          status === 429 || status === 503
            ? `${this.product} is overloaded or rate-limiting${retryAfter ? ` (retry after ${sanitizeText(retryAfter, 40)} s)` : ''}; try again later`
            : undefined,
      },
    );
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async attempt(spec: HttpRequestSpec): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.headers,
      ...(spec.headers ?? {}),
    };
    let body: string | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await request(this.buildUrl(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        dispatcher: this.agent,
        signal,
      });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      const limit = ok ? (spec.maxResponseBytes ?? this.maxResponseBytes) : ERROR_BODY_MAX;
      const text = await readBounded(response.body, limit, ok);
      return { status: response.statusCode, headers: response.headers, body: text };
    } catch (error) {
      if (error instanceof ResponseTooLargeError) {
        throw this.unexpected(
          spec,
          `the body is larger than ${spec.maxResponseBytes ?? this.maxResponseBytes} bytes`,
        );
      }
      if (error instanceof MonitorError) throw error;
      const code = errorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
      const timedOut =
        signal.aborted ||
        code === 'UND_ERR_HEADERS_TIMEOUT' ||
        code === 'UND_ERR_BODY_TIMEOUT' ||
        code === 'UND_ERR_ABORTED' ||
        code === 'ETIMEDOUT';
      throw new TransportError(code, timedOut, error);
    }
  }

  private transportFailure(spec: HttpRequestSpec, error: unknown): unknown {
    if (!(error instanceof TransportError)) return error;
    if (TLS_CERT_CODES.has(error.code)) {
      return new MonitorError(
        'upstream_unavailable',
        `${this.name}: refused the TLS certificate of ${this.product} at ${this.host} (${sanitizeText(error.code, 60)}; ${this.describe(spec)}).`,
        {
          orchestrator: this.name,
          hint: `if ${this.host} uses a private CA, set tls.ca_file for ${this.name} to that CA's PEM bundle (tls.verify: false turns checking off, not recommended)`,
          cause: error,
        },
      );
    }
    const reason = error.timedOut
      ? `no answer within ${this.timeoutMs} ms`
      : error.code === 'ECONNREFUSED'
        ? 'connection refused'
        : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? 'host name not found'
          : error.code === 'UND_ERR_CONNECT_TIMEOUT'
            ? `connect timed out after ${this.timeoutMs} ms`
            : `connection failed (${sanitizeText(error.code, 40)})`;
    return new MonitorError(
      'upstream_unavailable',
      `${this.name}: cannot reach ${this.product} at ${this.host} (${reason}; ${this.describe(spec)}).`,
      {
        orchestrator: this.name,
        hint: `check that ${this.name} is running and that ${this.host} is reachable from this machine`,
        cause: error,
      },
    );
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  limit: number,
  strict: boolean,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      if (strict) {
        body.destroy();
        throw new ResponseTooLargeError();
      }
      chunks.push(chunk.subarray(0, limit - size));
      body.destroy();
      break;
    }
    size += chunk.length;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
