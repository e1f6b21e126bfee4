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
