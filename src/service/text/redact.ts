const MASK = '[REDACTED]';

interface Rule {
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

// Order matters: whole-token shapes first, then key=value pairs.
const RULES: Rule[] = [
  {
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replace: MASK,
  },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: MASK },
  {
    pattern: /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_m, scheme: string) => `${scheme} ${MASK}`,
  },
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]+):([^\s@/]+)@/gi,
    replace: (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`,
  },
  { pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: MASK },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, replace: MASK },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g, replace: MASK },
  { pattern: /\bsk-[A-Za-z0-9_-]{20,}\b/g, replace: MASK },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: MASK },
  {
    pattern:
      /\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|authorization)[A-Za-z0-9_.-]*)(["']?\s*[:=]\s*["']?)([^\s"',;&]+)/gi,
    replace: (_m, key: string, sep: string) => `${key}${sep}${MASK}`,
  },
];

/** Removes secrets from untrusted text: common credential shapes and the exact configured secret values. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 4) out = out.split(secret).join(MASK);
  }
  for (const rule of RULES) {
    out = out.replace(rule.pattern, rule.replace as (substring: string, ...args: string[]) => string);
  }
  return out;
}
