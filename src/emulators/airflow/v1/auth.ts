import type { Context } from 'hono';
import type { EmulatorContext, Env } from '../context.js';
import { permissionDenied, unauthenticated } from './errors.js';

/** `/api/v1` routes with `security: []` in the spec. */
const PUBLIC = new Set(['/api/v1/version', '/api/v1/health']);

export function isPublicV1(path: string): boolean {
  return PUBLIC.has(path);
}

/**
 * The `[api] auth_backends` of a typical Airflow 2: FAB's basic_auth (HTTP Basic against the users), and,
 * as managed services and proxies do, fixed Bearer tokens. Anything else is a 401 with
 * `WWW-Authenticate: Basic`. Returns the user.
 */
export function authenticateV1(ctx: EmulatorContext, c: Context<Env>): string {
  const header = c.req.header('authorization')?.trim() ?? '';
  const basic = /^basic\s+(\S+)$/i.exec(header);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      const user = ctx.users.find((u) => u.username === username && u.password === password);
      if (user) return user.username;
    }
  }
  const bearer = /^bearer\s+(\S+)$/i.exec(header);
  if (bearer?.[1] && ctx.staticTokens.includes(bearer[1])) return 'admin';
  throw unauthenticated();
}

export type Access = 'read' | 'write';

/** Authenticates, then checks the user may do this (a viewer may only read: 403 otherwise). */
export function authorizeV1(ctx: EmulatorContext, c: Context<Env>, access: Access): string {
  const username = authenticateV1(ctx, c);
  c.set('user', username);
  const role = ctx.users.find((u) => u.username === username)?.role ?? 'admin';
  if (access === 'write' && role === 'viewer') throw permissionDenied();
  return username;
}
