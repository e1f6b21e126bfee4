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
}

export interface TlsConfig {
  /** PEM bundle of extra CAs to trust (a private CA in front of the orchestrator). */
  ca_pem: string | null;
  /** Only false when configured explicitly; the server warns about it at startup. */
  verify: boolean;
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
