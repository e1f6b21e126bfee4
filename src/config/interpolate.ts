import { ConfigError } from './config-error.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const PLACEHOLDER = /PMENVREF_([A-Za-z_][A-Za-z0-9_]*?)_PMENVREF/g;

/**
 * `${VAR}` is not valid YAML inside a flow mapping (`{ password: ${PW} }`), so references are swapped
 * for inert placeholders before parsing and resolved in the parsed values after. Substituting the raw
 * text instead would let a value's own YAML syntax change the document's structure.
 */
export function protectReferences(text: string): string {
  return text.replace(REFERENCE, (_m, variable: string) => `PMENVREF_${variable}_PMENVREF`);
}

/** Replaces the protected `${VAR}` references in every string of a parsed config with the environment's value. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_match, variable: string) => {
      const resolved = env[variable];
      if (resolved === undefined || resolved === '') {
        throw new ConfigError(
          path || '(root)',
          `refers to \${${variable}}, which is not set in the environment`,
        );
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateEnv(item, env, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}
