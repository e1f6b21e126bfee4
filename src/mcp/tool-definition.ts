import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type * as z from 'zod';
import type { MonitorService } from '../service/monitor-service.js';

/** What a tool call offers beyond its arguments: progress reporting and the client's cancellation. */
export interface ToolCall {
  /** Sends an MCP progress notification when the client asked for progress; a no-op otherwise. */
  progress(message: string, progress: number, total?: number): Promise<void>;
  signal: AbortSignal;
  /** Who is calling, when the transport authenticated them (HTTP); null on stdio. */
  principal: Principal | null;
}

/** An authenticated caller: a stable id for the audit log and rate limits, and the scopes it was granted. */
export interface Principal {
  id: string;
  scopes: string[];
}

/** A tool as data: the MCP registration and the README table are both generated from these. */
export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Registered only when triggers are enabled in the configuration. */
  writes?: boolean;
  run(service: MonitorService, input: z.infer<I>, call: ToolCall): Promise<z.infer<O>>;
  /** Compact text for the model, beside the structured result. */
  render(output: z.infer<O>): string;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(
  tool: ToolDefinition<I, O>,
): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: true,
};
