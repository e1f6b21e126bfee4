import { createServer as createNodeServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { authConfigured, HTTP_DEFAULTS, NO_AUTH, type Settings } from '../config/settings.js';
import { Drain, opensSubscription } from '../mcp/http/drain.js';
import { createFrontDoor, MCP_PATH, type Admission } from '../mcp/http/front-door.js';
import { isLoopbackHost, urlHost, type ListenAddress } from '../mcp/http/listen-address.js';
import { createMcpHttpHandler } from '../mcp/http/mcp-handler.js';
import { RateLimiter } from '../mcp/http/rate-limit.js';
import { createRequestGuard } from '../mcp/http/request-guard.js';
import { createTokenVerifier } from '../mcp/http/token-verifier.js';
import type { MonitorService } from '../service/monitor-service.js';
import { VERSION } from './version.js';

export interface HttpServer {
  /** Where this server listens, e.g. http://127.0.0.1:8080/mcp. */
  url: string;
  /** readyz turns 503, new calls are refused, calls in flight finish (up to the drain timeout), then it closes. */
  shutdown(reason: string): Promise<void>;
}

/** Beyond loopback only with authentication, and with the public URL that tokens and clients name. */
export function assertListenable(listen: ListenAddress, settings: Settings): void {
  if (isLoopbackHost(listen.host)) return;
  if (!authConfigured(settings.auth ?? NO_AUTH)) {
    throw new ConfigError(
      '--http',
      `refusing to listen on ${listen.host} (not a loopback address) without authentication: configure auth.tokens or auth.oauth (README, "Team deployment"), or listen on 127.0.0.1`,
    );
  }
  if (!(settings.http ?? HTTP_DEFAULTS).public_url) {
    throw new ConfigError(
      'http.public_url',
      'is required when listening beyond loopback: the URL clients use for the MCP endpoint, e.g. https://pipelines.example.com/mcp',
    );
  }
}

/**
 * Serves MCP over streamable HTTP at /mcp, with /healthz, /readyz and the OAuth protected-resource
 * metadata. Refuses to listen beyond loopback without authentication.
 */
export async function startHttpServer(
  service: MonitorService,
  settings: Settings,
  listen: ListenAddress,
  logger: Logger,
): Promise<HttpServer> {
  assertListenable(listen, settings);
  const http = settings.http ?? HTTP_DEFAULTS;
  const auth = settings.auth ?? NO_AUTH;

  const drain = new Drain();
  const mcp = createMcpHttpHandler(service, { version: VERSION, logger, maxBodyBytes: http.max_body_bytes });
  const nodeOptions = {
    maxRequestBodySize: http.max_body_bytes,
    onerror: (error: Error) => logger.error({ err: error }, 'MCP over HTTP failed'),
  };
  let frontDoor: ((request: Request) => Promise<Admission>) | null = null;

  const server = createNodeServer((req, res) => {
    const started = Date.now();
    res.once('finish', () =>
      logger.debug(
        { method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - started },
        'http request',
      ),
    );
    void handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'HTTP request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Longer than a load balancer's idle timeout (60 s on the common ones), so it never reuses a closed socket.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let request: Request;
    try {
      request = headersOnly(req);
    } catch {
      return send(res, Response.json({ error: 'bad_request' }, { status: 400 }));
    }
    if (!frontDoor) return send(res, new Response(null, { status: 503 }));
    const admission = await frontDoor(request);
    if (admission.kind === 'refuse') return send(res, admission.response);
    drain.track(res);
    if (admission.authInfo) (req as IncomingMessage & { auth?: AuthInfo }).auth = admission.authInfo;
    // Per request, to see the buffered body: a subscription stream is not a call to wait for when draining.
    const serveMcp = toNodeHandler(
      {
        fetch: async (request, options) => {
          if (await opensSubscription(request)) drain.detach(res);
          return mcp.fetch(request, options);
        },
      },
      nodeOptions,
    );
    await serveMcp(req, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          '--http',
          `cannot listen on ${listen.host}:${listen.port} (${error.code ?? error.message})`,
        ),
      ),
    );
    server.listen(listen.port, listen.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(listen.host)}:${port}${MCP_PATH}`;
  const resource = new URL(http.public_url ?? url);
  frontDoor = createFrontDoor({
    auth,
    resource,
    guard: createRequestGuard(http, listen.host, resource),
    verifier: authConfigured(auth) ? createTokenVerifier(auth, resource, logger) : null,
    limiter: new RateLimiter(http.requests_per_minute),
    drain,
  });
  logger.info(
    {
      url,
      resource: resource.href,
      auth: [auth.tokens.length > 0 ? 'static tokens' : null, auth.oauth ? 'oauth' : null].filter(Boolean),
      orchestrators: settings.orchestrators.map((o) => `${o.name} (${o.type})`),
      triggers: settings.triggers.enabled,
      source: settings.source,
    },
    'pipeline-monitor-mcp serving MCP over HTTP',
  );

  return {
    url,
    async shutdown(reason) {
      logger.info({ reason, in_flight: drain.inFlight }, 'draining: readyz is 503, new calls are refused');
      const finished = await drain.drain(http.drain_timeout_ms);
      if (!finished) {
        logger.warn({ in_flight: drain.inFlight }, 'drain timeout: closing with calls still in flight');
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await mcp.close();
      logger.info('HTTP server closed');
    },
  };
}

/** Serves until SIGTERM or SIGINT, then drains; a second signal exits at once. */
export async function serveOverHttp(
  service: MonitorService,
  settings: Settings,
  listen: ListenAddress,
  logger: Logger,
): Promise<void> {
  const server = await startHttpServer(service, settings, listen, logger);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const force = (again: NodeJS.Signals) => {
    logger.warn({ signal: again }, 'second signal: exiting without waiting for calls in flight');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await server.shutdown(signal);
}

/** The request line and headers as a web Request, for the checks made before the body is read. */
function headersOnly(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return new Request(new URL(req.url ?? '/', 'http://localhost'), { method: req.method ?? 'GET', headers });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers).end(body);
}
