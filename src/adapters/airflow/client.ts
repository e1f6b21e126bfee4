import { secretsOf, type OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import {
  HttpClient,
  resilienceOptions,
  type HttpRequestSpec,
  type HttpResponse,
  type HttpStreamHandler,
  type HttpStreamOutcome,
  type HttpStreamSpec,
} from '../http/index.js';
import { basicCredentials, JwtSession, NoAuth, StaticAuth, type AirflowAuth } from './auth.js';
import type { AirflowDialect, ItemRequest, ListRequest } from './dialect.js';
import { TokenResponseSchema } from './v2/schemas.js';

/**
 * HTTP access to one Airflow deployment, whichever API it speaks: authentication (per the dialect), request
 * helpers that map statuses onto MonitorError, and pagination of any listing a dialect describes.
 */

/** What we ask for per page; GET listings may silently return fewer (the server's maximum_page_limit). */
export const PAGE_SIZE = 100;
/** Default bound on pages followed for one listing. */
export const DEFAULT_MAX_PAGES = 200;

export interface AirflowClientOptions {
  /** Retries of idempotent requests after the first attempt (default 2). */
  maxRetries?: number;
  retryInitialDelayMs?: number;
  /** Largest response body accepted (default 32 MiB); larger answers are an upstream_error. */
  maxResponseBytes?: number;
  /** The clock used for token expiry (ms since the epoch). Default Date.now. */
  now?: () => number;
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
  /** Items per page requested (default PAGE_SIZE; never 0, which Airflow reads as "the default"). */
  pageSize?: number;
  notFound?: NotFound;
  /** Items whose key was already seen (rows shifting between pages) are dropped. */
  key?: (item: T) => string;
  /** Client-side filter applied before counting toward `maxItems`. */
  accept?: (item: T) => boolean;
  /** Called with each page's kept items; returning true stops the listing (the caller has what it needs). */
  onPage?: (items: readonly T[]) => boolean;
}

export class AirflowClient {
  readonly http: HttpClient;
  readonly name: string;
  private readonly config: OrchestratorConfig;
  private readonly now: () => number;
  private auth: AirflowAuth = new NoAuth();
  private dialectInUse: AirflowDialect | null = null;

  constructor(config: OrchestratorConfig, options: AirflowClientOptions = {}) {
    this.config = config;
    this.name = config.name;
    this.now = options.now ?? Date.now;
    const secrets = secretsOf(config);
    if (config.auth.kind === 'basic')
      secrets.push(basicCredentials(config.auth.username, config.auth.password));
    this.http = new HttpClient({
      name: config.name,
      product: 'Airflow',
      baseUrl: config.url,
      timeoutMs: config.timeout_ms,
      headers: config.headers,
      secrets,
      ...resilienceOptions(config.resilience),
      ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      retryInitialDelayMs: options.retryInitialDelayMs,
      maxResponseBytes: options.maxResponseBytes,
      tls: { caPem: config.tls?.ca_pem ?? null, verify: config.tls?.verify !== false },
    });
  }

  get dialect(): AirflowDialect | null {
    return this.dialectInUse;
  }

  /**
   * Speaks this API from now on: its authentication and its error bodies. `token`: a JWT already obtained
   * from this server (see `tryTokenExchange`).
   */
  use(dialect: AirflowDialect, token?: string): void {
    this.dialectInUse = dialect;
    this.http.setDetailExtractor((body) => dialect.errorDetail(body));
    const auth = this.config.auth;
    if (auth.kind === 'none') this.auth = new NoAuth();
    else if (auth.kind === 'token') this.auth = StaticAuth.bearer(auth.token);
    else if (dialect.passwordAuth === 'basic') this.auth = StaticAuth.basic(auth.username, auth.password);
    else {
      const session = new JwtSession(() => this.exchangeToken(), this.now);
      if (token !== undefined) session.seed(token);
      this.auth = session;
    }
  }

  /**
   * The Airflow 3 token exchange as a probe: a JWT when the server issued one for the configured
   * username/password, null for any other answer (no such endpoint, rejected, not JSON). Only a connection
   * failure rejects.
   */
  async tryTokenExchange(): Promise<string | null> {
    const auth = this.config.auth;
    if (auth.kind !== 'basic') return null;
    const spec = this.tokenRequest(auth.username, auth.password);
    let response: HttpResponse;
    try {
      response = await this.http.send(spec);
    } catch (error) {
      if (error instanceof MonitorError && error.kind === 'upstream_error') return null; // e.g. an oversized page
      throw error;
    }
    if (response.status !== 200 && response.status !== 201) return null;
    try {
      const body = this.http.parse(spec, response, TokenResponseSchema);
      const token = body.access_token ?? body.jwt_token ?? '';
      this.http.addSecret(token);
      return token.length > 0 ? token : null;
    } catch {
      return null;
    }
  }

  /**
   * An unauthenticated GET for API detection (Airflow's /version needs no credentials); a static token is
   * sent all the same, for proxies in front of the API. Resolves with any status.
   */
  probe(path: string): Promise<HttpResponse> {
    const auth = this.config.auth;
    const headers = auth.kind === 'token' ? { authorization: `Bearer ${auth.token}` } : undefined;
    return this.http.send({ method: 'GET', path, headers, maxResponseBytes: 64 * 1024 });
  }

  /**
   * One read expecting a 2xx JSON answer matching the schema; retried like any read, also when it is a POST
   * (the cross-DAG listings). Writes go through `call`, which never retries unless told.
   */
  async item<T>(request: ItemRequest<T>, notFound?: NotFound): Promise<T> {
    const spec: HttpRequestSpec = {
      method: request.method,
      path: request.path,
      query: request.query,
      json: request.json,
      headers: request.headers,
      retry: true,
    };
    const response = await this.call(spec);
    if (response.status < 200 || response.status >= 300) throw this.statusError(spec, response, notFound);
    return this.http.parse(spec, response, request.schema);
  }

  /** Sends a request with authentication; the caller handles the status. Never retried unless `spec.retry`. */
  async call(spec: HttpRequestSpec): Promise<HttpResponse> {
    const used = await this.auth.headers();
    let response = await this.http.send({ ...spec, headers: { ...(spec.headers ?? {}), ...used.headers } });
    // 401 "Token Expired" / 403 "Invalid JWT token": a renewable credential is renewed once, then retried.
    if ((response.status === 401 || response.status === 403) && (await this.auth.renew(used.credential))) {
      const fresh = await this.auth.headers();
      response = await this.http.send({ ...spec, headers: { ...(spec.headers ?? {}), ...fresh.headers } });
    }
    if (response.status === 401 || response.status === 403) throw this.authError(response);
    return response;
  }

  /**
   * `call` for a request whose 2xx answer may be streamed into the handler: the same authentication, the
   * same single renewal of a rejected credential (an answer that is not streamed is read whole first), and
   * 401/403 thrown as auth errors. Other statuses are the caller's.
   */
  async stream(spec: HttpStreamSpec, handler: HttpStreamHandler): Promise<HttpStreamOutcome> {
    const used = await this.auth.headers();
    let outcome = await this.http.stream(
      { ...spec, headers: { ...(spec.headers ?? {}), ...used.headers } },
      handler,
    );
    const rejected = (o: HttpStreamOutcome) =>
      !o.streamed && (o.response.status === 401 || o.response.status === 403);
    if (rejected(outcome) && (await this.auth.renew(used.credential))) {
      const fresh = await this.auth.headers();
      outcome = await this.http.stream(
        { ...spec, headers: { ...(spec.headers ?? {}), ...fresh.headers } },
        handler,
      );
    }
    if (!outcome.streamed && rejected(outcome)) throw this.authError(outcome.response);
    return outcome;
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
   * Offset pagination of a dialect's listing, by the number of items actually returned (GET listings cap
   * `limit` silently), until total_entries, an empty page, `maxItems`, `maxPages` or `onPage` says stop.
   */
  async paginate<T>(request: ListRequest<T>, options: PaginateOptions<T> = {}): Promise<Page<T>> {
    const maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
    const maxPages = request.paging === 'none' ? 1 : (options.maxPages ?? DEFAULT_MAX_PAGES);
    const pageSize = Math.max(1, Math.floor(options.pageSize ?? PAGE_SIZE));
    const seen = options.key ? new Set<string>() : null;
    const items: T[] = [];
    let offset = 0;
    let pages = 0;
    let total: number | null = null;
    let exhausted = false;
    let rejected = 0;
    while (pages < maxPages && items.length < maxItems) {
      const limit = Math.max(1, Math.min(pageSize, maxItems - items.length));
      const page = await this.item(this.pageRequest(request, limit, offset), options.notFound);
      pages++;
      const got = page.items;
      total = page.total;
      let consumed = 0;
      const kept: T[] = [];
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
        kept.push(item);
      }
      const stop = options.onPage?.(kept) ?? false;
      offset += got.length;
      if (got.length === 0 || offset >= total) {
        exhausted = consumed === got.length;
        break;
      }
      // An endpoint without paging answered fewer than its total: there is no way to ask for the rest.
      if (request.paging === 'none' || stop) break;
    }
    const truncated = !exhausted && items.length < maxItems && (total === null || offset < total);
    return { items, total, truncated, exhausted, rejected, pages };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private pageRequest<T>(
    request: ListRequest<T>,
    limit: number,
    offset: number,
  ): ItemRequest<{ items: T[]; total: number }> {
    if (request.paging === 'query') {
      return {
        method: request.method,
        path: request.path,
        query: { ...(request.query ?? {}), limit, offset },
        schema: request.schema,
      };
    }
    if (request.paging === 'body') {
      return {
        method: request.method,
        path: request.path,
        query: request.query,
        json: { ...(request.body ?? {}), page_limit: limit, page_offset: offset },
        schema: request.schema,
      };
    }
    return {
      method: request.method,
      path: request.path,
      query: request.query,
      json: request.body,
      schema: request.schema,
    };
  }

  /** Airflow 3: POST /auth/token with the configured username/password → a JWT. */
  private async exchangeToken(): Promise<string> {
    const auth = this.config.auth;
    if (auth.kind !== 'basic') throw new Error('token exchange needs basic credentials');
    const spec = this.tokenRequest(auth.username, auth.password);
    const response = await this.http.send(spec);
    if (response.status === 200 || response.status === 201) {
      const body = this.http.parse(spec, response, TokenResponseSchema);
      const token = body.access_token ?? body.jwt_token ?? '';
      this.http.addSecret(token);
      return token;
    }
    if ([400, 401, 403, 422].includes(response.status)) throw this.authError(response);
    if (response.status === 404 || response.status === 405) {
      throw new MonitorError(
        'auth',
        `${this.name}: ${this.http.host} has no Airflow 3 token endpoint (POST /auth/token answered HTTP ${response.status}).`,
        {
          orchestrator: this.name,
          hint: `check that ${this.name}'s url is the Airflow 3 API server; with another auth manager configure a token instead of a username/password`,
        },
      );
    }
    throw this.http.statusError(spec, response);
  }

  private tokenRequest(username: string, password: string): HttpRequestSpec {
    return {
      method: 'POST',
      path: '/auth/token',
      json: { username, password },
      retry: true, // creates nothing: safe to repeat
      maxResponseBytes: 1024 * 1024,
    };
  }

  authError(response: HttpResponse): MonitorError {
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
