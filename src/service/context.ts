import type { Logger } from 'pino';
import type { TriggerSettings } from '../config/settings.js';
import type { OrchestratorRegistry } from './registry.js';
import type { UntrustedText } from './text/untrusted.js';

/** What every service operation needs; built once per server. */
export interface ServiceContext {
  registry: OrchestratorRegistry;
  text: UntrustedText;
  triggers: TriggerSettings;
  now: () => Date;
  /** How long identical reads are reused (0 = never). */
  readCacheTtlMs: number;
  logger: Logger;
  /** A tool call's time budget (its requests stop then); unset = the MCP layer's default. */
  callTimeoutMs?: number;
}
