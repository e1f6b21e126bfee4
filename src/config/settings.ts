import type { OrchestratorConfig } from '../core/config.js';

export interface TriggerSettings {
  enabled: boolean;
  /** Globs over `<orchestrator>:<pipeline_id>`; a trigger needs a match in allow and none in deny. */
  allow: string[];
  deny: string[];
  cooldown_seconds: number;
  max_per_hour: number;
  max_per_hour_per_pipeline: number;
  /** Per authenticated caller (principal); callers without one (stdio) have only the other limits. */
  max_per_hour_per_principal: number;
  /** `always`: a preview and a single-use confirmation token first; `never`: start on the first call. */
  confirm: 'always' | 'never';
  audit_log: string;
}

export const TRIGGER_DEFAULTS = {
  allow: ['*:*'],
  deny: [] as string[],
  cooldown_seconds: 300,
  max_per_hour: 20,
  max_per_hour_per_pipeline: 3,
  max_per_hour_per_principal: 10,
  confirm: 'always' as const,
};

/** Everything the server needs, read and validated. */
export interface Settings {
  orchestrators: OrchestratorConfig[];
  triggers: TriggerSettings;
  /** Shared trigger state; absent or without a URL: the local audit file and in-process locks. */
  state?: StateSettings;
  /** A tool call's time budget (call_timeout_seconds); unset = the default (50 s). */
  call_timeout_ms?: number;
  /** Where the settings came from, for the startup log line. */
  source: string;
  /** `--http` serving; absent: HTTP_DEFAULTS. */
  http?: HttpSettings;
  /** Who may call over HTTP; absent: nobody is authenticated (loopback only). */
  auth?: AuthSettings;
}

// ── HTTP transport (--http) and the authentication of its callers ──

export type Scope = 'pipelines:read' | 'pipelines:trigger';

export interface HttpSettings {
  /** The address `--http PORT` binds when it names no host. */
  host: string;
  /** The URL clients use for the MCP endpoint (the OAuth resource); null: derived from the bound address. */
  public_url: string | null;
  /** Host header values accepted besides the loopback names and public_url's host. */
  allowed_hosts: string[];
  /** Origin host names accepted besides the loopback ones and public_url's host (an absent Origin is fine). */
  allowed_origins: string[];
  max_body_bytes: number;
  /** How long SIGTERM waits for calls in flight before closing. */
  drain_timeout_ms: number;
  /** Per principal (or for everyone together when no auth is configured). */
  requests_per_minute: number;
}

export const HTTP_DEFAULTS: HttpSettings = {
  host: '127.0.0.1',
  public_url: null,
  allowed_hosts: [],
  allowed_origins: [],
  max_body_bytes: 1024 * 1024,
  drain_timeout_ms: 25_000,
  requests_per_minute: 300,
};

export interface StaticTokenSettings {
  name: string;
  /** SHA-256 of the token, lowercase hex: the token itself is never stored. */
  sha256: string;
  scopes: Scope[];
}

export interface OAuthSettings {
  /** Exactly as in the tokens' `iss`. */
  issuer: string;
  jwks_url: string;
  /** Null: this server's resource URL (public_url). */
  audience: string | null;
  algorithms: string[];
  /** Advertised in the protected-resource metadata; default [issuer]. */
  authorization_servers: string[];
  clock_tolerance_seconds: number;
}

export interface AuthSettings {
  tokens: StaticTokenSettings[];
  oauth: OAuthSettings | null;
}

export const NO_AUTH: AuthSettings = { tokens: [], oauth: null };

/** Whether any way to authenticate HTTP callers is configured. */
export function authConfigured(auth: AuthSettings): boolean {
  return auth.tokens.length > 0 || auth.oauth !== null;
}

/** Where the trigger guard keeps state shared by replicas (`state:` in the config file). */
export interface StateSettings {
  /** A secret (it may carry a password): never logged, never shown in errors. */
  postgres_url: string | null;
  /** The PostgreSQL schema holding the tables; created if missing. */
  schema: string;
}

export const STATE_DEFAULTS = { schema: 'pipeline_monitor' };
