import { createHash } from 'node:crypto';

/**
 * A 64-bit advisory lock key (as a decimal string for `$1::bigint`) for a name, namespaced so this
 * server's locks do not collide with another application's in the same database.
 */
export function advisoryKey(name: string): string {
  const hash = createHash('sha256').update(`pipeline-monitor-mcp\u0000${name}`).digest();
  return hash.readBigInt64BE(0).toString();
}
