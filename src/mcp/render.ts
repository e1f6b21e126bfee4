import type * as z from 'zod';
import type { runSchema, unavailableSchema } from './schemas.js';

type Run = z.infer<typeof runSchema>;

export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return s ? `${m}m ${s}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h ${m % 60}m`;
}

export function when(iso: string | null): string {
  return iso
    ? iso
        .replace('T', ' ')
        .replace(/\.\d+/, '')
        .replace(/\+00:00$|Z$/, 'Z')
    : '-';
}

export function runLine(run: Run): string {
  const parts = [`${run.run_id}: ${run.status}`];
  if (run.native_status !== run.status) parts[0] += ` (${run.native_status})`;
  if (!run.started_at) {
    parts.push(`queued ${when(run.queued_at)}, not started yet`);
    return parts.join(', ');
  }
  parts.push(`started ${when(run.started_at)}`);
  if (run.finished_at)
    parts.push(`finished ${when(run.finished_at)}`, `took ${duration(run.duration_seconds)}`);
  else parts.push('still running');
  return parts.join(', ');
}

/** Untrusted text is fenced and labelled so the model treats it as data, not instructions. */
export function untrusted(label: string, lines: readonly string[]): string {
  return [`<untrusted-data source="${label}">`, ...lines, '</untrusted-data>'].join('\n');
}

export function unavailableNote(unavailable: z.infer<typeof unavailableSchema>): string[] {
  return unavailable.map((u) => `⚠ ${u.orchestrator} did not answer: ${u.reason}`);
}
