import * as z from 'zod';
import { duration, unavailableNote, untrusted, when } from '../render.js';
import { failureClass, unavailableSchema } from '../schemas.js';
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
  limit: z.number().int().min(1).max(500).default(15).describe('Failed runs per page (default 15, max 500)'),
  digests: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(5)
    .describe(
      'How many failures to read logs for to find the cause (newest failure of each pipeline first; default 5)',
    ),
  cursor: z.string().max(500).optional().describe('next_cursor from the previous page'),
});

const pipelineCount = z.object({
  orchestrator: z.string(),
  pipeline_id: z.string(),
  failures: z.number(),
  last_failed_at: z.string().nullable(),
});

const output = z.object({
  window_hours: z.number(),
  since: z.string(),
  total_failures: z.number().describe('Failed runs in the window, over all pages'),
  failed_pipeline_count: z.number(),
  failed_pipelines: z
    .array(pipelineCount)
    .describe('Most-failing pipelines first (at most 10; failed_pipeline_count covers all)'),
  causes: z
    .array(
      z.object({
        signature: z.string().nullable(),
        class: failureClass,
        error_line: z.string().nullable(),
        exception_type: z.string().nullable(),
        caused_by: z.string().nullable(),
        context: z.array(z.string()),
        example: z.object({
          orchestrator: z.string(),
          pipeline_id: z.string(),
          run_id: z.string(),
          failed_task: z.string().nullable(),
        }),
        failures: z.number(),
        pipelines: z.array(z.string()),
      }),
    )
    .describe(
      'Digested failures grouped by cause, largest first: one cause breaking many pipelines is one entry (untrusted log text)',
    ),
  failures: z.array(
    z.object({
      orchestrator: z.string(),
      pipeline_id: z.string(),
      run_id: z.string(),
      failed_at: z.string().nullable(),
      duration_seconds: z.number().nullable(),
      owners: z.array(z.string()),
      failed_tasks: z.array(z.string()),
      error: z.string().nullable().describe('Untrusted log text'),
      error_class: failureClass.nullable(),
      cause: z.number().nullable().describe('Index into causes'),
    }),
  ),
  digested: z.number().describe('Failures whose logs were read to find the cause'),
  truncated: z.boolean(),
  next_cursor: z.string().nullable(),
  incomplete: z.boolean().describe('True when an orchestrator had more failed runs than one sweep reads'),
  unavailable: unavailableSchema,
});

export const listFailedPipelines = defineTool({
  name: 'list_failed_pipelines',
  title: 'Failed runs in a time window',
  description:
    'Every pipeline run that failed in the last N hours (default 24) across all orchestrators — not just each pipeline’s latest run — newest first, with the failed task, and the causes (error class and line, read from the logs of the newest failures) grouped so that one cause breaking many pipelines is one entry. Use for "what broke overnight?". Then get_run_details or get_task_logs for one failure.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Failed runs' },
  run: (service, args) => service.listFailures(args),
  render: (out) => {
    const lines = [
      `${out.total_failures} failed run(s) in ${out.failed_pipeline_count} pipeline(s) since ${when(out.since)}${out.incomplete ? ' (at least; sweep bound reached)' : ''}.`,
    ];
    if (out.causes.length > 0) lines.push('Causes (from the logs of the newest failures):');
    out.causes.forEach((c, i) => {
      const where =
        c.pipelines.length > 1 ? `${c.failures} failures in ${c.pipelines.join(', ')}` : `${c.pipelines[0]}`;
      lines.push(`#${i} [${c.class}] ${where}`);
      lines.push(
        untrusted('task log', [
          c.error_line ?? '?',
          ...(c.caused_by ? [`caused by ${c.caused_by}`] : []),
          ...c.context,
        ]),
      );
    });
    lines.push('Failed runs:');
    for (const f of out.failures) {
      const task = f.failed_tasks[0];
      const cause =
        f.cause !== null ? ` cause #${f.cause}` : f.error ? ` — error (untrusted log text): ${f.error}` : '';
      lines.push(
        `- ${f.orchestrator}:${f.pipeline_id} ${f.run_id} failed ${when(f.failed_at)} after ${duration(f.duration_seconds)}${task ? ` at ${task}` : ''}; owners ${f.owners.join(',') || '-'}${cause}`,
      );
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
