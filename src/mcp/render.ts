import type * as z from 'zod';
import type { digestSchema, runSchema, unavailableSchema } from './schemas.js';

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

export function runLine(
  run: Pick<Run, 'run_id' | 'status' | 'queued_at' | 'started_at' | 'finished_at' | 'duration_seconds'> & {
    native_status?: string;
  },
): string {
  const parts = [`${run.run_id}: ${run.status}`];
  if (run.native_status !== undefined && run.native_status !== run.status)
    parts[0] += ` (${run.native_status})`;
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

/** A failure digest as a few lines: where it failed, the kind of failure, and the untrusted error text. */
export function digestLines(digest: NonNullable<z.infer<typeof digestSchema>>, withStack = false): string[] {
  const where = digest.failed_task
    ? `Failed task: ${digest.failed_task}${digest.map_index !== null && digest.map_index >= 0 ? `[${digest.map_index}]` : ''} (try ${digest.try_number ?? '?'})`
    : 'Failed task: unknown';
  const text = [
    ...(digest.error_line ? [digest.error_line] : []),
    ...digest.causes.map((c) => `caused by ${c}`),
    ...digest.context,
    ...(withStack ? digest.stack.slice(-4) : []),
  ];
  return [`${where}; class: ${digest.class}`, ...(text.length ? [untrusted('task log', text)] : [])];
}
