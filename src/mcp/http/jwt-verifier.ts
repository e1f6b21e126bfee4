import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { OAuthSettings } from '../../config/settings.js';
import { SUPPORTED_SCOPES } from './scopes.js';

export interface VerifiedJwt {
  subject: string;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  clientId: string;
}

/** The token is not acceptable (forged, expired, for another audience…): a 401. */
export class InvalidJwtError extends Error {
  override name = 'InvalidJwtError';
}

/** The key set could not be fetched or read: not the caller's fault, a 5xx. */
export class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

// The subject goes into the audit log and logs: printable ASCII (no spaces, no bidi tricks), bounded.
const SUBJECT = /^[\x21-\x7e]{1,256}$/;
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

/**
 * An OAuth 2.1 resource server's check of a JWT access token: signature by a key from the issuer's JWKS
 * (asymmetric algorithms from the configured list only, so `none` and HS256-with-the-public-key fail),
 * issuer, audience, expiry (required), not-before, with the configured clock tolerance.
 */
export function createJwtVerifier(
  oauth: OAuthSettings,
  audience: string | string[],
): (token: string) => Promise<VerifiedJwt> {
  const keys = createRemoteJWKSet(new URL(oauth.jwks_url), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: oauth.issuer,
        audience,
        algorithms: oauth.algorithms,
        clockTolerance: oauth.clock_tolerance_seconds,
        requiredClaims: ['iss', 'aud', 'exp', 'sub'],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError && !KEY_SET_FAILURES.has(error.code)) {
        throw new InvalidJwtError(error.code);
      }
      if (error instanceof errors.JOSEError || error instanceof TypeError) {
        throw new KeySetUnavailableError(error.message, { cause: error });
      }
      throw error;
    }
    const subject = payload.sub ?? '';
    if (!SUBJECT.test(subject)) throw new InvalidJwtError('unusable sub claim');
    return {
      subject,
      scopes: scopesOf(payload).filter((s) => SUPPORTED_SCOPES.includes(s)),
      expiresAt: payload.exp ?? 0,
      clientId: stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? subject,
    };
  };
}

/** RFC 9068 `scope` (space-separated), or `scp` as some providers send it (array or string). */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

function stringClaim(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value.length <= 256 ? value : undefined;
}
