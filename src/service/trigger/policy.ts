import picomatch from 'picomatch';
import type { TriggerSettings } from '../../config/settings.js';

export interface Refusal {
  reason: string;
  /** When a trigger would be allowed again, when that is a matter of time. */
  retry_after: string | null;
  /** What to do instead, when it is not just waiting. */
  hint?: string;
}

/** The allow/deny lists over `<orchestrator>:<pipeline_id>`. */
export function listRefusal(settings: TriggerSettings, qualified: string): Refusal | null {
  // Ids are not paths: a Prefect `flow/deployment` id must match `prefect:*`, so `/` is made an ordinary character.
  const flat = (text: string) => text.replaceAll('/', '\u2044');
  const matches = (globs: string[]) =>
    globs.some((g) => picomatch.isMatch(flat(qualified), flat(g), { dot: true }));
  if (matches(settings.deny))
    return { reason: `${qualified} is on the triggers.deny list.`, retry_after: null };
  if (!matches(settings.allow))
    return { reason: `${qualified} is not on the triggers.allow list.`, retry_after: null };
  return null;
}

/**
 * Cooldown per pipeline and hourly limits (per pipeline, per principal, overall), from the times of accepted
 * triggers. The per-principal limit applies to authenticated callers; `null` (stdio) has only the others.
 */
export function rateRefusal(
  settings: TriggerSettings,
  qualified: string,
  accepted: readonly { pipeline: string; principal?: string | null; at: number }[],
  now: number,
  principal: string | null = null,
): Refusal | null {
  const iso = (ms: number) => new Date(ms).toISOString();
  const mine = accepted.filter((a) => a.pipeline === qualified);
  const last = Math.max(-Infinity, ...mine.map((a) => a.at));
  const cooldownEnds = last + settings.cooldown_seconds * 1000;
  if (cooldownEnds > now) {
    return {
      reason: `${qualified} was triggered at ${iso(last)}; the cooldown is ${settings.cooldown_seconds} s.`,
      retry_after: iso(cooldownEnds),
    };
  }
  const hourAgo = now - 3600_000;
  const recentMine = mine.filter((a) => a.at > hourAgo).sort((a, b) => a.at - b.at);
  if (recentMine.length >= settings.max_per_hour_per_pipeline) {
    return {
      reason: `${qualified} was triggered ${recentMine.length} times in the last hour (limit ${settings.max_per_hour_per_pipeline}).`,
      retry_after: iso(
        (recentMine[recentMine.length - settings.max_per_hour_per_pipeline]?.at ?? now) + 3600_000,
      ),
    };
  }
  if (principal !== null) {
    const theirs = accepted
      .filter((a) => a.principal === principal && a.at > hourAgo)
      .sort((a, b) => a.at - b.at);
    const limit = settings.max_per_hour_per_principal;
    if (theirs.length >= limit) {
      return {
        reason: `${principal} triggered ${theirs.length} runs in the last hour (limit ${limit} per caller).`,
        retry_after: iso((theirs[theirs.length - limit]?.at ?? now) + 3600_000),
      };
    }
  }
  const recentAll = accepted.filter((a) => a.at > hourAgo).sort((a, b) => a.at - b.at);
  if (recentAll.length >= settings.max_per_hour) {
    return {
      reason: `${recentAll.length} triggers in the last hour across all pipelines (limit ${settings.max_per_hour}).`,
      retry_after: iso((recentAll[recentAll.length - settings.max_per_hour]?.at ?? now) + 3600_000),
    };
  }
  return null;
}
