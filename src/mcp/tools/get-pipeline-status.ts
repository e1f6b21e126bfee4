import * as z from 'zod';
import { digestLines, duration, runLine } from '../render.js';
import { digestSchema, pipelineIdInput, pipelineSchema, runSchema } from '../schemas.js';
import { READ_ONLY, defineTool } from '../tool-definition.js';

const input = z.object({ pipeline_id: pipelineIdInput });
const output = z.object({ pipeline: pipelineSchema, latest_run: runSchema.nullable(), digest: digestSchema });

export const getPipelineStatus = defineTool({
  name: 'get_pipeline_status',
  title: 'Latest status of a pipeline',
  description:
    'The latest run of one pipeline: status, start, end, duration and, if it failed, which task and the error. Also says whether the pipeline is paused or broken.',
  input,
  output,
  annotations: { ...READ_ONLY, title: 'Pipeline status' },
  run: (service, args) => service.getPipelineStatus(args.pipeline_id),
  render: (out) => {
    const p = out.pipeline;
    const head = `${p.orchestrator}:${p.pipeline_id}${p.paused ? ' (PAUSED)' : ''}${p.broken_error ? ` (BROKEN: ${p.broken_error})` : ''}, owners=${p.owners.join(',') || '-'}, schedule=${p.schedule ?? '-'}`;
    if (!out.latest_run) return `${head}\nNo runs yet.`;
    const lines = [head, `Latest run ${runLine(out.latest_run)}`];
    if (out.latest_run.status === 'success')
      lines.push(`It took ${duration(out.latest_run.duration_seconds)}.`);
    if (out.digest) lines.push(...digestLines(out.digest));
    return lines.join('\n');
  },
});
