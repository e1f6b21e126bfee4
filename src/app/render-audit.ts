import type { AuditLog } from '../service/trigger/audit-log.js';

/** The newest audit entries, one readable line each, oldest first. */
export function renderAudit(audit: AuditLog, limit: number): string {
  const entries = audit.read().slice(-Math.max(1, Number.isFinite(limit) ? limit : 50));
  if (entries.length === 0) return `No audit entries in ${audit.path}.\n`;
  const lines = entries.map((e) =>
    [
      e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      e.decision.padEnd(10),
      e.pipeline,
      e.run_id ? `run=${e.run_id}` : '',
      e.client ? `client=${e.client}` : '',
      e.latency_ms !== null ? `${e.latency_ms}ms` : '',
      e.reason ? `— ${e.reason}` : '',
    ]
      .filter(Boolean)
      .join('  '),
  );
  return `${audit.path}\n${lines.join('\n')}\n`;
}
