import type { Http2Bindings, HttpBindings } from '@hono/node-server';

/**
 * A programmable layer of transport faults in front of any emulator (Airflow, Dagster, Prefect): a request
 * matching a rule gets a broken answer instead of (or made out of) the real one — an error status or an HTML
 * error page, 429/503 with Retry-After in seconds or as an HTTP-date, a connection that is accepted and never
 * answered, a body cut by a connection reset, a 200 whose JSON is cut short, or the real body with invalid
 * UTF-8 bytes in it. Every faulted request is logged, with when its client gave up on a hung one.
 */

export type FaultKind =
  /** This status with a JSON `{detail}` body, or a proxy's HTML error page. */
  | { kind: 'status'; status: number; html?: boolean }
  /** 429 (or 503) with `Retry-After: <seconds>`, or as an HTTP-date `seconds` from now. */
  | { kind: 'retry-after'; status?: 429 | 503; seconds: number; format?: 'seconds' | 'date' }
  /** Accepts the request and never answers (until the client closes the connection). */
  | { kind: 'hang' }
  /** Sends the real status, headers and half the real body, then destroys the connection. */
  | { kind: 'reset' }
  /** The real status and headers with only the first half of the real body (malformed JSON). */
  | { kind: 'truncate' }
  /** The real answer with every occurrence of `needle` replaced by as many invalid UTF-8 bytes. */
  | { kind: 'invalid-utf8'; needle: string }
  /** The real answer, `ms` late. */
  | { kind: 'delay'; ms: number };

export interface FaultMatch {
  method?: string;
  /** The URL path as received: exact, or a RegExp tested against it. */
  path?: string | RegExp;
  /** Tested against the request body (e.g. a GraphQL operationName). */
  body?: RegExp;
}

export type FaultRule = FaultKind &
  FaultMatch & {
    /** How many matching requests it breaks (default: every one). */
    times?: number;
  };

export interface FaultHit {
  at: number;
  method: string;
  path: string;
  kind: FaultKind['kind'];
  /** When the client closed the connection of a hung request. */
  clientClosedAt?: number;
}

/** The emulators serve HTTP/1.1 only; the HTTP/2 bindings are in the type because `serve` declares them. */
type Bindings = HttpBindings | Http2Bindings;
type Fetch = (request: Request, env: Bindings) => Response | Promise<Response>;

const INVALID_UTF8 = [0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1];

export class FaultPlan {
  readonly rules: FaultRule[] = [];
  readonly hits: FaultHit[] = [];
  /** When each request arrived (faulted or not), in order; tests clear it. */
  readonly arrivals: { at: number; method: string; path: string }[] = [];
  private readonly hung = new Set<() => void>();

  /** Adds a rule (checked after those already there); returns it, so a test can remove it. */
  add(rule: FaultRule): FaultRule {
    this.rules.push(rule);
    return rule;
  }

  /** Removes every rule and answers every hung request's connection by closing it. */
  clear(): void {
    this.rules.splice(0);
    for (const release of this.hung) release();
  }

  /** Wraps an emulator's fetch handler (as given to @hono/node-server's `serve`). */
  wrap(fetch: Fetch): Fetch {
    return async (request, env) => {
      const url = new URL(request.url);
      this.arrivals.push({ at: Date.now(), method: request.method, path: url.pathname });
      const rule = await this.take(request);
      if (!rule) return fetch(request, env);
      const hit: FaultHit = { at: Date.now(), method: request.method, path: url.pathname, kind: rule.kind };
      this.hits.push(hit);
      switch (rule.kind) {
        case 'status':
          return rule.html
            ? new Response(htmlPage(rule.status), {
                status: rule.status,
                headers: { 'content-type': 'text/html' },
              })
            : Response.json({ detail: `injected fault: HTTP ${rule.status}` }, { status: rule.status });
        case 'retry-after': {
          const value =
            rule.format === 'date'
              ? new Date(Date.now() + rule.seconds * 1000).toUTCString()
              : String(rule.seconds);
          return Response.json(
            { detail: 'Rate limit exceeded' },
            { status: rule.status ?? 429, headers: { 'retry-after': value } },
          );
        }
        case 'hang':
          return this.hang(env, hit);
        case 'delay':
          await new Promise((resolve) => setTimeout(resolve, rule.ms));
          return fetch(request, env);
        case 'reset':
          return resetMidBody(await fetch(request, env), env);
        case 'truncate': {
          const real = await fetch(request, env);
          const bytes = new Uint8Array(await real.arrayBuffer());
          const headers = new Headers(real.headers);
          headers.delete('content-length');
          return new Response(bytes.subarray(0, Math.floor(bytes.length / 2)), {
            status: real.status,
            headers,
          });
        }
        case 'invalid-utf8': {
          const real = await fetch(request, env);
          const bytes = Buffer.from(await real.arrayBuffer());
          const headers = new Headers(real.headers);
          headers.delete('content-length');
          return new Response(replaceWithInvalidUtf8(bytes, rule.needle), { status: real.status, headers });
        }
      }
    };
  }

  /** The first rule matching the request, counted down and dropped when used up. */
  private async take(request: Request): Promise<FaultRule | null> {
    if (this.rules.length === 0) return null;
    const url = new URL(request.url);
    const needsBody = this.rules.some((r) => r.body);
    const body = needsBody && request.method !== 'GET' ? await request.clone().text() : '';
    const index = this.rules.findIndex(
      (r) =>
        (r.method === undefined || r.method.toUpperCase() === request.method) &&
        (r.path === undefined ||
          (typeof r.path === 'string' ? r.path === url.pathname : r.path.test(url.pathname))) &&
        (r.body === undefined || r.body.test(body)),
    );
    const rule = this.rules[index];
    if (!rule) return null;
    if (rule.times !== undefined) {
      rule.times--;
      if (rule.times <= 0) this.rules.splice(index, 1);
    }
    return rule;
  }

  /** Never answers; resolves (with nothing that reaches the client) once the connection is gone. */
  private hang(env: Bindings, hit: FaultHit): Promise<Response> {
    return new Promise((resolve) => {
      const socket = env.incoming.socket;
      const release = () => {
        this.hung.delete(release);
        socket.off('close', onClose);
        if (!socket.destroyed) socket.destroy();
        resolve(new Response(null, { status: 499 }));
      };
      const onClose = () => {
        hit.clientClosedAt = Date.now();
        release();
      };
      this.hung.add(release);
      if (socket.destroyed) onClose();
      else socket.once('close', onClose);
    });
  }
}

/** Real status and headers (with the full Content-Length), half the body, then the connection is destroyed. */
async function resetMidBody(real: Response, env: Bindings): Promise<Response> {
  const bytes = new Uint8Array(await real.arrayBuffer());
  const headers = new Headers(real.headers);
  headers.set('content-length', String(bytes.length));
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
        return;
      }
      // Once the first half is on its way: cut the connection, as a crashing proxy or server would.
      setTimeout(() => env.incoming.socket.destroy(), 20);
      return new Promise<void>(() => undefined);
    },
  });
  return new Response(body, { status: real.status, headers });
}

function replaceWithInvalidUtf8(bytes: Buffer, needle: string): Buffer {
  const target = Buffer.from(needle, 'utf8');
  const out = Buffer.from(bytes);
  if (target.length === 0) return out;
  let at = out.indexOf(target);
  while (at >= 0) {
    for (let i = 0; i < target.length; i++) out[at + i] = INVALID_UTF8[i % INVALID_UTF8.length] as number;
    at = out.indexOf(target, at + target.length);
  }
  return out;
}

function htmlPage(status: number): string {
  return `<!DOCTYPE html>\n<html><head><title>${status} Error</title></head><body><center><h1>${status} ${
    status === 502
      ? 'Bad Gateway'
      : status === 503
        ? 'Service Temporarily Unavailable'
        : 'Internal Server Error'
  }</h1></center><hr><center>nginx</center></body></html>\n`;
}
