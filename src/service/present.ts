import type { Pipeline, PipelineRun } from '../core/model.js';
import type { UntrustedText } from './text/untrusted.js';
import type { PipelineView, RunView } from './views.js';

export function presentRun(run: PipelineRun, text: UntrustedText): RunView {
  return {
    ...run,
    error_message: text.optional(run.error_message, 500),
    failed_tasks: run.failed_tasks.slice(0, 20),
  };
}

export function presentPipeline(pipeline: Pipeline, text: UntrustedText): PipelineView {
  return {
    orchestrator: pipeline.orchestrator,
    pipeline_id: pipeline.pipeline_id,
    description: text.optional(pipeline.description, 300),
    owners: pipeline.owners,
    tags: pipeline.tags,
    schedule: pipeline.schedule,
    paused: pipeline.paused,
    broken_error: pipeline.broken
      ? text.line(pipeline.broken.error.split('\n').filter(Boolean).pop() ?? '', 500)
      : null,
    url: pipeline.url,
  };
}
