import * as z from 'zod';
import type { ResilienceConfig } from '../core/config.js';

/**
 * The resilience settings: a tool call's time budget (top level) and, per orchestrator, retries, the circuit
 * breaker and the bound on requests in flight. Kept apart from the rest of the schema on purpose.
 */

export const callTimeoutSecondsSchema = z.number().min(1).max(3600);

export const resilienceEntrySchema = z.strictObject({
  retries: z.number().int().min(0).max(10).optional(),
  retry_after_max_seconds: z.number().min(0).max(600).optional(),
  max_concurrency: z.number().int().min(1).max(256).optional(),
  circuit_breaker: z
    .strictObject({
      failures: z.number().int().min(0).max(1000).optional(),
      cooldown_seconds: z.number().min(1).max(3600).optional(),
    })
    .optional(),
});

export type ResilienceEntry = z.infer<typeof resilienceEntrySchema>;

/** Only what is set: the HTTP layer holds the defaults (2 retries, 30 s, 16, 5 failures, 30 s). */
export function toResilience(entry: ResilienceEntry | undefined): Partial<ResilienceConfig> {
  if (!entry) return {};
  const breaker = entry.circuit_breaker;
  return {
    ...(entry.retries === undefined ? {} : { retries: entry.retries }),
    ...(entry.retry_after_max_seconds === undefined
      ? {}
      : { retry_after_max_ms: entry.retry_after_max_seconds * 1000 }),
    ...(entry.max_concurrency === undefined ? {} : { max_concurrency: entry.max_concurrency }),
    ...(breaker?.failures === undefined ? {} : { breaker_failures: breaker.failures }),
    ...(breaker?.cooldown_seconds === undefined
      ? {}
      : { breaker_cooldown_ms: breaker.cooldown_seconds * 1000 }),
  };
}
