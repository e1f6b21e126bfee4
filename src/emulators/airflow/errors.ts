/** Errors shaped like FastAPI's: `{"detail": ...}`, and 422 `{"detail": [ValidationError, ...]}`. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

/** One pydantic validation error. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export class ValidationFailure extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
  }
}

export function notFound(detail: string): HttpError {
  return new HttpError(404, detail);
}

export function badRequest(detail: string): HttpError {
  return new HttpError(400, detail);
}
