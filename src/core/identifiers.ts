import { MonitorError } from './errors.js';

/** Longest id accepted from a caller; Airflow's own limit for dag_id and run_id is 250. */
export const MAX_ID_LENGTH = 250;

// Letters, digits and the punctuation real orchestrators use in ids:
// Airflow `[\w.-]` (+ `:` `+` in run ids), Prefect `flow/deployment` and spaces, Dagster UUIDs and
// dynamic step keys (`op[key]`).
const ALLOWED = /^[\p{L}\p{N}_.\-/:+@ [\]]+$/u;

/**
 * Rejects ids that no orchestrator could accept and that would be dangerous in a URL path:
 * traversal segments, percent-encoding, control, format (invisible, bidi) and other hidden characters.
 * Checked before any upstream request is made.
 */
export function assertSafeId(value: string, field: string): string {
  const hint = `${field} must be 1-${MAX_ID_LENGTH} letters, digits or _ . - / : + @ [ ] characters`;
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new MonitorError('invalid_input', `${field} is ${value.length === 0 ? 'empty' : 'too long'}.`, {
      hint,
    });
  }
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(value)) {
    throw new MonitorError('invalid_input', `${field} contains control or invisible characters.`, { hint });
  }
  if (value.includes('%') || value.includes('\\')) {
    throw new MonitorError('invalid_input', `${field} contains '%' or '\\', which no orchestrator id uses.`, {
      hint,
    });
  }
  if (!ALLOWED.test(value)) {
    throw new MonitorError('invalid_input', `${field} contains characters that no orchestrator id uses.`, {
      hint,
    });
  }
  if (value.split('/').some((segment) => segment === '.' || segment === '..') || value !== value.trim()) {
    throw new MonitorError(
      'invalid_input',
      `${field} is not a valid id (path segments or surrounding spaces).`,
      {
        hint,
      },
    );
  }
  return value;
}

export interface QualifiedId {
  orchestrator: string | null;
  id: string;
}

/** Splits `<orchestrator>:<id>` when the prefix names a configured orchestrator. */
export function splitQualifiedId(value: string, orchestratorNames: readonly string[]): QualifiedId {
  const colon = value.indexOf(':');
  if (colon > 0) {
    const prefix = value.slice(0, colon);
    if (orchestratorNames.includes(prefix)) return { orchestrator: prefix, id: value.slice(colon + 1) };
  }
  return { orchestrator: null, id: value };
}

export function qualify(orchestrator: string, id: string): string {
  return `${orchestrator}:${id}`;
}
