/** Needed for everything on /mcp. */
export const READ_SCOPE = 'pipelines:read';
/** Needed, with READ_SCOPE, to call a write tool (start, re-run, cancel a run). */
export const TRIGGER_SCOPE = 'pipelines:trigger';

export const SUPPORTED_SCOPES = [READ_SCOPE, TRIGGER_SCOPE];
