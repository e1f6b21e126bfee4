import { mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

export type AuditDecision = 'intent' | 'accepted' | 'refused' | 'failed' | 'reconciled';

/** One line of the append-only audit log (JSON Lines). */
export interface AuditEntry {
  time: string;
  /** Ties an intent to its outcome. */
  id: string;
  decision: AuditDecision;
  tool: string;
  orchestrator: string | null;
  pipeline: string;
  principal: string | null;
  client: string | null;
  /** Parameters with secrets redacted, and the digest of the exact parameters. */
  params: Record<string, unknown>;
  params_digest: string;
  idempotency_key: string | null;
  reason: string | null;
  run_id: string | null;
  latency_ms: number | null;
}

/**
 * Append-only audit log. Every record is written and flushed to disk (fdatasync) before `append`
 * resolves, so an intent is durable before the orchestrator is called.
 */
export class AuditLog {
  constructor(readonly path: string) {}

  async append(entry: AuditEntry): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const file = await open(this.path, 'a', 0o600);
    try {
      await file.write(`${JSON.stringify(entry)}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
  }

  /** Every readable entry, oldest first; a torn last line (a crash mid-write) is skipped. */
  read(): AuditEntry[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as AuditEntry);
      } catch {
        // torn write
      }
    }
    return entries;
  }
}
