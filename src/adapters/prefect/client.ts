import type { z } from 'zod';
import { secretsOf, type OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import {
  extractDetail,
  HttpClient,
  resilienceOptions,
  type HttpRequestSpec,
  type HttpResponse,
} from '../http/index.js';

/**
 * HTTP access to one Prefect API (self-hosted `…/api` or a Cloud workspace URL): authentication, requests
 * validated with zod, statuses mapped onto MonitorError, and offset paging of the `…/filter` endpoints.
 */

/** PREFECT_SERVER_API_DEFAULT_LIMIT: the server answers 422 to any bigger `limit`. */
export const MAX_PAGE_LIMIT = 200;
/** Default bound on pages followed for one listing. */
export const DEFAULT_MAX_PAGES = 100;

export interface PrefectClientOptions {
  /** Retries of idempotent requests after the first attempt (default 2). */
  maxRetries?: number;
  retryInitialDelayMs?: number;
}

/** How to phrase a 404 for the entity a request is about. */
export interface NotFound {
  message: string;
  hint: string;
}

export interface Page<T> {
  items: T[];
  /** True when the server has nothing after what was read (a short page). */
  exhausted: boolean;
  pages: number;
}

export interface PaginateOptions<T> {
  /** Stop once this many items are collected. */
  maxItems?: number;
  maxPages?: number;
  notFound?: NotFound;
  /** Items whose key was already seen (rows shifting between pages) are dropped. */
  key?: (item: T) => string;
}

/** FastAPI's `detail` (string or validation errors), or the `exception_message` of Prefect's middleware. */
export function prefectDetail(body: string): string | null {
  const detail = extractDetail(body);
  if (detail !== null) return detail;
  try {
    const parsed = JSON.parse(body) as { exception_message?: unknown };
    return typeof parsed.exception_message === 'string' ? parsed.exception_message : null;
  } catch {
    return null;
  }
}

export class PrefectClient {
  readonly http: HttpClient;
  readonly name: string;
  private readonly config: OrchestratorConfig;
  private readonly authHeaders: Record<string, string>;

  constructor(config: OrchestratorConfig, options: PrefectClientOptions = {}) {
    this.config = config;
    this.name = config.name;
    const httpOptions = {
      name: config.name,
      product: 'Prefect',
      baseUrl: config.url,
      timeoutMs: config.timeout_ms,
      headers: config.headers,
      secrets: secretsOf(config),
      ...resilienceOptions(config.resilience),
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      retryInitialDelayMs: options.retryInitialDelayMs,
      // Honoured by HttpClient versions that support them (extra CAs / verify, and Prefect's error bodies).
      tls: { caPem: config.tls.ca_pem, verify: config.tls.verify },
      detailExtractor: prefectDetail,
    };
    this.http = new HttpClient(httpOptions);
    const auth = config.auth;
    if (auth.kind === 'token') this.authHeaders = { authorization: `Bearer ${auth.token}` };
    else if (auth.kind === 'basic') {
      // PREFECT_API_AUTH_STRING is `user:password`, sent as HTTP Basic.
      const encoded = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
      this.http.addSecret(encoded);
      this.authHeaders = { authorization: `Basic ${encoded}` };
    } else this.authHeaders = {};
  }

  /** POST a filter/count body (read-only, so safe to retry) and validate the JSON answer. */
  post<T>(path: string, body: unknown, schema: z.ZodType<T>, notFound?: NotFound): Promise<T> {
    return this.request({ method: 'POST', path, json: body, retry: true }, schema, notFound);
  }

  get<T>(path: string, schema: z.ZodType<T>, notFound?: NotFound): Promise<T> {
    return this.request({ method: 'GET', path }, schema, notFound);
  }

  async request<T>(spec: HttpRequestSpec, schema: z.ZodType<T>, notFound?: NotFound): Promise<T> {
    const response = await this.send(spec);
    if (response.status < 200 || response.status >= 300) throw this.statusError(spec, response, notFound);
    return this.http.parse(spec, response, schema);
  }

  /** Sends with authentication; the caller handles the status. */
  send(spec: HttpRequestSpec): Promise<HttpResponse> {
    return this.http.send({ ...spec, headers: { ...(spec.headers ?? {}), ...this.authHeaders } });
  }

  /**
   * Offset paging of a `…/filter` endpoint (the body gets `limit` ≤ 200 and `offset`) until a short page,
   * `maxItems` or `maxPages`.
   */
  async paginate<T>(
    path: string,
    body: Record<string, unknown>,
    schema: z.ZodType<T[]>,
    options: PaginateOptions<T> = {},
  ): Promise<Page<T>> {
    const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const seen = options.key ? new Set<string>() : null;
    const items: T[] = [];
    let offset = 0;
    let pages = 0;
    let exhausted = false;
    while (pages < maxPages && items.length < maxItems) {
      const limit = Math.max(1, Math.min(MAX_PAGE_LIMIT, maxItems - items.length));
      const got = await this.post(path, { ...body, limit, offset }, schema, options.notFound);
      pages++;
      for (const item of got) {
        if (seen && options.key) {
          const key = options.key(item);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        items.push(item);
      }
      offset += got.length;
      if (got.length < limit) {
        exhausted = true;
        break;
      }
    }
    return { items: items.slice(0, Number.isFinite(maxItems) ? maxItems : undefined), exhausted, pages };
  }

  /** Status → MonitorError for the Prefect API. */
  statusError(
    spec: Pick<HttpRequestSpec, 'method' | 'path'>,
    response: HttpResponse,
    notFound?: NotFound,
  ): MonitorError {
    const status = response.status;
    if (status === 401 || status === 403) return this.authError(response);
    if (status === 404 && notFound) {
      return new MonitorError('not_found', `${this.name}: ${notFound.message}`, {
        orchestrator: this.name,
        hint: notFound.hint,
      });
    }
    if (status === 404) {
      // A filter endpoint is never 404 on a Prefect API: the URL points somewhere else.
      return new MonitorError(
        'upstream_error',
        `${this.name}: ${this.http.host} has no Prefect API at ${this.http.describe(spec)} (HTTP 404).`,
        {
          orchestrator: this.name,
          hint: `set ${this.name}'s url to the API URL, as PREFECT_API_URL: http://host:4200/api, or https://api.prefect.cloud/api/accounts/<account id>/workspaces/<workspace id>`,
        },
      );
    }
    if (status === 422 || status === 400 || status === 409) {
      const detail = this.http.detailOf(response);
      return new MonitorError(
        'invalid_input',
        `${this.name}: Prefect rejected ${this.http.describe(spec)} (HTTP ${status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint: 'check the values sent (ids are UUIDs; limit at most 200)' },
      );
    }
    if (status === 429) {
      const wait = this.http.retryAfterText(response);
      return new MonitorError(
        'upstream_unavailable',
        `${this.name}: Prefect at ${this.http.host} is rate-limiting requests (HTTP 429${wait ? `, retry after ${wait}` : ''}).`,
        {
          orchestrator: this.name,
          hint: `Prefect Cloud limits API requests per minute by plan; ${wait ? `try again after ${wait}` : 'wait a minute and try again'}`,
        },
      );
    }
    return this.http.statusError(spec, response);
  }

  authError(response: HttpResponse): MonitorError {
    const kind = this.config.auth.kind;
    const what =
      kind === 'token'
        ? 'the API key'
        : kind === 'basic'
          ? 'the basic-auth credentials'
          : 'the request (no credentials are configured)';
    const hint =
      kind === 'token'
        ? `check the API key configured for ${this.name} (PREFECT_API_KEY) and that it can access this workspace`
        : kind === 'basic'
          ? `check the user:password configured for ${this.name} (PREFECT_API_AUTH_STRING = the server's PREFECT_SERVER_API_AUTH_STRING)`
          : `configure an API key (Prefect Cloud) or basic auth (self-hosted with PREFECT_SERVER_API_AUTH_STRING) for ${this.name}`;
    const refused = response.status === 403;
    return new MonitorError(
      'auth',
      `${this.name}: Prefect ${refused ? 'refused access for' : 'rejected'} ${what} (HTTP ${response.status}).`,
      { orchestrator: this.name, hint },
    );
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
