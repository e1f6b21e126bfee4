/** `value ILIKE '%<pattern>%'`, with SQL LIKE wildcards `%` and `_` inside the pattern. */
export function ilikeContains(pattern: string): (value: string) => boolean {
  let source = '';
  for (const ch of pattern) {
    if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(source, 'is');
  return (value) => regex.test(value);
}

/** Airflow's `*_pattern` search parameters: an ILIKE substring match, `~` for everything, `a | b` for either (3.2). */
export function searchMatcher(pattern: string): (value: string) => boolean {
  const parts = (pattern === '~' ? '%' : pattern).split('|').map((p) => p.trim());
  const alternatives = parts.length > 1 ? parts.filter((p) => p.length > 0) : parts;
  const matchers = alternatives.map(ilikeContains);
  return (value) => matchers.some((m) => m(value));
}
