import type { OrchestratorConfig } from '../core/config.js';

export interface TriggerSettings {
  enabled: boolean;
  /** Globs over `<orchestrator>:<pipeline_id>`; a trigger needs a match in allow and none in deny. */
  allow: string[];
  deny: string[];
  cooldown_seconds: number;
  max_per_hour: number;
  max_per_hour_per_pipeline: number;
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
  confirm: 'always' as const,
};

/** Everything the server needs, read and validated. */
export interface Settings {
  orchestrators: OrchestratorConfig[];
  triggers: TriggerSettings;
  /** A tool call's time budget (call_timeout_seconds); unset = the default (50 s). */
  call_timeout_ms?: number;
  /** Where the settings came from, for the startup log line. */
  source: string;
}
