import type { Logger } from 'pino';
import { createAdapter } from '../adapters/index.js';
import type { Settings } from '../config/settings.js';
import { secretsOf } from '../core/config.js';
import { CachedAdapter } from '../service/cached-adapter.js';
import { MonitorService } from '../service/monitor-service.js';
import { OrchestratorRegistry } from '../service/registry.js';
import { UntrustedText } from '../service/text/untrusted.js';

/** Wires configured orchestrators to adapters and the monitoring service. */
export function buildService(
  settings: Settings,
  logger: Logger,
  now: () => Date = () => new Date(),
): MonitorService {
  const adapters = settings.orchestrators.map((config) => new CachedAdapter(createAdapter(config)));
  return new MonitorService({
    registry: new OrchestratorRegistry(adapters),
    text: new UntrustedText(settings.orchestrators.flatMap(secretsOf)),
    triggers: settings.triggers,
    now,
    logger,
  });
}
