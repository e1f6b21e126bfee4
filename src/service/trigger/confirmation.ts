import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a confirmation token is valid. */
export const CONFIRMATION_TTL_MS = 5 * 60_000;

interface TokenPayload {
  /** `<orchestrator>:<pipeline_id>` */
  p: string;
  /** Digest of the parameters the preview showed. */
  d: string;
  e: number;
  n: string;
}

/** Why a token for something else is refused, in both stores. */
export const TOKEN_MISMATCH =
  'the confirmation token was issued for another pipeline, other parameters or another caller';

export type TokenCheck = { ok: true; nonce: string } | { ok: false; reason: string };

/**
 * Short-lived, single-use confirmation tokens bound to one pipeline and one set of parameters,
 * signed with a key that lives only in this process.
 */
export class ConfirmationTokens {
  private readonly key = randomBytes(32);
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(pipeline: string, paramsDigest: string): { token: string; expires_at: string } {
    const payload: TokenPayload = {
      p: pipeline,
      d: paramsDigest,
      e: this.now() + CONFIRMATION_TTL_MS,
      n: randomBytes(9).toString('base64url'),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, expires_at: new Date(payload.e).toISOString() };
  }

  /** Checks a token against the request; does not consume it (see `consume`). */
  check(token: string, pipeline: string, paramsDigest: string): TokenCheck {
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined)
      return { ok: false, reason: 'the confirmation token is malformed' };
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { ok: false, reason: 'the confirmation token was not issued by this server' };
    }
    let payload: TokenPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
    } catch {
      return { ok: false, reason: 'the confirmation token is malformed' };
    }
    if (payload.e < this.now()) return { ok: false, reason: 'the confirmation token has expired' };
    if (payload.p !== pipeline || payload.d !== paramsDigest) {
      return {
        ok: false,
        reason: TOKEN_MISMATCH,
      };
    }
    if (this.used.has(payload.n)) return { ok: false, reason: 'the confirmation token was already used' };
    return { ok: true, nonce: payload.n };
  }

  /** Uses the token up; false when it already was. */
  consume(nonce: string): boolean {
    const now = this.now();
    for (const [n, at] of this.used) if (at < now - 2 * CONFIRMATION_TTL_MS) this.used.delete(n);
    if (this.used.has(nonce)) return false;
    this.used.set(nonce, now);
    return true;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
