import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { z } from 'zod';
import { currentCall, stopReason, type CallScope, type CallStopped } from '../../core/call-context.js';
import { MonitorError } from '../../core/errors.js';
import { Circuit, CircuitOpenError, type Guarded } from './circuit.js';
import { RequestSlots } from './request-slots.js';
import { describeWait, retryAfterMs } from './retry-after.js';

/**
 * A small HTTP layer shared by the orchestrator adapters: one undici dispatcher per orchestrator with
 * connect/headers/body timeouts, a per-request deadline, bounded response bodies, a bound on requests in
 * flight, jittered retries of idempotent requests that honour `Retry-After`, a circuit breaker, JSON parsing
 * validated by zod, streamed bodies read chunk by chunk under their own bounds, and failures mapped onto
 * MonitorError. Every request also stops when the tool call it serves is cancelled or out of time (the call
 * scope, see core/call-context). It knows nothing about any orchestrator's API or authentication.
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
  /**
   * Retry on connection failures and 429/502/503/504. Defaults to true for GET only; set it for reads sent
   * as POST and for writes the orchestrator deduplicates (an idempotency key), never for other writes.
   */
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
  /** First backoff delay in ms (default 100; jittered, doubling, capped at `retryMaxDelayMs`). */
  retryInitialDelayMs?: number;
  /** Longest backoff between attempts (default 2 s). */
  retryMaxDelayMs?: number;
  /** Longest `Retry-After` waited for (default 30 s); a longer one fails at once, saying when to retry. */
  maxRetryAfterMs?: number;
  /** Default bound on a response body (default 32 MiB). */
  maxResponseBytes?: number;
  /** Requests in flight at once (sockets per origin too); more wait their turn (default 16). */
  maxConcurrency?: number;
  /** Failed requests in a row that open the circuit breaker (default 5; 0 = no breaker). */
  breakerFailures?: number;
  /** How long the circuit stays open before one trial request (default 30 s). */
  breakerCooldownMs?: number;
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

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
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

/** The tool call this request served was cancelled or ran out of time; never counted against the server. */
class CallStoppedError extends Error {
  constructor(readonly stop: CallStopped) {
    super(stop.message);
    this.name = 'CallStoppedError';
  }
}

/** Time kept in hand before a call's deadline: a retry that would end later is not started. */
const SAFETY_MS = 250;

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
  private readonly maxResponseBytes: number;
  private readonly maxRetries: number;
  private readonly retryInitialDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly slots: RequestSlots;
  private readonly circuit: Circuit;
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
    const concurrency = Math.max(1, Math.floor(options.maxConcurrency ?? 16));
    this.agent = new Agent({
      connect: { timeout: options.timeoutMs, ...tlsConnectOptions(options.tls) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: concurrency,
    });
    this.slots = new RequestSlots(concurrency);
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 2));
    this.retryInitialDelayMs = Math.max(0, options.retryInitialDelayMs ?? 100);
    this.retryMaxDelayMs = Math.max(this.retryInitialDelayMs, options.retryMaxDelayMs ?? 2000);
    this.maxRetryAfterMs = Math.max(0, options.maxRetryAfterMs ?? 30_000);
    this.circuit = new Circuit(
      {
        failures: Math.max(0, options.breakerFailures ?? 5),
        cooldownMs: options.breakerCooldownMs ?? 30_000,
      },
      (error) => (error instanceof TransportError ? this.transportReason(error) : null),
      (error) => error instanceof CallStoppedError,
    );
  }

  /** The circuit breaker's state toward this orchestrator. */
  get circuitState(): 'closed' | 'open' | 'half-open' {
    return this.circuit.state;
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
   * Sends one request (with retries when idempotent). Resolves with any HTTP status; rejects with
   * MonitorError('upstream_unavailable') when the server cannot be reached in time, when its circuit is open,
   * or when the tool call is cancelled or out of time.
   */
  async send(spec: HttpRequestSpec): Promise<HttpResponse> {
    const retryable = spec.retry ?? spec.method === 'GET';
    try {
      return await this.guarded(
        retryable,
        () => this.attempt(spec),
        (r) => r,
      );
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
    const retryable = spec.retry ?? spec.method === 'GET';
    try {
      const opened = await this.guarded(
        retryable,
        () => this.openStream(spec, handler),
        (o) => (o.streamed ? o : o.response),
      );
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
    const wait = this.retryAfterText(response);
    const busy = status === 429 || status === 503;
    return new MonitorError(
      busy ? 'upstream_unavailable' : 'upstream_error',
      `${this.name}: ${this.product} at ${this.host} answered ${this.describe(spec)} with HTTP ${status}${suffix}${
        wait ? ` (it asked to retry after ${wait})` : ''
      }`,
      {
        orchestrator: this.name,
        hint: busy
          ? `${this.product} is overloaded or rate-limiting; ${wait ? `try again after ${wait}` : 'try again in a minute'}`
          : status >= 500
            ? `${this.product} failed while answering; if it keeps failing, look at ${this.name}'s server logs`
            : undefined,
      },
    );
  }

  /** "120 s (at 14:02:05 UTC)" from the answer's Retry-After, or null. */
  retryAfterText(response: Pick<HttpResponse, 'headers'>): string | null {
    const ms = retryAfterMs(response.headers['retry-after']);
    return ms === null ? null : describeWait(ms);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * One logical request under the circuit breaker: attempts (each holding a request slot) and, when
   * `retryable`, retries of connection failures and 429/502/503/504 after a jittered exponential backoff or
   * the server's Retry-After, as long as the wait fits the cap and the call's remaining time. The last answer
   * is returned whatever its status (the caller maps it); the call's cancellation stops any wait at once.
   */
  private guarded<R>(
    retryable: boolean,
    once: () => Promise<R>,
    answerOf: (r: R) => Pick<HttpResponse, 'status' | 'headers'>,
  ): Promise<R> {
    const call = currentCall();
    if (call?.signal.aborted) return Promise.reject(new CallStoppedError(stopReason(call.signal)));
    return this.circuit.run(async (): Promise<Guarded<R>> => {
      for (let attempt = 0; ; attempt++) {
        let value: R;
        try {
          value = await once();
        } catch (error) {
          const retry = retryable && attempt < this.maxRetries && isRetryableError(error);
          const wait = retry ? this.backoffMs(attempt) : null;
          if (wait === null || !fitsBudget(call, wait)) throw error;
          await pause(wait, call);
          continue;
        }
        const answer = answerOf(value);
        const failure = answer.status >= 500 ? `HTTP ${answer.status}` : null;
        if (!RETRYABLE_STATUS.has(answer.status) || !retryable || attempt >= this.maxRetries) {
          return { value, failure };
        }
        const asked = retryAfterMs(answer.headers['retry-after']);
        const wait = asked === null ? this.backoffMs(attempt) : asked + Math.random() * 50;
        if ((asked !== null && asked > this.maxRetryAfterMs) || !fitsBudget(call, wait)) {
          return { value, failure };
        }
        await pause(wait, call);
      }
    });
  }

  /** Exponential backoff with "equal jitter": half the step fixed, half random. */
  private backoffMs(attempt: number): number {
    const step = Math.min(this.retryMaxDelayMs, this.retryInitialDelayMs * 2 ** attempt);
    return step / 2 + Math.random() * (step / 2);
  }

  /** A slot among the requests in flight, waited for in order; the call's end stops the wait. */
  private async slot(call: CallScope | undefined): Promise<() => void> {
    try {
      return await this.slots.acquire(call?.signal);
    } catch {
      throw new CallStoppedError(stopReason((call as CallScope).signal));
    }
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

  /** One attempt read whole: an opened stream whose handler never takes the body. */
  private async attempt(spec: HttpRequestSpec): Promise<HttpResponse> {
    const opened = await this.openStream(spec, READ_WHOLE);
    if (opened.streamed) throw new Error('a body was streamed that READ_WHOLE refused');
    return opened.response;
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
    if (error instanceof MonitorError || error instanceof TransportError || error instanceof CallStoppedError)
      return error;
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
    const call = currentCall();
    const release = await this.slot(call);
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), this.timeoutMs);
    const link = linkSignals(controller.signal, call?.signal);
    call?.noteRequest(this.name, 1);
    let streaming = false;
    try {
      const response = await request(this.buildUrl(spec.path, spec.query), {
        method: spec.method,
        headers,
        body,
        dispatcher: this.agent,
        signal: link.signal,
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
          call,
          done: () => {
            link.dispose();
            call?.noteRequest(this.name, -1);
            release();
          },
        };
      }
      return { streamed: false, response: await this.readWhole(spec, response) };
    } catch (error) {
      if (call?.signal.aborted) throw new CallStoppedError(stopReason(call.signal));
      throw this.attemptFailure(spec, error, controller.signal.aborted);
    } finally {
      if (!streaming) {
        clearTimeout(deadline);
        link.dispose();
        call?.noteRequest(this.name, -1);
        release();
      }
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
      if (opened.call?.signal.aborted) throw new CallStoppedError(stopReason(opened.call.signal));
      const code = errorCode(error) ?? (error instanceof Error ? error.name : 'unknown');
      if (stalled || code === 'UND_ERR_BODY_TIMEOUT') throw new TransportError(code, true, error, true);
      throw this.attemptFailure(spec, error, opened.controller.signal.aborted);
    } finally {
      clearTimeout(idle);
      if (stopped !== 'end') opened.body.destroy(); // the rest is not downloaded
      opened.done();
    }
    return { bytes, stopped };
  }

  private transportFailure(spec: HttpRequestSpec, error: unknown): unknown {
    if (error instanceof CallStoppedError) {
      const deadline = error.stop.why === 'deadline';
      return new MonitorError(
        'upstream_unavailable',
        `${this.name}: stopped waiting for ${this.product} at ${this.host} (${this.describe(spec)}): ${error.stop.message}.`,
        {
          orchestrator: this.name,
          hint: deadline
            ? `${this.name} is slow to answer; try again, narrow the question (orchestrator, hours, limit), or raise call_timeout_seconds`
            : undefined,
          cause: error,
        },
      );
    }
    if (error instanceof CircuitOpenError) {
      const wait = describeWait(error.retryInMs);
      return new MonitorError(
        'upstream_unavailable',
        `${this.name}: not contacting ${this.product} at ${this.host} for now: its last ${error.failures} requests failed (last: ${error.lastFailure}); it will be tried again in ${wait}.`,
        {
          orchestrator: this.name,
          hint: `check that ${this.name} is running and reachable; try again after ${wait}`,
          cause: error,
        },
      );
    }
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
    return new MonitorError(
      'upstream_unavailable',
      `${this.name}: cannot reach ${this.product} at ${this.host} (${this.transportReason(error)}; ${this.describe(spec)}).`,
      {
        orchestrator: this.name,
        hint: `check that ${this.name} is running and that ${this.host} is reachable from this machine`,
        cause: error,
      },
    );
  }

  /** "connection refused", "no answer within 500 ms"… */
  private transportReason(error: TransportError): string {
    if (TLS_CERT_CODES.has(error.code)) return `TLS certificate refused (${sanitizeText(error.code, 60)})`;
    if (error.stalled) return `stopped sending for ${this.timeoutMs} ms`;
    return error.timedOut
      ? `no answer within ${this.timeoutMs} ms`
      : error.code === 'ECONNREFUSED'
        ? 'connection refused'
        : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? 'host name not found'
          : error.code === 'UND_ERR_CONNECT_TIMEOUT'
            ? `connect timed out after ${this.timeoutMs} ms`
            : `connection failed (${sanitizeText(error.code, 40)})`;
  }
}

function isRetryableError(error: unknown): boolean {
  return error instanceof TransportError && !error.timedOut && RETRYABLE_CODES.has(error.code);
}

/** Whether waiting `ms` (then trying again) still leaves the call time to answer. */
function fitsBudget(call: CallScope | undefined, ms: number): boolean {
  return !call || Date.now() + ms + SAFETY_MS < call.deadline;
}

/** Waits `ms`; the call's cancellation ends the wait at once (with CallStoppedError). */
function pause(ms: number, call: CallScope | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const signal = call?.signal;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CallStoppedError(stopReason(signal as AbortSignal)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One signal that aborts with whichever of `a` and `b` aborts first; dispose() detaches it. */
function linkSignals(a: AbortSignal, b: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  if (!b) return { signal: a, dispose: () => undefined };
  const controller = new AbortController();
  const sources = [a, b];
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  for (const source of sources) {
    if (source.aborted) controller.abort(source.reason);
    else source.addEventListener('abort', onAbort, { once: true });
  }
  return {
    signal: controller.signal,
    dispose: () => sources.forEach((source) => source.removeEventListener('abort', onAbort)),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads every answer whole, as `send` does. */
const READ_WHOLE: HttpStreamHandler = { accept: () => false, onChunk: () => false };

/** An undici response body. */
type BodyStream = AsyncIterable<unknown> & { destroy(): unknown };

/** One attempt of a streamed request: a body left open for `pump`, or an answer read whole. */
type OpenedStream =
  | { streamed: false; response: HttpResponse }
  | {
      streamed: true;
      status: number;
      headers: HttpHeaders;
      body: BodyStream;
      controller: AbortController;
      call: CallScope | undefined;
      /** Frees the request slot and detaches the call's signal, once the body has been read. */
      done: () => void;
    };

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
