import {
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import type { HttpSettings } from '../../config/settings.js';
import { isWildcardHost, urlHost } from './listen-address.js';

export interface RequestGuard {
  /** DNS-rebinding protection: a 403 unless the Host header names this server. */
  host(request: Request): Response | undefined;
  /** A browser page from another site: a 403 unless its Origin is allowed (no Origin is fine). */
  origin(request: Request): Response | undefined;
}

/**
 * Host names accepted: the loopback names, the public URL's host, the configured extra hosts, and the
 * bound address when it is a specific one. Origins: the loopback ones, the public URL's host, the
 * configured ones.
 */
export function createRequestGuard(http: HttpSettings, bindHost: string, resource: URL): RequestGuard {
  const hosts = new Set([
    ...localhostAllowedHostnames(),
    resource.hostname,
    ...http.allowed_hosts.map(urlHost),
    ...(isWildcardHost(bindHost) ? [] : [urlHost(bindHost)]),
  ]);
  const origins = new Set([...localhostAllowedOrigins(), resource.hostname, ...http.allowed_origins]);
  const hostList = [...hosts];
  const originList = [...origins];
  return {
    host: (request) => hostHeaderValidationResponse(request, hostList),
    origin: (request) => originValidationResponse(request, originList),
  };
}
