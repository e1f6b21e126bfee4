import { isMonitorError } from '../../core/errors.js';
import type { ServiceContext } from '../context.js';
import { liveAdapter } from '../cached-adapter.js';
import type { AuditLog } from './audit-log.js';

/**
 * After a crash between an intent and its outcome, asks the orchestrator what happened and records it,
 * so the audit log and the rate limits account for a run that was started but never reported.
 */
export async function reconcileAudit(ctx: ServiceContext, audit: AuditLog): Promise<number> {
  const entries = audit.read();
  const closed = new Set(entries.filter((e) => e.decision !== 'intent').map((e) => e.id));
  const open = entries.filter((e) => e.decision === 'intent' && !closed.has(e.id));
  let reconciled = 0;
  for (const intent of open) {
    const adapter = ctx.registry.adapters.find((a) => a.name === intent.orchestrator);
    if (!adapter || !intent.idempotency_key) continue;
    const pipelineId = intent.pipeline.slice(adapter.name.length + 1);
    const live = liveAdapter(adapter);
    let runId: string | null = null;
    try {
      runId = (await live.getRun(pipelineId, intent.idempotency_key)).run_id;
    } catch (error) {
      if (!isMonitorError(error)) throw error;
      // Orchestrators that choose their own run ids: the newest run started since the intent.
      try {
        const since = new Date(Date.parse(intent.time) - 60_000);
        const runs = await live.listRuns({
          pipelineId,
          startedAfter: since,
          orderBy: 'started_at',
          limit: 1,
        });
        runId = runs.runs[0]?.run_id ?? null;
      } catch (inner) {
        if (!isMonitorError(inner)) throw inner;
        continue; // orchestrator unreachable: try again at the next start
      }
    }
    await audit.append({
      ...intent,
      time: new Date().toISOString(),
      decision: runId ? 'reconciled' : 'failed',
      run_id: runId,
      reason: runId
        ? 'outcome recovered after a restart: the orchestrator has the run'
        : 'outcome recovered after a restart: the orchestrator has no such run',
      latency_ms: null,
    });
    reconciled += 1;
  }
  return reconciled;
}
