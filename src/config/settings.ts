import type { OrchestratorConfig } from '../core/config.js';

export interface TriggerSettings {
  enabled: boolean;
}

/** Everything the server needs, read and validated. */
export interface Settings {
  orchestrators: OrchestratorConfig[];
  triggers: TriggerSettings;
  /** Where the settings came from, for the startup log line. */
  source: string;
}
