import type { ResilienceConfig } from '../../core/config.js';
import type { HttpClientOptions } from './http-client.js';

/** The HttpClient options for an orchestrator's configured resilience (unset ones keep their defaults). */
export function resilienceOptions(
  config: Partial<ResilienceConfig> | undefined,
): Pick<
  HttpClientOptions,
  'maxRetries' | 'maxRetryAfterMs' | 'maxConcurrency' | 'breakerFailures' | 'breakerCooldownMs'
> {
  return {
    ...(config?.retries === undefined ? {} : { maxRetries: config.retries }),
    ...(config?.retry_after_max_ms === undefined ? {} : { maxRetryAfterMs: config.retry_after_max_ms }),
    ...(config?.max_concurrency === undefined ? {} : { maxConcurrency: config.max_concurrency }),
    ...(config?.breaker_failures === undefined ? {} : { breakerFailures: config.breaker_failures }),
    ...(config?.breaker_cooldown_ms === undefined ? {} : { breakerCooldownMs: config.breaker_cooldown_ms }),
  };
}
