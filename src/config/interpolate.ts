import { ConfigError } from './config-error.js';

/** Replaces `${VAR}` in every string of a parsed config with the environment's value. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, variable: string) => {
      const resolved = env[variable];
      if (resolved === undefined || resolved === '') {
        throw new ConfigError(path || '(root)', `refers to \${${variable}}, which is not set in the environment`);
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, path ? `${path}.${key}` : key)]),
    );
  }
  return value;
}
