import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { FaultPlan } from '../faults/index.js';
import { Hono } from 'hono';
import type { World } from '../world/index.js';
import type { AirflowUser, EmulatorContext, Env } from './context.js';
import { HttpError, ValidationFailure } from './errors.js';
import { installRequestHooks } from './hooks.js';
import type { Faults, Latency, RecordedRequest, RequestHooks } from './hooks.js';
import { authenticateV2, authRoutes, isPublicV2, requireAuth } from './routes/auth.js';
import { dagRunRoutes } from './routes/dag-runs.js';
import { dagRoutes } from './routes/dags.js';
import { logRoutes } from './routes/logs.js';
import { metaRoutes } from './routes/meta.js';
import { runActionRoutes } from './routes/run-actions.js';
import { taskInstanceRoutes } from './routes/task-instances.js';
import { Signer } from './signer.js';
import { TokenIssuer } from './tokens.js';
import { createAirflowV1App } from './v1/app.js';

export type { RecordedRequest } from './hooks.js';

/** `v2`: Airflow 3's public API (`/api/v2`, JWT from `/auth/token`). `v1`: Airflow 2.10's stable API (`/api/v1`, HTTP Basic). */
export type AirflowApiVersion = 'v1' | 'v2';

export interface AirflowEmulatorOptions {
  world: World;
  /** Which Airflow to be. Default 'v2'. Each serves only its own API: the other prefix is a 404. */
  apiVersion?: AirflowApiVersion;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default [{ username: 'admin', password: 'admin' }]. */
  users?: AirflowUser[];
  /** Bearer tokens accepted as they are (as managed services issue them); never expire. */
  staticTokens?: string[];
  /** v2 JWT lifetime. Default 3600. */
  tokenTtlSeconds?: number;
  /** Added to every request, or per request (to model slow endpoints). Default 0. */
  latencyMs?: Latency;
  /**
   * Consulted for every request after the latency; a non-null answer is sent instead of the real route's
   * (after authentication, except on public routes) and the request is recorded with its status.
   */
  faults?: Faults;
  /** Airflow's [api] maximum_page_limit. Default 100. */
  maximumPageLimit?: number;
  /** Airflow 2's [api] fallback_page_limit (v1 `limit=0`). Default 100. */
  fallbackPageLimit?: number;
  /** Most bytes of log per log response. Default 64 KiB. */
  logChunkBytes?: number;
  /** Transport faults (5xx, Retry-After, hangs, resets, broken bodies); default: a fresh, empty plan. */
  httpFaults?: FaultPlan;
}

export interface AirflowEmulator {
  /** Base URL without /api/v2, e.g. http://127.0.0.1:PORT. */
  url: string;
  requests: RecordedRequest[];
  resetRequests(): void;
  world: World;
  /** Every JWT issued so far is rejected from now on with 401 "Token Expired". */
  expireAllTokens(): void;
  close(): Promise<void>;
  /** Transport faults in front of the API; add rules at any time. */
  httpFaults: FaultPlan;
}

/** The Hono app speaking Airflow 3.2's public API over the given context. */
export function createAirflowApp(
  ctx: EmulatorContext,
  record: (r: RecordedRequest) => void,
  hooks: number | Omit<RequestHooks, 'record'> = {},
): Hono<Env> {
  const app = new Hono<Env>();
  const options = typeof hooks === 'number' ? { latencyMs: hooks } : hooks;
  installRequestHooks(
    app,
    { ...options, record },
    { isPublic: isPublicV2, authenticate: (c) => authenticateV2(ctx, c) },
  );
  const auth = requireAuth(ctx);
  authRoutes(app, ctx);
  metaRoutes(app);
  dagRoutes(app, ctx, auth);
  dagRunRoutes(app, ctx, auth);
  taskInstanceRoutes(app, ctx, auth);
  runActionRoutes(app, ctx, auth);
  logRoutes(app, ctx, auth);
  // Known paths answer other methods with 405, as FastAPI does.
  for (const path of new Set(app.routes.map((r) => r.path).filter((p) => p !== '/*' && p !== '*'))) {
    app.all(path, (c) => c.json({ detail: 'Method Not Allowed' }, 405));
  }
  app.notFound((c) => c.json({ detail: 'Not Found' }, 404));
  app.onError((err, c) => {
    if (err instanceof HttpError) return c.json({ detail: err.detail }, err.status as 400, err.headers);
    if (err instanceof ValidationFailure) return c.json({ detail: err.issues }, 422);
    console.error('airflow emulator: unhandled error', err);
    return c.text('Internal Server Error', 500);
  });
  return app;
}

export async function startAirflowEmulator(options: AirflowEmulatorOptions): Promise<AirflowEmulator> {
  const secret = randomBytes(32).toString('hex');
  const staticTokens = options.staticTokens ?? [];
  const tokens = new TokenIssuer(secret, options.tokenTtlSeconds ?? 3600, staticTokens);
  const ctx: EmulatorContext = {
    world: options.world,
    tokens,
    signer: new Signer(secret),
    users: options.users ?? [{ username: 'admin', password: 'admin' }],
    staticTokens,
    maximumPageLimit: options.maximumPageLimit ?? 100,
    fallbackPageLimit: options.fallbackPageLimit ?? 100,
    logChunkBytes: options.logChunkBytes ?? 64 * 1024,
  };
  const requests: RecordedRequest[] = [];
  const record = (r: RecordedRequest) => void requests.push(r);
  const hooks = {
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.faults === undefined ? {} : { faults: options.faults }),
  };
  const app =
    options.apiVersion === 'v1'
      ? createAirflowV1App(ctx, { ...hooks, record })
      : createAirflowApp(ctx, record, hooks);
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
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    requests,
    httpFaults,
    resetRequests: () => void requests.splice(0),
    world: options.world,
    expireAllTokens: () => tokens.expireAll(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpFaults.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
