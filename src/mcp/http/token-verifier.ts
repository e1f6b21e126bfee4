import {
  OAuthError,
  OAuthErrorCode,
  type AuthInfo,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { AuthSettings } from '../../config/settings.js';
import { createJwtVerifier, InvalidJwtError, KeySetUnavailableError } from './jwt-verifier.js';
import { withPrincipal } from './principal.js';
import { matchStaticToken } from './static-tokens.js';

// A static token is checked anew on every request; the SDK wants an expiry on every AuthInfo.
const STATIC_VALIDITY_SECONDS = 60;
const JWT_SHAPE = /^[\w-]+\.[\w-]*\.[\w-]*$/;

/**
 * Verifies a bearer token as one of the configured static tokens (principal `token:<name>`) or as a JWT
 * from the configured issuer (principal `oauth:<sub>`). The token itself is not kept on the result, so it
 * cannot travel further than this check.
 */
export function createTokenVerifier(auth: AuthSettings, resource: URL, logger: Logger): OAuthTokenVerifier {
  // By default the audience is this server's URL, with or without a trailing slash (`https://x/` is `https://x`).
  const audience = auth.oauth?.audience ?? [...new Set([resource.href, resource.href.replace(/\/$/, '')])];
  const verifyJwt = auth.oauth ? createJwtVerifier(auth.oauth, audience) : null;
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const base = { token: '[verified]', resource };
      const entry = matchStaticToken(token, auth.tokens);
      if (entry) {
        return withPrincipal(
          {
            ...base,
            clientId: `token:${entry.name}`,
            scopes: [...entry.scopes],
            expiresAt: Math.floor(Date.now() / 1000) + STATIC_VALIDITY_SECONDS,
          },
          `token:${entry.name}`,
        );
      }
      if (!verifyJwt || !JWT_SHAPE.test(token)) {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'The access token is not valid');
      }
      try {
        const jwt = await verifyJwt(token);
        return withPrincipal(
          { ...base, clientId: jwt.clientId, scopes: jwt.scopes, expiresAt: jwt.expiresAt },
          `oauth:${jwt.subject}`,
        );
      } catch (error) {
        if (error instanceof InvalidJwtError) {
          logger.info({ reason: error.message }, 'refused a bearer token');
          throw new OAuthError(OAuthErrorCode.InvalidToken, 'The access token is not valid');
        }
        if (error instanceof KeySetUnavailableError) {
          logger.error(
            { err: error, jwks_url: auth.oauth?.jwks_url },
            'cannot read the JWKS to verify a token',
          );
          throw new OAuthError(OAuthErrorCode.ServerError, 'Cannot verify tokens right now');
        }
        throw error;
      }
    },
  };
}
