import * as z from 'zod';
import { PIPELINE_STATUS_FILTERS } from '../../service/list-pipelines.js';
import { duration, unavailableNote, when } from '../render.js';
import { pipelineSchema, runBriefSchema, runStatus, unavailableSchema } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({
  owner: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only pipelines with this owner (e.g. "data-platform")'),
  status: z
    .enum(PIPELINE_STATUS_FILTERS)
    .optional()
    .describe('Only pipelines whose latest run has this status, or "paused"'),
  orchestrator: z.string().min(1).max(100).optional().describe('Only this configured orchestrator'),
  tag: z.string().min(1).max(200).optional().describe('Only pipelines with this tag'),
  search: z.string().min(1).max(200).optional().describe('Case-insensitive substring of the pipeline id'),
  limit: z.number().int().min(1).max(500).default(15).describe('Page size (default 15, max 500)'),
  cursor: z.string().max(500).optional().describe('next_cursor from the previous page'),
});

const output = z.object({
  pipelines: z.array(
    pipelineSchema
      .omit({ description: true, url: true })
      .extend({ status: z.union([runStatus, z.literal('never_run')]), last_run: runBriefSchema.nullable() }),
  ),
  total: z.number().describe('Pipelines matching the filters, over all pages'),
  truncated: z.boolean(),
  next_cursor: z.string().nullable(),
  unavailable: unavailableSchema,
});

export const listAllPipelines = defineTool({
  name: 'list_all_pipelines',
  title: 'List pipelines',
  description:
    'List pipelines (Airflow DAGs, Dagster jobs, Prefect deployments) across every configured orchestrator, with owners, schedule, paused state and the latest run. Filter by owner, status, orchestrator, tag or name. Paged: says the total and gives next_cursor.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'List pipelines' },
  run: (service, args) => service.listPipelines(args),
  render: (out) => {
    const lines = [`${out.total} pipeline(s) match; showing ${out.pipelines.length}.`];
    for (const p of out.pipelines) {
      const flags = [p.paused ? 'PAUSED' : '', p.broken_error ? 'BROKEN' : ''].filter(Boolean).join(' ');
      const last = p.last_run
        ? p.last_run.finished_at
          ? `last run ${p.last_run.status} ${when(p.last_run.finished_at)} (took ${duration(p.last_run.duration_seconds)})`
          : `last run ${p.last_run.status} since ${when(p.last_run.started_at ?? p.last_run.queued_at)}`
        : 'never ran';
      lines.push(
        `- ${p.orchestrator}:${p.pipeline_id} [${p.status}]${flags ? ` ${flags}` : ''} owners=${p.owners.join(',') || '-'} schedule=${p.schedule ?? '-'}; ${last}`,
      );
    }
    if (out.next_cursor) lines.push(`More: call again with cursor="${out.next_cursor}".`);
    return [...lines, ...unavailableNote(out.unavailable)].join('\n');
  },
});
