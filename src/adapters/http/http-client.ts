import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { z } from 'zod';
import { MonitorError } from '../../core/errors.js';

/**
 * A small HTTP layer shared by the orchestrator adapters: one undici dispatcher per orchestrator with
 * connect/headers/body timeouts, a per-request deadline, bounded response bodies, jittered retries of
 * idempotent requests, JSON parsing validated by zod, streamed bodies read chunk by chunk under their own
 * bounds, and failures mapped onto MonitorError. It knows nothing about any orchestrator's API or
 * authentication.
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

export type HttpHeaders = Record<string, string | string[] | undefined>;

export interface HttpResponse {
  status: number;
  headers: HttpHeaders;
  body: string;
}

/**
 * A request whose 2xx body may be streamed. The response-size cap (`maxResponseBytes`) applies only to
 * bodies read whole; a streamed body has its own bounds, which stop reading without an error.
 */
export interface HttpStreamSpec extends HttpRequestSpec {
  /** Most body bytes streamed; reading stops there (`stopped: 'max_bytes'`). Default 512 MiB. */
  maxStreamBytes?: number;
  /** Most time spent streaming the body, from its first byte; reading stops then (`stopped: 'deadline'`). */
  streamDeadlineMs?: number;
}

export interface HttpStreamHandler {
  /**
   * Whether to stream this 2xx answer (by its status and headers) into `onChunk`; false reads it whole, as
   * `send` would. Other statuses are always read whole (error bodies, bounded).
   */
  accept(head: { status: number; headers: HttpHeaders }): boolean;
  /** Each chunk of a streamed body, as it arrives; returning false stops reading. */
  onChunk(chunk: Buffer): boolean | void;
}

/** Why reading a streamed body ended: its end, a bound, or the handler. */
export type StreamStop = 'end' | 'max_bytes' | 'deadline' | 'handler';

export type HttpStreamOutcome =
  | { streamed: false; response: HttpResponse }
  | { streamed: true; status: number; headers: HttpHeaders; bytes: number; stopped: StreamStop };

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
export const DEFAULT_MAX_STREAM_BYTES = 512 * 1024 * 1024;

/** A failure below HTTP (DNS, connect, reset, timeout). */
class TransportError extends Error {
  constructor(
    readonly code: string,
    readonly timedOut: boolean,
    cause: unknown,
    /** A streamed body stopped arriving for longer than the timeout. */
    readonly stalled = false,
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
    ).orWhenResult((r) => {
      if (typeof r !== 'object' || r === null) return false;
      // `send` resolves with an HttpResponse, `openStream` with an OpenedStream (a streamed 2xx never retries).
      const status =
        'response' in r ? (r as { response: HttpResponse }).response.status : (r as HttpResponse).status;
      return RETRYABLE_STATUS.has(status);
    });
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

  /**
   * Sends one request whose 2xx answer the handler may take as a stream (see HttpStreamHandler). Retries
   * (idempotent requests) happen only before any of a streamed body is handed over; timeouts, TLS and
   * connection failures map onto MonitorError as for `send`. Resolves with any HTTP status.
   */
  async stream(spec: HttpStreamSpec, handler: HttpStreamHandler): Promise<HttpStreamOutcome> {
    const shouldRetry = spec.retry ?? spec.method === 'GET';
    try {
      const opened = shouldRetry
        ? await this.retryPolicy.execute(() => this.openStream(spec, handler))
        : await this.openStream(spec, handler);
      if (!opened.streamed) return opened;
      const { bytes, stopped } = await this.pump(spec, opened, handler);
      return { streamed: true, status: opened.status, headers: opened.headers, bytes, stopped };
    } catch (error) {
      throw this.transportFailure(spec, error);
    }
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

  private requestHeaders(spec: HttpRequestSpec): { headers: Record<string, string>; body?: string } {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.headers,
      ...(spec.headers ?? {}),
    };
    if (spec.json === undefined) return { headers };
    headers['content-type'] = 'application/json';
    return { headers, body: JSON.stringify(spec.json) };
  }

  private async attempt(spec: HttpRequestSpec): Promise<HttpResponse> {
    const { headers, body } = this.requestHeaders(spec);
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await request(this.buildUrl(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        dispatcher: this.agent,
        signal,
      });
      return await this.readWhole(spec, response);
    } catch (error) {
      throw this.attemptFailure(spec, error, signal.aborted);
    }
  }

  /** A whole body, bounded: 2xx bodies by the response-size cap (an error past it), others by 64 KiB. */
  private async readWhole(
    spec: HttpRequestSpec,
    response: { statusCode: number; headers: HttpHeaders; body: BodyStream },
  ): Promise<HttpResponse> {
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const limit = ok ? (spec.maxResponseBytes ?? this.maxResponseBytes) : ERROR_BODY_MAX;
    const text = await readBounded(response.body, limit, ok);
    return { status: response.statusCode, headers: response.headers, body: text };
  }

  private attemptFailure(spec: HttpRequestSpec, error: unknown, aborted: boolean): unknown {
    if (error instanceof ResponseTooLargeError) {
      return this.unexpected(
        spec,
        `the body is larger than ${spec.maxResponseBytes ?? this.maxResponseBytes} bytes`,
      );
    }
    if (error instanceof MonitorError || error instanceof TransportError) return error;
    const code = errorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
    const timedOut =
      aborted ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_ABORTED' ||
      code === 'ETIMEDOUT';
    return new TransportError(code, timedOut, error);
  }

  /**
   * Opens one attempt of a streamed request: the answer's status and headers within the timeout, then either
   * its body left open for `pump` (a 2xx the handler accepts) or read whole, under the same deadline.
   */
  private async openStream(spec: HttpStreamSpec, handler: HttpStreamHandler): Promise<OpenedStream> {
    const { headers, body } = this.requestHeaders(spec);
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), this.timeoutMs);
    let streaming = false;
    try {
      const response = await request(this.buildUrl(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        dispatcher: this.agent,
        signal: controller.signal,
      });
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      if (ok && handler.accept({ status: response.statusCode, headers: response.headers })) {
        streaming = true;
        clearTimeout(deadline);
        return {
          streamed: true,
          status: response.statusCode,
          headers: response.headers,
          body: response.body,
          controller,
        };
      }
      return { streamed: false, response: await this.readWhole(spec, response) };
    } catch (error) {
      throw this.attemptFailure(spec, error, controller.signal.aborted);
    } finally {
      if (!streaming) clearTimeout(deadline);
    }
  }

  /**
   * Reads an opened body into the handler, chunk by chunk: never more than `maxStreamBytes`, for no longer
   * than `streamDeadlineMs`, and failing when no chunk arrives within the timeout (an idle timer restarted
   * by every chunk). Nothing of the body is kept here.
   */
  private async pump(
    spec: HttpStreamSpec,
    opened: Extract<OpenedStream, { streamed: true }>,
    handler: HttpStreamHandler,
  ): Promise<{ bytes: number; stopped: StreamStop }> {
    const maxBytes = Math.max(1, spec.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES);
    const stopAt =
      spec.streamDeadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + spec.streamDeadlineMs;
    let stalled = false;
    const idle = setTimeout(() => {
      stalled = true;
      opened.controller.abort();
    }, this.timeoutMs);
    let bytes = 0;
    let stopped: StreamStop = 'end';
    try {
      for await (const data of opened.body) {
        idle.refresh();
        const chunk = data as Buffer;
        const room = maxBytes - bytes;
        if (chunk.length > room) {
          if (room > 0) handler.onChunk(chunk.subarray(0, room));
          bytes += room;
          stopped = 'max_bytes';
          break;
        }
        bytes += chunk.length;
        if (handler.onChunk(chunk) === false) {
          stopped = 'handler';
          break;
        }
        if (Date.now() >= stopAt) {
          stopped = 'deadline';
          break;
        }
      }
    } catch (error) {
      const code = errorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
      if (stalled || code === 'UND_ERR_BODY_TIMEOUT') throw new TransportError(code, true, error, true);
      throw this.attemptFailure(spec, error, opened.controller.signal.aborted);
    } finally {
      clearTimeout(idle);
      if (stopped !== 'end') opened.body.destroy(); // the rest is not downloaded
    }
    return { bytes, stopped };
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
    if (error.stalled) {
      return new MonitorError(
        'upstream_unavailable',
        `${this.name}: ${this.product} at ${this.host} stopped sending (no data for ${this.timeoutMs} ms in the middle of the answer; ${this.describe(spec)}).`,
        {
          orchestrator: this.name,
          hint: `${this.product} or the network in between may be overloaded; try again later`,
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

/** An undici response body. */
type BodyStream = AsyncIterable<unknown> & { destroy(): unknown };

/** One attempt of a streamed request: a body left open for `pump`, or an answer read whole. */
type OpenedStream =
  | { streamed: false; response: HttpResponse }
  | { streamed: true; status: number; headers: HttpHeaders; body: BodyStream; controller: AbortController };

async function readBounded(body: BodyStream, limit: number, strict: boolean) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const data of body) {
    const chunk = data as Buffer;
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
