import type { Context, Hono, MiddlewareHandler } from 'hono';
import { validateBody, parseJsonBody } from '../body.js';
import type { EmulatorContext, Env } from '../context.js';
import { HttpError } from '../errors.js';

/** Routes of `/api/v2` (and the auth manager) that need no token. */
const PUBLIC = new Set(['/api/v2/version', '/api/v2/monitor/health', '/auth/token']);

export function isPublicV2(path: string): boolean {
  return PUBLIC.has(path);
}

/** Checks `Authorization: Bearer <JWT>` with Airflow 3's answers for each failure; returns the user. */
export function authenticateV2(ctx: EmulatorContext, c: Context<Env>): string {
  const header = c.req.header('authorization')?.trim() ?? '';
  const match = /^bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new HttpError(401, 'Not authenticated', { 'WWW-Authenticate': 'Bearer' });
  const check = ctx.tokens.check(match[1]);
  if (!check.ok) {
    throw check.reason === 'expired'
      ? new HttpError(401, 'Token Expired')
      : new HttpError(403, 'Invalid JWT token');
  }
  return check.username;
}

/** `Authorization: Bearer <JWT>` on every protected route. */
export function requireAuth(ctx: EmulatorContext): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set('user', authenticateV2(ctx, c));
    await next();
  };
}

/** The simple auth manager's `POST /auth/token` (JSON or form body) → 201 {"access_token": JWT}. */
export function authRoutes(app: Hono<Env>, ctx: EmulatorContext): void {
  app.post('/auth/token', async (c) => {
    const type = (c.req.header('content-type') ?? 'application/json').split(';')[0]?.trim().toLowerCase();
    const text = await c.req.text();
    let body: unknown;
    if (type === 'application/x-www-form-urlencoded') body = Object.fromEntries(new URLSearchParams(text));
    else if (type === 'application/json') body = parseJsonBody(text);
    else throw new HttpError(415, 'Unsupported Media Type');
    const fields = validateBody(body, {
      username: { type: 'string', required: true },
      password: { type: 'string', required: true },
    });
    const user = ctx.users.find((u) => u.username === fields.username && u.password === fields.password);
    if (!user) throw new HttpError(401, 'Invalid credentials');
    return c.json({ access_token: ctx.tokens.issue(user.username) }, 201);
  });

  app.get('/auth/token', () => {
    throw new HttpError(
      403,
      'This method is only allowed if ``[core] simple_auth_manager_all_admins`` is True',
    );
  });
}
