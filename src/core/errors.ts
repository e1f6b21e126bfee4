/**
 * Expected failures: they become MCP tool results with isError: true and a recovery hint.
 * Anything else that is thrown is a bug.
 */
export type ErrorKind =
  | 'invalid_input'
  | 'not_found'
  | 'ambiguous'
  | 'auth'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'refused'
  | 'unsupported';

export interface MonitorErrorOptions {
  orchestrator?: string;
  hint?: string;
  candidates?: string[];
  cause?: unknown;
}

export class MonitorError extends Error {
  readonly kind: ErrorKind;
  readonly orchestrator: string | undefined;
  readonly hint: string | undefined;
  readonly candidates: string[];

  constructor(kind: ErrorKind, message: string, options: MonitorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MonitorError';
    this.kind = kind;
    this.orchestrator = options.orchestrator;
    this.hint = options.hint;
    this.candidates = options.candidates ?? [];
  }
}

export function isMonitorError(e: unknown): e is MonitorError {
  return e instanceof MonitorError;
}
