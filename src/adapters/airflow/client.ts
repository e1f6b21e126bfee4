import type { z } from 'zod';
import { secretsOf, type OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import { HttpClient, type HttpRequestSpec, type HttpResponse, type QueryValue } from '../http/index.js';
import { TokenResponseSchema } from './schemas.js';

/**
 * HTTP access to one Airflow 3 deployment: authentication (JWT exchange with refresh, static token, none),
 * request helpers that map statuses onto MonitorError, and offset pagination.
 */

export const API_PREFIX = '/api/v2';
/** What we ask for per page; the server may silently return fewer (its maximum_page_limit). */
export const PAGE_SIZE = 100;
/** Default bound on pages followed for one listing. */
export const DEFAULT_MAX_PAGES = 200;

export interface AirflowClientOptions {
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
  /** total_entries of the last page read. */
  total: number | null;
  /** True when the page bound stopped the listing before the server's total was reached. */
  truncated: boolean;
  /** True when the server has nothing after what was read (an empty page or total_entries reached). */
  exhausted: boolean;
  /** Items read but left out by `accept`. */
  rejected: number;
  pages: number;
}

export interface PaginateOptions<T> {
  /** Stop once this many items are collected. */
  maxItems?: number;
  maxPages?: number;
  notFound?: NotFound;
  /** Items whose key was already seen (rows shifting between pages) are dropped. */
  key?: (item: T) => string;
  /** Client-side filter applied before counting toward `maxItems`. */
  accept?: (item: T) => boolean;
}

/** Encodes one id as a URL path segment. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}

export class AirflowClient {
  readonly http: HttpClient;
  readonly name: string;
  private readonly config: OrchestratorConfig;
  private token: string | null = null;
  private tokenRequest: Promise<string> | null = null;

  constructor(config: OrchestratorConfig, options: AirflowClientOptions = {}) {
    this.config = config;
    this.name = config.name;
    this.http = new HttpClient({
      name: config.name,
      product: 'Airflow',
      baseUrl: config.url,
      timeoutMs: config.timeout_ms,
      headers: config.headers,
      secrets: secretsOf(config),
      maxRetries: options.maxRetries,
      retryInitialDelayMs: options.retryInitialDelayMs,
    });
  }

  /** GET {prefix}{path}, expecting 2xx JSON matching the schema. */
  async get<T>(
    path: string,
    query: Record<string, QueryValue>,
    schema: z.ZodType<T>,
    notFound?: NotFound,
    headers?: Record<string, string>,
  ): Promise<T> {
    const spec: HttpRequestSpec = { method: 'GET', path: API_PREFIX + path, query, headers };
    const response = await this.call(spec);
    if (response.status < 200 || response.status >= 300) throw this.statusError(spec, response, notFound);
    return this.http.parse(spec, response, schema);
  }

  /** Sends a request with authentication; the caller handles the status. Never retried unless `spec.retry`. */
  async call(spec: HttpRequestSpec): Promise<HttpResponse> {
    const used = await this.authHeaders();
    let response = await this.http.send({ ...spec, headers: { ...(spec.headers ?? {}), ...used.headers } });
    if ((response.status === 401 || response.status === 403) && this.config.auth.kind === 'basic') {
      // 401 "Token Expired" / 403 "Invalid JWT token": exchange the credentials again, once, then retry.
      await this.refreshToken(used.token);
      const fresh = await this.authHeaders();
      response = await this.http.send({ ...spec, headers: { ...(spec.headers ?? {}), ...fresh.headers } });
    }
    if (response.status === 401 || response.status === 403) throw this.authError(response);
    return response;
  }

  /** Status → MonitorError for the Airflow API (404 phrased by the caller). */
  statusError(spec: HttpRequestSpec, response: HttpResponse, notFound?: NotFound): MonitorError {
    if (response.status === 401 || response.status === 403) return this.authError(response);
    if (response.status === 404 && notFound) {
      return new MonitorError('not_found', `${this.name}: ${notFound.message}`, {
        orchestrator: this.name,
        hint: notFound.hint,
      });
    }
    return this.http.statusError(spec, response);
  }

  /**
   * Offset pagination by the number of items actually returned (the server caps `limit` silently),
   * until total_entries, an empty page, `maxItems` or `maxPages`.
   */
  async paginate<P extends { total_entries: number }, T>(
    path: string,
    query: Record<string, QueryValue>,
    schema: z.ZodType<P>,
    itemsOf: (page: P) => T[],
    options: PaginateOptions<T> = {},
  ): Promise<Page<T>> {
    const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const seen = options.key ? new Set<string>() : null;
    const items: T[] = [];
    let offset = 0;
    let pages = 0;
    let total: number | null = null;
    let exhausted = false;
    let rejected = 0;
    while (pages < maxPages && items.length < maxItems) {
      const limit = Math.max(1, Math.min(PAGE_SIZE, maxItems - items.length));
      const page = await this.get(path, { ...query, limit, offset }, schema, options.notFound);
      pages++;
      const got = itemsOf(page);
      total = page.total_entries;
      let consumed = 0;
      for (const item of got) {
        if (items.length >= maxItems) break;
        consumed++;
        if (options.accept && !options.accept(item)) {
          rejected++;
          continue;
        }
        if (seen && options.key) {
          const key = options.key(item);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        items.push(item);
      }
      offset += got.length;
      if (got.length === 0 || offset >= total) {
        exhausted = consumed === got.length;
        break;
      }
    }
    const truncated = !exhausted && items.length < maxItems && (total === null || offset < total);
    return { items, total, truncated, exhausted, rejected, pages };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async authHeaders(): Promise<{ headers: Record<string, string>; token: string | null }> {
    const auth = this.config.auth;
    if (auth.kind === 'none') return { headers: {}, token: null };
    if (auth.kind === 'token')
      return { headers: { authorization: `Bearer ${auth.token}` }, token: auth.token };
    const token = await this.currentToken();
    return { headers: { authorization: `Bearer ${token}` }, token };
  }

  private currentToken(): Promise<string> {
    if (this.token !== null) return Promise.resolve(this.token);
    if (this.tokenRequest === null) {
      // Concurrent callers share one exchange.
      this.tokenRequest = this.exchangeToken()
        .then((token) => {
          this.token = token;
          return token;
        })
        .finally(() => {
          this.tokenRequest = null;
        });
    }
    return this.tokenRequest;
  }

  /** Drops the token that was rejected (unless another caller already replaced it) and gets a new one. */
  private async refreshToken(rejected: string | null): Promise<void> {
    if (this.token !== null && this.token === rejected) this.token = null;
    await this.currentToken();
  }

  private async exchangeToken(): Promise<string> {
    const auth = this.config.auth;
    if (auth.kind !== 'basic') throw new Error('token exchange needs basic credentials');
    const spec: HttpRequestSpec = {
      method: 'POST',
      path: '/auth/token',
      json: { username: auth.username, password: auth.password },
      retry: true, // creates nothing: safe to repeat
      maxResponseBytes: 1024 * 1024,
    };
    const response = await this.http.send(spec);
    if (response.status === 200 || response.status === 201) {
      const body = this.http.parse(spec, response, TokenResponseSchema);
      const token = body.access_token ?? body.jwt_token ?? '';
      this.http.addSecret(token);
      return token;
    }
    if ([400, 401, 403, 422].includes(response.status)) throw this.authError(response);
    if (response.status === 404 || response.status === 405) {
      return Promise.reject(
        new MonitorError(
          'auth',
          `${this.name}: ${this.http.host} has no Airflow 3 token endpoint (POST /auth/token answered HTTP ${response.status}).`,
          {
            orchestrator: this.name,
            hint: `check that ${this.name}'s url is the Airflow 3 API server; with another auth manager configure a token instead of a username/password`,
          },
        ),
      );
    }
    throw this.http.statusError(spec, response);
  }

  private authError(response: HttpResponse): MonitorError {
    const detail = this.http.detailOf(response);
    const credentialProblem =
      response.status === 401 ||
      response.status === 400 ||
      response.status === 422 ||
      (detail !== null && /token|jwt|credential|authenticat|password/i.test(detail));
    const kind = this.config.auth.kind;
    const who =
      kind === 'token'
        ? 'token'
        : kind === 'basic'
          ? 'username/password'
          : 'credentials (none are configured)';
    if (credentialProblem) {
      return new MonitorError(
        'auth',
        `${this.name}: Airflow rejected the credentials (HTTP ${response.status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint: `check the ${who} configured for ${this.name}` },
      );
    }
    return new MonitorError(
      'auth',
      `${this.name}: Airflow refused access (HTTP ${response.status})${detail ? `: ${detail}` : ''}.`,
      {
        orchestrator: this.name,
        hint: `the account configured for ${this.name} lacks the Airflow permission for this action; check its role, or the ${who}`,
      },
    );
  }
}
