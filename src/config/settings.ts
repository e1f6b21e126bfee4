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
  /** Where the settings came from, for the startup log line. */
  source: string;
}

/** Where the trigger guard keeps state shared by replicas (`state:` in the config file). */
export interface StateSettings {
  /** A secret (it may carry a password): never logged, never shown in errors. */
  postgres_url: string | null;
  /** The PostgreSQL schema holding the tables; created if missing. */
  schema: string;
}

export const STATE_DEFAULTS = { schema: 'pipeline_monitor' };
