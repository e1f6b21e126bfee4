/** Errors shaped like Prefect's FastAPI server: `{"detail": "..."}`, and 422 `{"detail": [ValidationError, ...]}`. */

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(JSON.stringify(body));
  }
}

/** One pydantic v2 validation error. */
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

export function detail(status: number, text: string, headers: Record<string, string> = {}): HttpError {
  return new HttpError(status, { detail: text }, headers);
}

export function notFound(text: string): HttpError {
  return detail(404, text);
}
