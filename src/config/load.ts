import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as z from 'zod';
import type { AuthConfig, OrchestratorConfig } from '../core/config.js';
import { ConfigError } from './config-error.js';
import { interpolateEnv, protectReferences } from './interpolate.js';
import { toResilience } from './resilience.js';
import { JWT_ALGORITHMS, configFileSchema, type ConfigFile } from './schema.js';
import {
  HTTP_DEFAULTS,
  STATE_DEFAULTS,
  TRIGGER_DEFAULTS,
  type AuthSettings,
  type HttpSettings,
  type Settings,
} from './settings.js';

const DEFAULT_TIMEOUT_SECONDS = 30;

/**
 * Reads settings from `--config FILE`, else PIPELINE_MONITOR_CONFIG, else the quick-setup
 * environment variables (AIRFLOW_URL …). Throws ConfigError on anything wrong.
 */
export function loadSettings(configPath: string | undefined, env: NodeJS.ProcessEnv): Settings {
  const path = configPath ?? (env.PIPELINE_MONITOR_CONFIG || undefined);
  if (path) return fromFile(path, env);
  return fromEnvironment(env);
}

function fromFile(path: string, env: NodeJS.ProcessEnv): Settings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      '--config',
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let raw: unknown;
  try {
    const protectedText = protectReferences(text);
    raw = path.endsWith('.json') ? JSON.parse(protectedText) : parseYaml(protectedText);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : 'unreadable';
    throw new ConfigError(path, `is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${detail}`);
  }
  return toSettings(validate(interpolateEnv(raw, env)), path, env);
}

function fromEnvironment(env: NodeJS.ProcessEnv): Settings {
  const orchestrators: unknown[] = [];
  if (env.AIRFLOW_URL) {
    const auth = env.AIRFLOW_TOKEN
      ? { token: env.AIRFLOW_TOKEN }
      : env.AIRFLOW_USERNAME || env.AIRFLOW_PASSWORD
        ? { username: env.AIRFLOW_USERNAME ?? '', password: env.AIRFLOW_PASSWORD ?? '' }
        : undefined;
    orchestrators.push({ name: 'airflow', type: 'airflow', url: env.AIRFLOW_URL, ...(auth ? { auth } : {}) });
  }
  if (env.DAGSTER_URL) {
    const auth = env.DAGSTER_CLOUD_API_TOKEN ? { token: env.DAGSTER_CLOUD_API_TOKEN } : undefined;
    orchestrators.push({ name: 'dagster', type: 'dagster', url: env.DAGSTER_URL, ...(auth ? { auth } : {}) });
  }
  if (env.PREFECT_API_URL) {
    // The same variables Prefect's own CLI and SDK read.
    const auth = env.PREFECT_API_KEY
      ? { token: env.PREFECT_API_KEY }
      : env.PREFECT_API_AUTH_STRING
        ? basicFromAuthString(env.PREFECT_API_AUTH_STRING)
        : undefined;
    orchestrators.push({
      name: 'prefect',
      type: 'prefect',
      url: env.PREFECT_API_URL,
      ...(auth ? { auth } : {}),
    });
  }
  if (orchestrators.length === 0) {
    throw new ConfigError(
      'orchestrators',
      'nothing configured: pass --config FILE, set PIPELINE_MONITOR_CONFIG, or set AIRFLOW_URL, DAGSTER_URL or PREFECT_API_URL (see the README); try `pipeline-monitor-mcp --demo` to see it work',
    );
  }
  const triggersEnabled = /^(1|true|yes)$/i.test(env.PIPELINE_MONITOR_ENABLE_TRIGGERS ?? '');
  return toSettings(validate({ orchestrators, triggers: { enabled: triggersEnabled } }), 'environment', env);
}

/** PREFECT_API_AUTH_STRING is `user:password`, as for a self-hosted server's basic auth. */
function basicFromAuthString(value: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new ConfigError('PREFECT_API_AUTH_STRING', 'must be user:password');
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

function validate(raw: unknown): ConfigFile {
  const result = configFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    throw new ConfigError(issuePath(issue.path), describeIssue(issue));
  }
  const seen = new Set<string>();
  result.data.orchestrators.forEach((entry, i) => {
    if (seen.has(entry.name))
      throw new ConfigError(`orchestrators[${i}].name`, `"${entry.name}" is used twice`);
    seen.add(entry.name);
  });
  return result.data;
}

function issuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

// zod's own messages may quote the offending input; these never do, so a secret cannot leak.
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'must be { username, password } or { token }';
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : issue.message;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function toSettings(file: ConfigFile, source: string, env: NodeJS.ProcessEnv): Settings {
  const orchestrators: OrchestratorConfig[] = file.orchestrators.map((entry, i) => ({
    name: entry.name,
    type: entry.type,
    url: entry.url.replace(/\/+$/, ''),
    auth: toAuth(entry.auth),
    headers: entry.headers ?? {},
    timeout_ms: (entry.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    api_version: entry.api_version ?? 'auto',
    tls: {
      ca_pem: entry.tls?.ca_file ? readCaFile(entry.tls.ca_file, i) : null,
      verify: entry.tls?.verify ?? true,
    },
    resilience: toResilience(entry.resilience),
  }));
  const t = file.triggers;
  return {
    orchestrators,
    triggers: {
      enabled: t?.enabled ?? false,
      allow: t?.allow ?? TRIGGER_DEFAULTS.allow,
      deny: t?.deny ?? TRIGGER_DEFAULTS.deny,
      cooldown_seconds: t?.cooldown_seconds ?? TRIGGER_DEFAULTS.cooldown_seconds,
      max_per_hour: t?.max_per_hour ?? TRIGGER_DEFAULTS.max_per_hour,
      max_per_hour_per_pipeline: t?.max_per_hour_per_pipeline ?? TRIGGER_DEFAULTS.max_per_hour_per_pipeline,
      max_per_hour_per_principal:
        t?.max_per_hour_per_principal ?? TRIGGER_DEFAULTS.max_per_hour_per_principal,
      confirm: t?.confirm ?? TRIGGER_DEFAULTS.confirm,
      audit_log: t?.audit_log ?? defaultAuditLogPath(env),
    },
    state: {
      postgres_url: file.state?.postgres_url ?? null,
      schema: file.state?.schema ?? STATE_DEFAULTS.schema,
    },
    ...(file.call_timeout_seconds === undefined ? {} : { call_timeout_ms: file.call_timeout_seconds * 1000 }),
    source,
    http: toHttpSettings(file.http),
    auth: toAuthSettings(file.auth),
  };
}

// ── HTTP transport (--http) and the authentication of its callers ──

function toHttpSettings(http: ConfigFile['http']): HttpSettings {
  return {
    host: http?.host ?? HTTP_DEFAULTS.host,
    public_url: http?.public_url ?? HTTP_DEFAULTS.public_url,
    allowed_hosts: http?.allowed_hosts ?? HTTP_DEFAULTS.allowed_hosts,
    allowed_origins: (http?.allowed_origins ?? HTTP_DEFAULTS.allowed_origins).map((o, i) =>
      originHostName(o, i),
    ),
    max_body_bytes: http?.max_body_bytes ?? HTTP_DEFAULTS.max_body_bytes,
    drain_timeout_ms:
      http?.drain_timeout_seconds !== undefined
        ? http.drain_timeout_seconds * 1000
        : HTTP_DEFAULTS.drain_timeout_ms,
    requests_per_minute: http?.rate_limit?.requests_per_minute ?? HTTP_DEFAULTS.requests_per_minute,
  };
}

/** `https://app.example.com` or `app.example.com` → `app.example.com` (origins are compared by host name). */
function originHostName(value: string, index: number): string {
  if (!value.includes('://')) return value.toLowerCase();
  try {
    const url = new URL(value);
    return url.host.startsWith('[') ? url.hostname : url.hostname.toLowerCase();
  } catch {
    throw new ConfigError(`http.allowed_origins[${index}]`, 'must be a host name or an origin URL');
  }
}

function toAuthSettings(auth: ConfigFile['auth']): AuthSettings {
  const tokens = (auth?.tokens ?? []).map((t) => ({
    name: t.name,
    sha256: t.sha256.toLowerCase(),
    scopes: t.scopes ?? ['pipelines:read' as const],
  }));
  const names = new Set<string>();
  const hashes = new Set<string>();
  tokens.forEach((t, i) => {
    if (names.has(t.name)) throw new ConfigError(`auth.tokens[${i}].name`, `"${t.name}" is used twice`);
    if (hashes.has(t.sha256))
      throw new ConfigError(`auth.tokens[${i}].sha256`, 'is the same as another token');
    names.add(t.name);
    hashes.add(t.sha256);
  });
  const o = auth?.oauth;
  return {
    tokens,
    oauth: o
      ? {
          issuer: o.issuer,
          jwks_url: o.jwks_url,
          audience: o.audience ?? null,
          algorithms: o.algorithms ?? [...JWT_ALGORITHMS],
          authorization_servers: o.authorization_servers ?? [o.issuer],
          clock_tolerance_seconds: o.clock_tolerance_seconds ?? 30,
        }
      : null,
  };
}

function readCaFile(path: string, index: number): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConfigError(`orchestrators[${index}].tls.ca_file`, `${path} holds no PEM certificate`);
    }
    return pem;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `orchestrators[${index}].tls.ca_file`,
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

function toAuth(auth: ConfigFile['orchestrators'][number]['auth']): AuthConfig {
  if (!auth) return { kind: 'none' };
  if ('token' in auth) return { kind: 'token', token: auth.token };
  return { kind: 'basic', username: auth.username, password: auth.password };
}

/** `$XDG_STATE_HOME/pipeline-monitor-mcp/audit.jsonl`, else `~/.local/state/…` (the XDG default). */
export function defaultAuditLogPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'pipeline-monitor-mcp', 'audit.jsonl');
}
