import type { CallToolResult } from '@modelcontextprotocol/server';
import type { MonitorError } from '../core/errors.js';

const LABELS: Record<MonitorError['kind'], string> = {
  invalid_input: 'Invalid input',
  not_found: 'Not found',
  ambiguous: 'Ambiguous id',
  auth: 'Authentication failed',
  upstream_unavailable: 'Orchestrator unavailable',
  upstream_error: 'Orchestrator error',
  refused: 'Refused',
  unsupported: 'Not supported',
};

/** An expected failure as a tool result the model can act on: what happened and what to do next. */
export function errorResult(error: MonitorError): CallToolResult {
  const lines = [
    `${LABELS[error.kind]}${error.orchestrator ? ` (${error.orchestrator})` : ''}: ${error.message}`,
  ];
  if (error.candidates.length > 0 && !error.message.includes(error.candidates[0] as string)) {
    lines.push(`Candidates: ${error.candidates.join(', ')}`);
  }
  if (error.hint) lines.push(`Hint: ${error.hint}`);
  return { isError: true, content: [{ type: 'text', text: lines.join('\n') }] };
}
