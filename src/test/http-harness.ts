import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, callTool, type ToolAnswer } from './mcp-harness.js';

export interface HttpCli {
  /** http://127.0.0.1:PORT/mcp */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** SIGTERM (unless another signal is named) and the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns the built CLI serving HTTP (`--http 127.0.0.1:0` unless `args` say otherwise) and waits for the
 * startup line that names the bound address. Rejects with the server's stderr if it exits first.
 */
export async function startHttpCli(env: Record<string, string>, args: string[] = []): Promise<HttpCli> {
  const child = spawn(process.execPath, [CLI_PATH, '--http', '127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH ?? '', PIPELINE_MONITOR_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const found = /"url":"(http:\/\/[^"]+\/mcp)"[^\n]*serving MCP over HTTP/.exec(stderr);
      if (found?.[1]) resolve(found[1]);
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    child,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface HttpSession {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  token?: string;
  /** Speak the 2026-07-28 protocol instead of the 2025-era handshake. */
  modern?: boolean;
  /** Sees every HTTP exchange the client makes. */
  onResponse?: (response: Response) => void;
  /** Opens a `subscriptions/listen` stream (2026-07-28) for tool list changes, as long-lived clients do. */
  listen?: boolean;
  /** Declares form elicitation and answers every request with this. */
  elicit?: (
    message: string,
  ) => { action: 'accept'; content: Record<string, boolean> } | { action: 'decline' };
}

/** A real MCP client over streamable HTTP. */
export async function connectHttp(url: string, options: ConnectOptions = {}): Promise<HttpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(options.token ? { requestInit: { headers: { authorization: `Bearer ${options.token}` } } } : {}),
    ...(options.onResponse
      ? {
          fetch: async (input: string | URL, init?: RequestInit) => {
            const response = await fetch(input, init);
            options.onResponse?.(response);
            return response;
          },
        }
      : {}),
  });
  const client = new Client(
    { name: 'e2e-http-test', version: '1.0.0' },
    {
      ...(options.elicit ? { capabilities: { elicitation: { form: {} } } } : {}),
      ...(options.modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
      ...(options.listen ? { listChanged: { tools: { onChanged: () => undefined } } } : {}),
    },
  );
  const elicit = options.elicit;
  if (elicit) {
    client.setRequestHandler('elicitation/create', async (request) =>
      elicit(String((request.params as { message?: string }).message)),
    );
  }
  await client.connect(transport);
  return {
    client,
    call: (name, args = {}) => callTool(client, name, args),
    close: () => client.close(),
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP exchange with full control over the headers (Host included), on a fresh connection. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    // The server may answer (413, 401) and close before reading a large body.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    req.end(options.body);
  });
}

/** A 2025-era JSON-RPC POST to /mcp (stateless: no session needed). */
export function postJsonRpc(
  url: string,
  message: { method: string; params?: Record<string, unknown>; id?: number },
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: message.id ?? 1,
      method: message.method,
      params: message.params ?? {},
    }),
  });
}

/** The config file of `demoEnvironment` with extra top-level sections (http, auth, triggers overrides). */
export function extendConfig(
  env: Record<string, string>,
  extra: Record<string, unknown>,
): Record<string, string> {
  const base = JSON.parse(readFileSync(env.PIPELINE_MONITOR_CONFIG ?? '', 'utf8')) as Record<string, unknown>;
  const path = join(mkdtempSync(join(tmpdir(), 'pm-http-config-')), 'config.json');
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = merged[key];
    merged[key] =
      current && typeof current === 'object' && value && typeof value === 'object' && !Array.isArray(value)
        ? { ...current, ...value }
        : value;
  }
  writeFileSync(path, JSON.stringify(merged), { mode: 0o600 });
  return { ...env, PIPELINE_MONITOR_CONFIG: path };
}

export interface RecordedExchange {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  url: string;
  /** Every request as it reached the proxy: request line, headers and body. */
  seen: RecordedExchange[];
  close(): Promise<void>;
}

/** A loopback HTTP proxy in front of an emulator that keeps everything it was sent, headers included. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const seen: RecordedExchange[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString(),
      });
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname === '/' ? '' : upstream.pathname}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
