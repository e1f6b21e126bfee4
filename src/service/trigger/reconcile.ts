import { isMonitorError } from '../../core/errors.js';
import type { ServiceContext } from '../context.js';
import { liveAdapter } from '../cached-adapter.js';
import type { AuditEntry } from './audit-log.js';
import type { TriggerStore } from './store.js';

/**
 * After a crash between an intent and its outcome, asks the orchestrator what happened and records it,
 * so the audit log and the rate limits account for a run that was started but never reported. Each intent
 * is settled under its pipeline's lock: a live process holding that lock may still be calling the
 * orchestrator for it (another replica), and then the intent is not ours to settle.
 */
export async function reconcileAudit(ctx: ServiceContext, store: TriggerStore): Promise<number> {
  let reconciled = 0;
  for (const candidate of await store.openIntents()) {
    const settled = await store.withPipelineLock(candidate.pipeline, async () => {
      const open = await store.openIntents(candidate.pipeline);
      const intent = open.find((e) => e.id === candidate.id);
      return intent ? reconcileIntent(ctx, store, intent) : false;
    });
    if (settled) reconciled += 1;
  }
  return reconciled;
}

/**
 * Records the outcome of one open intent from the orchestrator's answer; false when the orchestrator
 * could not be asked (try again later). Call with the pipeline's lock held.
 */
export async function reconcileIntent(
  ctx: ServiceContext,
  store: TriggerStore,
  intent: AuditEntry,
): Promise<boolean> {
  const adapter = ctx.registry.adapters.find((a) => a.name === intent.orchestrator);
  if (!adapter || !intent.idempotency_key) return false;
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
      return false; // orchestrator unreachable: try again at the next start
    }
  }
  await store.append({
    ...intent,
    time: new Date().toISOString(),
    decision: runId ? 'reconciled' : 'failed',
    run_id: runId,
    reason: runId
      ? 'outcome recovered after a restart: the orchestrator has the run'
      : 'outcome recovered after a restart: the orchestrator has no such run',
    latency_ms: null,
  });
  return true;
}
