import * as z from 'zod';
import { duration, runLine } from '../render.js';
import { analysisSchema, freshnessSchema } from '../history-schemas.js';
import { pipelineIdInput, pipelineSchema, runBriefSchema } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({
  pipeline_id: pipelineIdInput,
  limit: z
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('How many recent runs to list (default 10, max 200); the analysis always covers up to 60 days'),
});

const output = z.object({
  pipeline: pipelineSchema,
  runs: z.array(runBriefSchema),
  total_runs: z.number().nullable(),
  truncated: z.boolean(),
  analysis: analysisSchema,
  freshness: freshnessSchema,
});

export const getPipelineHistory = defineTool({
  name: 'get_pipeline_history',
  title: 'Recent runs of a pipeline',
  description:
    'The last N runs of one pipeline (newest first) with durations, and an analysis of up to 60 days of history: success rate, duration median/p95 and trend (getting slower?), whether the latest run is unusually slow, failure patterns by weekday or hour (fails every Monday?), flakiness, the current failing streak, time to recovery, and whether the scheduled run is late. Use for "how long does it take?", "does it fail every Monday?", "is it getting slower?".',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Pipeline history' },
  run: (service, args) => service.getPipelineHistory(args.pipeline_id, args.limit),
  render: (out) => {
    const a = out.analysis;
    const rate = a.success_rate === null ? '-' : `${Math.round(a.success_rate * 100)}%`;
    const lines = [
      `${out.pipeline.orchestrator}:${out.pipeline.pipeline_id}: ${a.counts.runs} run(s) over ${a.window.days ?? 0} day(s); success rate ${rate}; duration median ${duration(a.duration.median_seconds)}, p95 ${duration(a.duration.p95_seconds)}.`,
      ...a.summary.map((s) => `• ${s}`),
      `Freshness: ${out.freshness.summary}`,
      `Latest ${out.runs.length} run(s):`,
      ...out.runs.map((r) => `- ${runLine(r)}`),
    ];
    return lines.join('\n');
  },
});
