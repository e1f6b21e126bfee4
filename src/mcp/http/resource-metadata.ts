import {
  getOAuthProtectedResourceMetadataUrl,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/server';
import type { AuthSettings } from '../../config/settings.js';
import { SERVER_NAME } from '../create-server.js';
import { SUPPORTED_SCOPES } from './scopes.js';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** RFC 9728 metadata: where clients get tokens for this server, and which scopes it understands. */
export function protectedResourceMetadata(resource: URL, auth: AuthSettings): OAuthProtectedResourceMetadata {
  return {
    resource: resource.href,
    ...(auth.oauth ? { authorization_servers: auth.oauth.authorization_servers } : {}),
    scopes_supported: SUPPORTED_SCOPES,
    bearer_methods_supported: ['header'],
    resource_name: SERVER_NAME,
  };
}

/** The metadata URL advertised in `WWW-Authenticate` (the path-suffixed form of RFC 9728 §3.1). */
export function resourceMetadataUrl(resource: URL): string {
  return getOAuthProtectedResourceMetadataUrl(resource);
}

/**
 * Answers the well-known paths: the bare one, the one suffixed with `/mcp`, and the one suffixed with
 * the public URL's path (behind a proxy that serves this server under another path). Undefined otherwise.
 */
export function metadataResponse(
  request: Request,
  path: string,
  resource: URL,
  document: OAuthProtectedResourceMetadata,
): Response | undefined {
  const suffix = resource.pathname.replace(/\/$/, '');
  if (path !== WELL_KNOWN && path !== `${WELL_KNOWN}/mcp` && path !== `${WELL_KNOWN}${suffix}`) {
    return undefined;
  }
  const cors = { 'access-control-allow-origin': '*' };
  if (request.method === 'OPTIONS') {
    return new Response(null, { status: 204, headers: { ...cors, 'access-control-allow-methods': 'GET' } });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { allow: 'GET' } });
  }
  return Response.json(document, { headers: { ...cors, 'cache-control': 'max-age=300' } });
}
