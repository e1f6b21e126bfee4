import * as z from 'zod';
import { unavailableNote } from '../render.js';
import { failureClass, unavailableSchema } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({
  owner: z.string().min(1).max(200).optional().describe('Only this owner’s pipelines (e.g. "data-platform")'),
  orchestrator: z.string().min(1).max(100).optional().describe('Only this configured orchestrator'),
  hours: z
    .number()
    .gt(0)
    .max(24 * 7)
    .default(24)
    .describe('Look back this many hours for failures (default 24, at most 168)'),
});

const output = z.object({
  window_hours: z.number(),
  owner: z.string().nullable(),
  total_failures: z.number(),
  failed_pipelines: z.array(
    z.object({
      orchestrator: z.string(),
      pipeline_id: z.string(),
      failures: z.number(),
      last_failed_at: z.string().nullable(),
    }),
  ),
  causes: z.array(
    z.object({
      signature: z.string().nullable(),
      class: failureClass,
      error_line: z.string().nullable(),
      failures: z.number(),
      pipelines: z.array(z.string()),
    }),
  ),
  attention: z.array(
    z.object({
      orchestrator: z.string(),
      pipeline_id: z.string(),
      owners: z.array(z.string()),
      status: z.enum(['late', 'missing', 'long_running', 'slow_latest_run']),
      summary: z.string(),
      run_id: z.string().nullable(),
    }),
  ),
  checked_pipelines: z.number(),
  freshness_truncated: z.boolean(),
  unavailable: unavailableSchema,
});

export const getHealthSummary = defineTool({
  name: 'get_health_summary',
  title: 'What needs attention',
  description:
    'Morning triage in one call, optionally for one owner: failures of the last N hours grouped by cause, scheduled runs that are late or missing, runs running far longer than usual, and latest runs that were unusually slow. Follow up with get_run_details or get_pipeline_history.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Health summary' },
  run: (service, args) => service.getHealthSummary(args),
  render: (out) => {
    const lines = [
      `${out.owner ? `${out.owner}: ` : ''}${out.total_failures} failed run(s) in ${out.failed_pipelines.length} pipeline(s) in the last ${out.window_hours} h.`,
    ];
    for (const c of out.causes.slice(0, 8)) {
      lines.push(
        `- [${c.class}] ×${c.failures} ${c.pipelines.slice(0, 5).join(', ')}${c.pipelines.length > 5 ? ', …' : ''}: ${c.error_line ?? '?'} (untrusted log text)`,
      );
    }
    if (out.attention.length === 0)
      lines.push(
        `No late, missing, stuck or unusually slow runs among ${out.checked_pipelines} scheduled pipeline(s).`,
      );
    for (const a of out.attention)
      lines.push(`- ${a.status.replace('_', ' ')}: ${a.orchestrator}:${a.pipeline_id} — ${a.summary}`);
    if (out.freshness_truncated)
      lines.push(`(freshness checked for the first ${out.checked_pipelines} scheduled pipelines only)`);
    return [...lines, ...unavailableNote(out.unavailable)].join('\n');
  },
});
