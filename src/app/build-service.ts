import type { Logger } from 'pino';
import { createAdapter } from '../adapters/index.js';
import type { Settings } from '../config/settings.js';
import { secretsOf } from '../core/config.js';
import { CachedAdapter, READ_CACHE_TTL_MS } from '../service/cached-adapter.js';
import { MonitorService } from '../service/monitor-service.js';
import { OrchestratorRegistry } from '../service/registry.js';
import { UntrustedText } from '../service/text/untrusted.js';

/** Wires configured orchestrators to adapters and the monitoring service. */
export function buildService(
  settings: Settings,
  logger: Logger,
  now: () => Date = () => new Date(),
): MonitorService {
  const ttlMs = cacheTtlMs(process.env.PIPELINE_MONITOR_CACHE_TTL_MS);
  const adapters = settings.orchestrators.map((config) => new CachedAdapter(createAdapter(config), ttlMs));
  return new MonitorService({
    registry: new OrchestratorRegistry(adapters),
    text: new UntrustedText(settings.orchestrators.flatMap(secretsOf)),
    triggers: settings.triggers,
    now,
    readCacheTtlMs: ttlMs,
    logger,
    ...(settings.call_timeout_ms === undefined ? {} : { callTimeoutMs: settings.call_timeout_ms }),
  });
}

/** PIPELINE_MONITOR_CACHE_TTL_MS: 0 turns the read cache off (the benchmark measures cold calls with it). */
function cacheTtlMs(value: string | undefined): number {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.min(parsed, READ_CACHE_TTL_MS) : READ_CACHE_TTL_MS;
}
