import * as z from 'zod';
import { digestLines, duration, runLine } from '../render.js';
import {
  digestSchema,
  pipelineIdInput,
  pipelineSchema,
  runIdInput,
  runSchema,
  runStatus,
} from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({ pipeline_id: pipelineIdInput, run_id: runIdInput });

const output = z.object({
  pipeline: pipelineSchema,
  run: runSchema,
  tasks: z.array(
    z.object({
      task_id: z.string(),
      status: runStatus,
      native_status: z.string(),
      try_number: z.number(),
      max_tries: z.number().nullable(),
      started_at: z.string().nullable(),
      finished_at: z.string().nullable(),
      duration_seconds: z.number().nullable(),
      mapped: z
        .object({
          instances: z.number(),
          by_status: z.partialRecord(runStatus, z.number()),
          failed_map_indexes: z.array(z.number()),
        })
        .nullable(),
    }),
  ),
  task_count: z.number(),
  failed_tasks: z.array(z.string()),
  digest: digestSchema,
  truncated: z.boolean(),
});

export const getRunDetails = defineTool({
  name: 'get_run_details',
  title: 'Task breakdown of a run',
  description:
    'Task-level breakdown of one run: each task’s status, tries and duration (mapped tasks summarized), which task failed and the error from its log. Use after list_failed_pipelines or get_pipeline_history.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Run details' },
  run: (service, args) => service.getRunDetails(args.pipeline_id, args.run_id),
  render: (out) => {
    const lines = [
      `${out.run.orchestrator}:${out.run.pipeline_id} run ${runLine(out.run)}`,
      `${out.task_count} task(s):`,
    ];
    for (const t of out.tasks) {
      const mapped = t.mapped
        ? ` [${t.mapped.instances} mapped: ${Object.entries(t.mapped.by_status)
            .map(([k, v]) => `${v} ${k}`)
            .join(
              ', ',
            )}${t.mapped.failed_map_indexes.length ? `; failed indexes ${t.mapped.failed_map_indexes.join(',')}` : ''}]`
        : '';
      lines.push(
        `- ${t.task_id}: ${t.native_status}, try ${t.try_number}, ${duration(t.duration_seconds)}${mapped}`,
      );
    }
    if (out.truncated) lines.push('(task list cut; failed tasks are all shown)');
    if (out.digest) lines.push(...digestLines(out.digest, true), 'Full log tail: get_task_logs.');
    return lines.join('\n');
  },
});
