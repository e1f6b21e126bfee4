import { decodeJwt } from 'jose';

/**
 * How requests to one Airflow are authenticated. Airflow 3 exchanges a username/password for a JWT
 * (`POST /auth/token`); Airflow 2 takes them as HTTP Basic on every request; both take a static bearer token
 * (managed services, reverse proxies).
 */

export interface AuthHeaders {
  headers: Record<string, string>;
  /** The credential these headers carry, to tell a stale rejection from a current one. */
  credential: string | null;
}

export interface AirflowAuth {
  /** What the user configured, for hints: "username/password", "token", … */
  readonly what: string;
  headers(): Promise<AuthHeaders>;
  /**
   * After a 401/403 to a request sent with `rejected`: gets a new credential when that can help and says
   * whether the request is worth sending once more.
   */
  renew(rejected: string | null): Promise<boolean>;
}

export class NoAuth implements AirflowAuth {
  readonly what = 'credentials (none are configured)';
  headers(): Promise<AuthHeaders> {
    return Promise.resolve({ headers: {}, credential: null });
  }
  renew(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/** A fixed Authorization header: a static bearer token, or HTTP Basic (Airflow 2). */
export class StaticAuth implements AirflowAuth {
  private readonly value: string;
  readonly what: string;

  constructor(value: string, what: string) {
    this.value = value;
    this.what = what;
  }

  static bearer(token: string): StaticAuth {
    return new StaticAuth(`Bearer ${token}`, 'token');
  }

  static basic(username: string, password: string): StaticAuth {
    return new StaticAuth(`Basic ${basicCredentials(username, password)}`, 'username/password');
  }

  headers(): Promise<AuthHeaders> {
    return Promise.resolve({ headers: { authorization: this.value }, credential: this.value });
  }

  renew(): Promise<boolean> {
    return Promise.resolve(false); // the same credential would be rejected again
  }
}

/** base64("user:password") as HTTP Basic sends it (also a secret to redact). */
export function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

/** Refresh a JWT when less than this is left of its lifetime (or half the lifetime, if shorter). */
export const REFRESH_BEFORE_EXPIRY_MS = 60_000;

/** `exp` of a JWT in ms since the epoch, read without verifying the signature; null when absent or unreadable. */
export function jwtExpiry(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * A JWT obtained by exchanging credentials, kept until shortly before it expires (by its `exp`), renewed
 * after a rejection. Concurrent callers share one exchange.
 */
export class JwtSession implements AirflowAuth {
  readonly what = 'username/password';
  private token: string | null = null;
  private refreshAt: number | null = null;
  private pending: Promise<string> | null = null;
  private readonly exchange: () => Promise<string>;
  private readonly now: () => number;

  constructor(exchange: () => Promise<string>, now: () => number) {
    this.exchange = exchange;
    this.now = now;
  }

  async headers(): Promise<AuthHeaders> {
    const token = await this.current();
    return { headers: { authorization: `Bearer ${token}` }, credential: `Bearer ${token}` };
  }

  async renew(rejected: string | null): Promise<boolean> {
    // Another caller may have replaced the rejected token already.
    if (this.token !== null && `Bearer ${this.token}` === rejected) this.token = null;
    await this.current();
    return true;
  }

  /** Starts with a token obtained elsewhere (the exchange that detected Airflow 3). */
  seed(token: string): void {
    this.accept(token);
  }

  /** The token in use, if any (for tests and diagnostics). */
  get currentToken(): string | null {
    return this.token;
  }

  private current(): Promise<string> {
    if (this.token !== null && (this.refreshAt === null || this.now() < this.refreshAt)) {
      return Promise.resolve(this.token);
    }
    this.pending ??= this.exchange()
      .then((token) => this.accept(token))
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private accept(token: string): string {
    const obtained = this.now();
    const expires = jwtExpiry(token);
    const lifetime = expires === null ? 0 : expires - obtained;
    // A token that looks expired on arrival means the clocks disagree: rely on 401s instead.
    this.refreshAt =
      expires === null || lifetime <= 0
        ? null
        : expires - Math.min(REFRESH_BEFORE_EXPIRY_MS, Math.floor(lifetime / 2));
    this.token = token;
    return token;
  }
}
