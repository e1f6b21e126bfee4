import type { OrchestratorAdapter } from '../../core/adapter.js';
import { isMonitorError } from '../../core/errors.js';
import type { PipelineRun } from '../../core/model.js';
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
 * The run an intent started, asked of the orchestrator: by the intent's key where the orchestrator takes our
 * run id, else the newest run started since the intent. null: the orchestrator has no such run; undefined:
 * it could not be asked.
 */
export async function findIntentRun(
  adapter: OrchestratorAdapter,
  pipelineId: string,
  intent: Pick<AuditEntry, 'time' | 'idempotency_key'>,
): Promise<PipelineRun | null | undefined> {
  const live = liveAdapter(adapter);
  if (intent.idempotency_key) {
    try {
      return await live.getRun(pipelineId, intent.idempotency_key);
    } catch (error) {
      if (!isMonitorError(error)) throw error;
    }
  }
  try {
    const runs = await live.listRuns({
      pipelineId,
      startedAfter: new Date(Date.parse(intent.time) - 60_000),
      orderBy: 'started_at',
      limit: 1,
    });
    return runs.runs[0] ?? null;
  } catch (error) {
    if (!isMonitorError(error)) throw error;
    return undefined;
  }
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
  const found = await findIntentRun(adapter, intent.pipeline.slice(adapter.name.length + 1), intent);
  if (found === undefined) return false; // orchestrator unreachable: try again at the next start
  const runId = found?.run_id ?? null;
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
