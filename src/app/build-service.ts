import type { Logger } from 'pino';
import { createAdapter } from '../adapters/index.js';
import { ConfigError } from '../config/config-error.js';
import { STATE_DEFAULTS, type Settings } from '../config/settings.js';
import { secretsOf } from '../core/config.js';
import { CachedAdapter, READ_CACHE_TTL_MS } from '../service/cached-adapter.js';
import { MonitorService } from '../service/monitor-service.js';
import { OrchestratorRegistry } from '../service/registry.js';
import { LocalTriggerStore } from '../service/trigger/local-store.js';
import { StateUnavailableError, type TriggerStore } from '../service/trigger/store.js';
import { UntrustedText } from '../service/text/untrusted.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../mcp/call-deadline.js';

/** Wires configured orchestrators to adapters and the monitoring service. */
export function buildService(
  settings: Settings,
  logger: Logger,
  now: () => Date = () => new Date(),
  store?: TriggerStore,
): MonitorService {
  const ttlMs = cacheTtlMs(process.env.PIPELINE_MONITOR_CACHE_TTL_MS);
  const adapters = settings.orchestrators.map((config) => new CachedAdapter(createAdapter(config), ttlMs));
  return new MonitorService(
    {
      registry: new OrchestratorRegistry(adapters),
      text: new UntrustedText([...settings.orchestrators.flatMap(secretsOf), ...stateSecrets(settings)]),
      triggers: settings.triggers,
      now,
      readCacheTtlMs: ttlMs,
      logger,
      ...(settings.call_timeout_ms === undefined ? {} : { callTimeoutMs: settings.call_timeout_ms }),
    },
    store,
  );
}

/**
 * The trigger state: PostgreSQL when `state.postgres_url` is set (connected and its tables made now, so a
 * database that cannot be used stops the server at startup), else the local audit file. A server with
 * writes off passes `needed: false` and never connects: its reads do not depend on the database.
 */
export async function openTriggerStore(
  settings: Settings,
  logger: Logger,
  needed = settings.triggers.enabled,
): Promise<TriggerStore> {
  const url = settings.state?.postgres_url;
  if (!url || !needed) return new LocalTriggerStore(settings.triggers.audit_log);
  // Loaded only when configured: a one-machine server never pays for the driver.
  const { PostgresTriggerStore } = await import('../state/postgres/index.js');
  try {
    return await PostgresTriggerStore.open({
      url,
      schema: settings.state?.schema ?? STATE_DEFAULTS.schema,
      // A write waiting for another's lock gives up before its call's budget, so the refusal reaches the caller.
      lockWaitMs: Math.max(5_000, (settings.call_timeout_ms ?? DEFAULT_CALL_TIMEOUT_MS) - 10_000),
      onLockLost: (pipeline, message) =>
        logger.error({ pipeline, error: message }, 'lost the connection holding a pipeline lock'),
    });
  } catch (error) {
    if (!(error instanceof StateUnavailableError)) throw error;
    throw new ConfigError('state.postgres_url', `PostgreSQL cannot be used: ${error.message}`);
  }
}

function stateSecrets(settings: Settings): string[] {
  const url = settings.state?.postgres_url;
  if (!url) return [];
  try {
    const password = decodeURIComponent(new URL(url).password);
    return [url, password].filter((v) => v.length >= 4);
  } catch {
    return [url];
  }
}

/** PIPELINE_MONITOR_CACHE_TTL_MS: 0 turns the read cache off (the benchmark measures cold calls with it). */
function cacheTtlMs(value: string | undefined): number {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, READ_CACHE_TTL_MS) : READ_CACHE_TTL_MS;
}
