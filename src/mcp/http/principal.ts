import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Principal } from '../tool-definition.js';

const PRINCIPAL_KEY = 'principal';

/** The verified caller, stored on the SDK's AuthInfo so that it travels to the per-request server factory. */
export function withPrincipal(info: Omit<AuthInfo, 'extra'>, id: string): AuthInfo {
  return { ...info, extra: { [PRINCIPAL_KEY]: id } };
}

/** The principal of a verified request; null when the transport authenticated nobody (loopback without auth). */
export function principalOf(authInfo: AuthInfo | undefined): Principal | null {
  if (!authInfo) return null;
  const id = authInfo.extra?.[PRINCIPAL_KEY];
  return typeof id === 'string' ? { id, scopes: [...authInfo.scopes] } : null;
}
