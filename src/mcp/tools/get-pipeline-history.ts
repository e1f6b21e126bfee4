import * as z from 'zod';
import { duration, runLine } from '../render.js';
import { pipelineIdInput, pipelineSchema, runSchema } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({
  pipeline_id: pipelineIdInput,
  limit: z.number().int().min(1).max(200).default(20).describe('How many recent runs (default 20, max 200)'),
});

const output = z.object({
  pipeline: pipelineSchema,
  runs: z.array(runSchema),
  stats: z.object({
    runs: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    active: z.number(),
    success_rate: z.number().nullable().describe('Succeeded / finished, 0..1'),
    duration_median_seconds: z.number().nullable().describe('Over successful runs'),
    duration_p95_seconds: z.number().nullable(),
    duration_min_seconds: z.number().nullable(),
    duration_max_seconds: z.number().nullable(),
    last_success_at: z.string().nullable(),
    last_failure_at: z.string().nullable(),
  }),
  total_runs: z.number().nullable(),
  truncated: z.boolean(),
});

export const getPipelineHistory = defineTool({
  name: 'get_pipeline_history',
  title: 'Recent runs of a pipeline',
  description:
    'The last N runs of one pipeline (newest first) with durations, plus success rate and duration median/p95. Use for "how long does it take?" and "is it failing a lot?".',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Pipeline history' },
  run: (service, args) => service.getPipelineHistory(args.pipeline_id, args.limit),
  render: (out) => {
    const s = out.stats;
    const rate = s.success_rate === null ? '-' : `${Math.round(s.success_rate * 100)}%`;
    const lines = [
      `${out.pipeline.orchestrator}:${out.pipeline.pipeline_id}: ${s.runs} run(s) shown${out.total_runs !== null ? ` of ${out.total_runs}` : ''}; success rate ${rate}; duration median ${duration(s.duration_median_seconds)}, p95 ${duration(s.duration_p95_seconds)}.`,
      ...out.runs.map((r) => `- ${runLine(r)}`),
    ];
    return lines.join('\n');
  },
});
