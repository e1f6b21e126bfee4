import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { FaultPlan } from '../faults/index.js';
import { Hono } from 'hono';
import type { Context, MiddlewareHandler } from 'hono';
import type { World } from '../world/index.js';
import { HttpError, ValidationFailure } from './errors.js';
import { uuidFrom } from './ids.js';
import { registerRoutes } from './routes.js';
import { PrefectWorld } from './translate.js';

export interface PrefectFault {
  /** Only requests with this method (default: any). */
  method?: string;
  /** The path below the API URL, e.g. `/deployments/filter` (exact), or a RegExp. */
  path: string | RegExp;
  /** How many matching requests it applies to (default: every one). */
  times?: number;
  /** Answer with this instead of the real response. */
  respond?: { status: number; body?: string; headers?: Record<string, string> };
  /** Or change the JSON of the real (2xx) response, e.g. drop a required field. */
  mutate?: (body: unknown) => unknown;
}

export interface PrefectEmulatorOptions {
  world: World;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** When set, like Prefect Cloud: `Authorization: Bearer <one of these>` is required (401 otherwise). */
  apiKeys?: string[];
  /** When set, like a self-hosted server with PREFECT_SERVER_API_AUTH_STRING: Basic auth is required. */
  basicAuth?: { username: string; password: string };
  /** Added to every request. Default 0. */
  latencyMs?: number;
  /** Hostile answers; also reachable (and changeable) as `emulator.faults`. */
  faults?: PrefectFault[];
  /** Serve under `/api/accounts/<uuid>/workspaces/<uuid>` (Prefect Cloud) instead of `/api`. */
  cloudPath?: boolean;
  /** Transport faults (5xx, Retry-After, hangs, resets, broken bodies); default: a fresh, empty plan. */
  httpFaults?: FaultPlan;
}

export interface RecordedRequest {
  method: string;
  /** As received, without the query. */
  path: string;
  /** The path below the API URL (`/flow_runs/filter`). */
  apiPath: string;
  query: string;
  status: number;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: unknown;
  /** The Content-Length header as sent, or null. */
  contentLength: string | null;
  /** The scheme of the Authorization header (`Bearer`, `Basic`), or null when absent. */
  authScheme: string | null;
}

export interface PrefectEmulator {
  /** The API URL, as PREFECT_API_URL: `http://127.0.0.1:PORT/api` (or the Cloud-style workspace URL). */
  url: string;
  requests: RecordedRequest[];
  resetRequests(): void;
  world: World;
  /** The translated view (flows, deployments, flow and task runs) the emulator serves. */
  prefect: PrefectWorld;
  /** The active faults; push, splice or clear at any time. */
  faults: PrefectFault[];
  close(): Promise<void>;
  /** Transport faults in front of the API; add rules at any time. */
  httpFaults: FaultPlan;
}

export const CLOUD_ACCOUNT_ID = uuidFrom('cloud', 'account');
export const CLOUD_WORKSPACE_ID = uuidFrom('cloud', 'workspace');

function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof HttpError) return c.json(err.body, err.status as 400, err.headers);
  if (err instanceof ValidationFailure) return c.json({ detail: err.issues }, 422);
  console.error('prefect emulator: unhandled error', err);
  return c.json({ exception_message: 'Internal Server Error' }, 500);
}

function authMiddleware(options: PrefectEmulatorOptions): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (options.apiKeys && options.apiKeys.length > 0) {
      if (!header) return c.json({ detail: 'Not authenticated' }, 401);
      const [scheme, key] = header.split(/\s+/, 2);
      if (scheme?.toLowerCase() !== 'bearer' || !key || !options.apiKeys.includes(key)) {
        return c.json({ detail: 'Invalid authentication credentials' }, 401);
      }
      return next();
    }
    if (options.basicAuth) {
      // Prefect's token_validation middleware: everything but /api/health and /api/ready.
      const sub = c.req.path.replace(/^.*?\/api/, '');
      if (sub === '/health' || sub === '/ready') return next();
      const expected = `${options.basicAuth.username}:${options.basicAuth.password}`;
      const [scheme, creds] = (header ?? '').split(/\s+/, 2);
      const decoded = scheme === 'Basic' && creds ? Buffer.from(creds, 'base64').toString('utf8') : null;
      if (decoded !== expected) return c.json({ exception_message: 'Unauthorized' }, 401);
    }
    return next();
  };
}

/** The Hono app speaking Prefect 3's REST API (the parts a monitor uses) over the given world. */
export function createPrefectApp(
  pw: PrefectWorld,
  options: PrefectEmulatorOptions,
  prefix: string,
  faults: PrefectFault[],
  record: (r: RecordedRequest) => void,
): Hono {
  const app = new Hono();
  const latencyMs = options.latencyMs ?? 0;
  app.use('*', async (c, next) => {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const url = new URL(c.req.url);
    const text = c.req.method === 'GET' || c.req.method === 'HEAD' ? '' : await c.req.text();
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = undefined;
    }
    await next();
    record({
      method: c.req.method,
      path: url.pathname,
      apiPath: url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname,
      query: url.search.slice(1),
      status: c.res.status,
      body,
      contentLength: c.req.header('content-length') ?? null,
      authScheme: c.req.header('authorization')?.split(/\s+/)[0] ?? null,
    });
  });

  // Hostile answers, before anything else.
  app.use(`${prefix}/*`, async (c, next) => {
    const apiPath = c.req.path.slice(prefix.length);
    const fault = faults.find(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === c.req.method) &&
        (typeof f.path === 'string' ? f.path === apiPath : f.path.test(apiPath)) &&
        (f.times === undefined || f.times > 0),
    );
    if (!fault) return next();
    if (fault.times !== undefined) fault.times--;
    if (fault.respond) {
      return new Response(fault.respond.body ?? '', {
        status: fault.respond.status,
        headers: { 'content-type': 'application/json', ...(fault.respond.headers ?? {}) },
      });
    }
    await next();
    if (fault.mutate && c.res.status >= 200 && c.res.status < 300) {
      const original = (await c.res.json()) as unknown;
      c.res = new Response(JSON.stringify(fault.mutate(original)), {
        status: c.res.status,
        headers: { 'content-type': 'application/json' },
      });
    }
  });

  app.use(`${prefix}/*`, authMiddleware(options));

  if (options.cloudPath) {
    // Prefect Cloud refuses writes without a Content-Length (411).
    app.use(`${prefix}/*`, async (c, next) => {
      if (['POST', 'PUT', 'PATCH'].includes(c.req.method) && !c.req.header('content-length')) {
        return c.json({ detail: 'Length Required' }, 411);
      }
      return next();
    });
  }

  const api = new Hono();
  registerRoutes(api, pw);
  // Known paths answer other methods with 405, as FastAPI does.
  for (const path of new Set(api.routes.map((r) => r.path).filter((p) => p !== '/*' && p !== '*'))) {
    api.all(path, (c) => c.json({ detail: 'Method Not Allowed' }, 405));
  }
  api.onError(errorResponse);
  app.route(prefix, api);
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  app.onError(errorResponse);
  return app;
}

export async function startPrefectEmulator(options: PrefectEmulatorOptions): Promise<PrefectEmulator> {
  const pw = new PrefectWorld(options.world);
  const prefix = options.cloudPath
    ? `/api/accounts/${CLOUD_ACCOUNT_ID}/workspaces/${CLOUD_WORKSPACE_ID}`
    : '/api';
  const requests: RecordedRequest[] = [];
  const faults = options.faults ?? [];
  const app = createPrefectApp(pw, options, prefix, faults, (r) => requests.push(r));
  const httpFaults = options.httpFaults ?? new FaultPlan();
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: httpFaults.wrap(app.fetch), hostname: host, port: options.port ?? 0 }, () =>
      resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}${prefix}`,
    requests,
    httpFaults,
    resetRequests: () => void requests.splice(0),
    world: options.world,
    prefect: pw,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpFaults.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
