import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * itsdangerous-style signed values (`base64url(json).base64url(hmac)`), as Airflow uses for log
 * continuation tokens and file tokens: readable, not forgeable.
 */
export class Signer {
  constructor(private readonly secret: string) {}

  private signature(payload: string): string {
    return createHmac('sha1', this.secret).update(payload).digest('base64url');
  }

  dumps(value: unknown): string {
    const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${payload}.${this.signature(payload)}`;
  }

  /** The value, or undefined when the signature does not match. */
  loads(token: string): unknown {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.signature(payload), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }
}
