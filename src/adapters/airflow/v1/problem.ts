import { extractDetail } from '../../http/index.js';

/**
 * Airflow 2 answers errors with RFC 7807 problem details: `{type, title, status, detail, instance?}`.
 * The message is the detail (specific to this occurrence), or the title when the detail is empty; the
 * `type` URL is documentation, not a message. Bodies of any other shape (a proxy's) fall back to the
 * generic reading.
 */
export function problemDetail(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return extractDetail(body);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return extractDetail(body);
  const problem = parsed as Record<string, unknown>;
  const isProblem = typeof problem.title === 'string' && ('status' in problem || 'type' in problem);
  if (!isProblem) return extractDetail(body);
  const detail = typeof problem.detail === 'string' ? problem.detail.trim() : '';
  if (detail.length > 0) return detail;
  if (problem.detail !== null && typeof problem.detail === 'object') return extractDetail(body);
  const title = (problem.title as string).trim();
  return title.length > 0 ? title : null;
}
