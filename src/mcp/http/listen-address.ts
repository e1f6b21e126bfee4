import { isIP } from 'node:net';
import { ConfigError } from '../../config/config-error.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `--http PORT`, `--http HOST:PORT` or `--http [IPv6]:PORT`; host null for a bare port. */
export function parseListenAddress(value: string): { host: string | null; port: number } {
  const match = /^(?:\[([0-9a-f:.]+)\]:|([^:[\]]+):)?(\d{1,5})$/i.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigError('--http', 'expected [host:]port, e.g. 8080, 127.0.0.1:8080 or [::1]:8080');
  }
  return { host: match[1] ?? match[2] ?? null, port };
}

/** Only these are reachable from this machine alone; anything else (0.0.0.0, ::, a LAN address, a name) is not. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** The host as it appears in a URL or a Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) === 6 ? `[${bare}]` : bare.toLowerCase();
}

/** A wildcard bind (every interface) names no host a client would use. */
export function isWildcardHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === '0.0.0.0' || bare === '::' || bare === '0:0:0:0:0:0:0:0';
}
