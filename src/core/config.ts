import type { OrchestratorType } from './model.js';

export type AuthConfig =
  { kind: 'none' } | { kind: 'basic'; username: string; password: string } | { kind: 'token'; token: string };

/** One orchestrator connection, after configuration has been read and validated. */
export interface OrchestratorConfig {
  name: string;
  type: OrchestratorType;
  /** Base URL of the deployment, without the API prefix (e.g. https://airflow.example.com). */
  url: string;
  auth: AuthConfig;
  /** Extra headers sent with every request (e.g. a proxy's). */
  headers: Record<string, string>;
  /** Per-request timeout toward the orchestrator. */
  timeout_ms: number;
  /** Airflow only: which REST API to speak; `auto` detects it from the URL (v2 = Airflow 3, v1 = Airflow 2). */
  api_version: 'auto' | 'v1' | 'v2';
  tls: TlsConfig;
  /** Retries, circuit breaker and concurrency toward this orchestrator; defaults when absent. */
  resilience?: Partial<ResilienceConfig>;
}

export interface TlsConfig {
  /** PEM bundle of extra CAs to trust (a private CA in front of the orchestrator). */
  ca_pem: string | null;
  /** Only false when configured explicitly; the server warns about it at startup. */
  verify: boolean;
}

/** How the server protects itself and the orchestrator when it is slow, overloaded or down. */
export interface ResilienceConfig {
  /** Retries of reads and of keyed triggers after the first attempt. */
  retries: number;
  /** Longest Retry-After waited for; a longer one fails at once, saying when to try again. */
  retry_after_max_ms: number;
  /** Requests in flight at once; more wait their turn. */
  max_concurrency: number;
  /** Failed requests in a row (connection failures, timeouts, 5xx) that open the circuit; 0 = never. */
  breaker_failures: number;
  /** How long an open circuit fails fast before one trial request. */
  breaker_cooldown_ms: number;
}

/** The exact secret values from configuration, so they can be redacted wherever they appear. */
export function secretsOf(config: OrchestratorConfig): string[] {
  const values: string[] = [];
  if (config.auth.kind === 'basic') values.push(config.auth.password);
  if (config.auth.kind === 'token') values.push(config.auth.token);
  for (const [key, value] of Object.entries(config.headers)) {
    if (/auth|token|key|secret|cookie/i.test(key)) values.push(value);
  }
  return values.filter((v) => v.length >= 4);
}

/** A connection with every optional setting at its default. */
export function orchestratorConfig(
  fields: Pick<OrchestratorConfig, 'name' | 'type' | 'url'> & Partial<OrchestratorConfig>,
): OrchestratorConfig {
  return {
    auth: { kind: 'none' },
    headers: {},
    timeout_ms: 30_000,
    api_version: 'auto',
    tls: { ca_pem: null, verify: true },
    ...fields,
  };
}
