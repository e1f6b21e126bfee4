import { createHash, timingSafeEqual } from 'node:crypto';
import type { StaticTokenSettings } from '../../config/settings.js';

/** Shorter tokens are refused by `hash-token`: an unsalted hash is only safe for a high-entropy secret. */
export const MIN_TOKEN_LENGTH = 32;

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Finds the configured token whose hash matches, comparing against every entry in constant time
 * (no early exit), so timing tells nothing about which hash, or how much of it, matched.
 */
export function matchStaticToken(
  token: string,
  tokens: readonly StaticTokenSettings[],
): StaticTokenSettings | null {
  const given = createHash('sha256').update(token, 'utf8').digest();
  let found: StaticTokenSettings | null = null;
  for (const entry of tokens) {
    const expected = Buffer.from(entry.sha256, 'hex');
    if (timingSafeEqual(given, expected) && found === null) found = entry;
  }
  return found;
}
