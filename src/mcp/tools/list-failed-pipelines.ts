import * as z from 'zod';
import { digestSchema, failureClass, runSchema, unavailableSchema } from '../schemas.js';
import { unavailableNote, when } from '../render.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({
  hours: z
    .number()
    .gt(0)
    .max(24 * 90)
    .default(24)
    .describe('Look back this many hours (default 24, at most 2160 = 90 days)'),
  owner: z.string().min(1).max(200).optional().describe('Only pipelines with this owner'),
  orchestrator: z.string().min(1).max(100).optional().describe('Only this configured orchestrator'),
  limit: z.number().int().min(1).max(500).default(50).describe('Failed runs per page (default 50, max 500)'),
  digests: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(10)
    .describe(
      'How many failures to read logs for to find the cause (newest failure of each pipeline first; default 10)',
    ),
  cursor: z.string().max(500).optional().describe('next_cursor from the previous page'),
});

const output = z.object({
  window_hours: z.number(),
  since: z.string(),
  total_failures: z.number().describe('Failed runs in the window, over all pages'),
  failed_pipelines: z
    .array(
      z.object({
        orchestrator: z.string(),
        pipeline_id: z.string(),
        failures: z.number(),
        last_failed_at: z.string().nullable(),
      }),
    )
    .describe('Every pipeline with a failure in the window, even when failures is paged'),
  failures: z.array(
    runSchema.extend({ owners: z.array(z.string()), failed_at: z.string().nullable(), digest: digestSchema }),
  ),
  causes: z
    .array(
      z.object({
        signature: z.string().nullable(),
        class: failureClass,
        error_line: z.string().nullable(),
        failures: z.number(),
        pipelines: z.array(z.string()),
      }),
    )
    .describe(
      'Digested failures grouped by cause, largest first: one cause breaking many pipelines is one entry',
    ),
  digested: z.number(),
  truncated: z.boolean(),
  next_cursor: z.string().nullable(),
  incomplete: z.boolean().describe('True when an orchestrator had more failed runs than one sweep reads'),
  unavailable: unavailableSchema,
});

export const listFailedPipelines = defineTool({
  name: 'list_failed_pipelines',
  title: 'Failed runs in a time window',
  description:
    'Every pipeline run that failed in the last N hours (default 24) across all orchestrators — not just each pipeline’s latest run — newest first, with the failed task and the error line for the most recent ones. Use for "what broke overnight?". Then get_run_details or get_task_logs for one failure.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Failed runs' },
  run: (service, args) => service.listFailures(args),
  render: (out) => {
    const lines = [
      `${out.total_failures} failed run(s) in ${out.failed_pipelines.length} pipeline(s) since ${when(out.since)}${out.incomplete ? ' (at least; sweep bound reached)' : ''}.`,
    ];
    const shared = out.causes.filter((c) => c.failures > 1);
    for (const c of shared) {
      lines.push(
        `${c.failures} failures in ${c.pipelines.length} pipeline(s) share one cause [${c.class}]: ${c.error_line ?? '?'} (untrusted log text) — ${c.pipelines.slice(0, 8).join(', ')}${c.pipelines.length > 8 ? ', …' : ''}`,
      );
    }
    for (const f of out.failures) {
      const task = f.digest?.failed_task ?? f.failed_tasks[0];
      lines.push(
        `- ${f.orchestrator}:${f.pipeline_id} run ${f.run_id} failed ${when(f.failed_at)}${task ? ` at task ${task}` : ''}; owners=${f.owners.join(',') || '-'}`,
      );
      if (f.error_message) {
        lines.push(
          `  ${f.digest ? `[${f.digest.class}] ` : ''}error (untrusted log text): ${f.error_message}`,
        );
      }
    }
    if (out.digested < out.total_failures) {
      lines.push(
        `Causes read for ${out.digested} of ${out.total_failures} failures (raise digests, or get_run_details for one).`,
      );
    }
    if (out.next_cursor) lines.push(`More failures: call again with cursor="${out.next_cursor}".`);
    return [...lines, ...unavailableNote(out.unavailable)].join('\n');
  },
});
