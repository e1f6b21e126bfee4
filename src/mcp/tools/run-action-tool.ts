import * as z from 'zod';
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import { pipelineIdInput, runIdInput } from '../schemas.js';
import { defineTool, type ToolDefinition } from '../tool-definition.js';
import {
  confirmationTokenInput,
  reasonInput,
  renderWriteResult,
  waitSecondsInput,
  writeResultSchema,
} from './write-result.js';

interface RunActionSpec {
  name: string;
  title: string;
  description: string;
  action: 'rerun' | 'cancel';
  runIdDescription: string;
  destructive: boolean;
}

/** A guarded write on one existing run (re-run its failed tasks, cancel it): same guard, confirmation and audit. */
export function runActionTool(spec: RunActionSpec): ToolDefinition {
  const input = z.object({
    pipeline_id: pipelineIdInput,
    run_id: runIdInput.describe(spec.runIdDescription),
    reason: reasonInput,
    confirmation_token: confirmationTokenInput,
    wait_seconds: waitSecondsInput,
  });
  const annotations: ToolAnnotations = {
    title: spec.title,
    readOnlyHint: false,
    destructiveHint: spec.destructive,
    idempotentHint: true,
    openWorldHint: true,
  };
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input,
    output: writeResultSchema,
    annotations,
    writes: true,
    run: (service, args, call) =>
      service.triggerPipeline({
        ...args,
        conf: {},
        action: spec.action,
        progress: call.progress,
        signal: call.signal,
        principal: call.principal?.id ?? null,
      }),
    render: (out) => renderWriteResult(spec.name, out),
  });
}
