import { createHmac, randomUUID } from 'node:crypto';

export type TokenCheck = { ok: true; username: string } | { ok: false; reason: 'expired' | 'invalid' };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Issues and checks HS512 JWTs like Airflow 3's auth manager (aud `apache-airflow`, exp after a TTL). */
export class TokenIssuer {
  private readonly expired = new Set<string>();
  private readonly issued = new Set<string>();

  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly staticTokens: readonly string[],
  ) {}

  private sign(input: string): string {
    return createHmac('sha512', this.secret).update(input).digest('base64url');
  }

  issue(username: string): string {
    const now = Date.now() / 1000;
    const jti = randomUUID().replace(/-/g, '');
    const claims = {
      sub: username,
      role: 'ADMIN',
      aud: 'apache-airflow',
      iss: 'airflow-emulator',
      nbf: Math.floor(now),
      iat: Math.floor(now),
      exp: now + this.ttlSeconds,
      jti,
    };
    const body = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}`;
    this.issued.add(jti);
    return `${body}.${this.sign(body)}`;
  }

  /** Every token issued so far now counts as expired (static tokens are not affected). */
  expireAll(): void {
    for (const jti of this.issued) this.expired.add(jti);
    this.issued.clear();
  }

  check(token: string): TokenCheck {
    if (this.staticTokens.includes(token)) return { ok: true, username: 'admin' };
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const [header = '', payload = '', signature = ''] = parts;
    if (this.sign(`${header}.${payload}`) !== signature) return { ok: false, reason: 'invalid' };
    let claims: { sub?: unknown; exp?: unknown; jti?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof claims.exp !== 'number' || typeof claims.sub !== 'string')
      return { ok: false, reason: 'invalid' };
    if (claims.exp * 1000 <= Date.now() || this.expired.has(String(claims.jti)))
      return { ok: false, reason: 'expired' };
    return { ok: true, username: claims.sub };
  }
}
