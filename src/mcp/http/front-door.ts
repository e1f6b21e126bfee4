import { requireBearerAuth, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { authConfigured, type AuthSettings } from '../../config/settings.js';
import type { Drain } from './drain.js';
import { healthResponse, readinessResponse } from './health.js';
import { principalOf } from './principal.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestGuard } from './request-guard.js';
import { metadataResponse, protectedResourceMetadata, resourceMetadataUrl } from './resource-metadata.js';
import { READ_SCOPE } from './scopes.js';

export const MCP_PATH = '/mcp';

export type Admission =
  { kind: 'refuse'; response: Response } | { kind: 'mcp'; authInfo: AuthInfo | undefined };

export interface FrontDoorOptions {
  auth: AuthSettings;
  /** This server's public MCP endpoint: the OAuth resource. */
  resource: URL;
  guard: RequestGuard;
  /** Null when no auth is configured (loopback only). */
  verifier: OAuthTokenVerifier | null;
  limiter: RateLimiter;
  drain: Drain;
}

/**
 * Everything decided from the request line and headers alone, before the body is read: health probes,
 * Host and Origin, the protected-resource metadata, draining, the bearer token and its `pipelines:read`
 * scope, and the per-principal rate limit. Only an admitted request reaches the MCP handler, and so an
 * orchestrator.
 */
export function createFrontDoor(options: FrontDoorOptions): (request: Request) => Promise<Admission> {
  const { resource, guard, limiter, drain } = options;
  const metadata = protectedResourceMetadata(resource, options.auth);
  const metadataUrl = resourceMetadataUrl(resource);
  const gate =
    options.verifier && authConfigured(options.auth)
      ? requireBearerAuth({
          verifier: options.verifier,
          requiredScopes: [READ_SCOPE],
          resourceMetadataUrl: metadataUrl,
          expectedResource: resource,
        })
      : null;
  const refuse = (response: Response): Admission => ({ kind: 'refuse', response });

  return async (request) => {
    const path = new URL(request.url).pathname;
    // Probes come from the platform with whatever Host it uses (a pod IP): no Host check, nothing revealed.
    if (path === '/healthz') return refuse(healthResponse());
    if (path === '/readyz') return refuse(readinessResponse(drain.isDraining));

    const badHost = guard.host(request);
    if (badHost) return refuse(badHost);
    if (gate) {
      const served = metadataResponse(request, path, resource, metadata);
      if (served) return refuse(served);
    }
    if (path !== MCP_PATH) return refuse(Response.json({ error: 'not_found' }, { status: 404 }));
    const badOrigin = guard.origin(request);
    if (badOrigin) return refuse(badOrigin);
    if (drain.isDraining) {
      return refuse(
        jsonRpcError(503, 'The server is shutting down; retry (another replica will answer).', {
          'retry-after': '1',
          connection: 'close',
        }),
      );
    }

    let authInfo: AuthInfo | undefined;
    if (gate) {
      if (!request.headers.get('authorization')) {
        // No credentials at all: RFC 6750 §3.1 says no error code, just where to get a token.
        return refuse(
          Response.json(
            { error: 'invalid_token', error_description: 'Missing Authorization header' },
            {
              status: 401,
              headers: {
                'www-authenticate': `Bearer resource_metadata="${metadataUrl}", scope="${READ_SCOPE}"`,
              },
            },
          ),
        );
      }
      const verified = await gate(request);
      if (verified instanceof Response) return refuse(verified);
      authInfo = verified;
    }

    const principal = principalOf(authInfo)?.id ?? 'anonymous';
    const wait = limiter.take(principal);
    if (wait > 0) {
      return refuse(
        jsonRpcError(429, `Too many requests for ${principal}; retry in ${wait} s.`, {
          'retry-after': String(wait),
        }),
      );
    }
    return { kind: 'mcp', authInfo };
  };
}

function jsonRpcError(status: number, message: string, headers: Record<string, string>): Response {
  return Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status, headers });
}
