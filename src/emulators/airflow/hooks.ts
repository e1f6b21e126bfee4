import type { Context, Hono } from 'hono';
import type { Env } from './context.js';

/** What a request looks like to `latencyMs` and `faults` callbacks. */
export interface RequestInfo {
  method: string;
  /** As received (percent-encoding kept), without the query. */
  path: string;
}

export interface FaultRequest extends RequestInfo {
  /** Without the leading `?`. */
  query: string;
}

/** A reply the server gives instead of the real route's (a hostile upstream: 500, HTML, broken JSON…). */
export interface FaultResponse {
  status: number;
  body: string;
  /** Default `application/json`. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  /** As received (percent-encoding kept), without the query. */
  path: string;
  /** Without the leading `?`. */
  query: string;
  status: number;
}

export type Latency = number | ((req: RequestInfo) => number);
export type Faults = (req: FaultRequest) => FaultResponse | null;

export interface RequestHooks {
  record: (r: RecordedRequest) => void;
  latencyMs?: Latency;
  faults?: Faults;
}

/** How one API version authenticates a request: throws its own 401/403, or returns the user. */
export interface Gate {
  /** Routes that need no credentials (version, health, token endpoints). */
  isPublic: (path: string) => boolean;
  authenticate: (c: Context<Env>) => string;
}

function latencyOf(latency: Latency | undefined, req: RequestInfo): number {
  const ms = typeof latency === 'function' ? latency(req) : (latency ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * Installs, before any route: the latency, the request record (with the final status), and fault
 * injection. A fault is answered after authentication (so a bad credential still gets the real 401)
 * and replaces whatever route, known or not, the request was for.
 */
export function installRequestHooks(app: Hono<Env>, hooks: RequestHooks, gate: Gate): void {
  app.use('*', async (c, next) => {
    const url = new URL(c.req.url);
    const req = { method: c.req.method, path: url.pathname };
    const delay = latencyOf(hooks.latencyMs, req);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    await next();
    hooks.record({ ...req, query: url.search.slice(1), status: c.res.status });
  });
  // A separate middleware, so that an authentication error thrown here reaches onError before the record.
  app.use('*', async (c, next) => {
    if (!hooks.faults) return next();
    const url = new URL(c.req.url);
    const fault = hooks.faults({ method: c.req.method, path: url.pathname, query: url.search.slice(1) });
    if (!fault) return next();
    if (!gate.isPublic(url.pathname)) c.set('user', gate.authenticate(c));
    return new Response(fault.body, {
      status: fault.status,
      headers: { 'content-type': fault.contentType ?? 'application/json', ...fault.headers },
    });
  });
}
