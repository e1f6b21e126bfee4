import type { ServiceContext } from './context.js';
import { listFailures, type ListFailuresInput, type SweepCache } from './list-failures.js';
import { listPipelines, type CatalogCache, type ListPipelinesInput } from './list-pipelines.js';
import { getHealthSummary } from './health-summary.js';
import { getPipelineHistory } from './pipeline-history.js';
import { getPipelineStatus } from './pipeline-status.js';
import { getRunDetails } from './run-details.js';
import { getTaskLogs, type TaskLogsInput } from './task-logs.js';
import { LocalTriggerStore } from './trigger/local-store.js';
import { reconcileAudit } from './trigger/reconcile.js';
import type { TriggerStore } from './trigger/store.js';
import { triggerPipeline, type TriggerInput, type TriggerState } from './trigger/trigger-pipeline.js';
import { TtlCache } from './ttl-cache.js';

/** How long a merged pipeline listing is reused (pages of one listing stay consistent). */
export const CATALOG_TTL_MS = 30_000;

/** The monitoring operations over every configured orchestrator; what the MCP tools call. */
export class MonitorService {
  private readonly catalog: CatalogCache;
  private readonly triggerState: TriggerState;
  private readonly sweeps: SweepCache;

  /** `store`: where trigger state lives; by default the local audit file and in-process locks. */
  constructor(
    readonly ctx: ServiceContext,
    store: TriggerStore = new LocalTriggerStore(ctx.triggers.audit_log),
  ) {
    this.catalog = new TtlCache(CATALOG_TTL_MS);
    this.triggerState = { store };
    this.sweeps = new TtlCache(ctx.readCacheTtlMs, Date.now, 64);
  }

  get triggersEnabled(): boolean {
    return this.ctx.triggers.enabled;
  }

  get orchestratorNames(): string[] {
    return this.ctx.registry.names;
  }

  listPipelines(input: ListPipelinesInput) {
    return listPipelines(this.ctx, this.catalog, input);
  }

  listFailures(input: ListFailuresInput) {
    return listFailures(this.ctx, input, this.sweeps);
  }

  getHealthSummary(input: { hours: number; owner?: string; orchestrator?: string }) {
    return getHealthSummary(this.ctx, input, this.sweeps);
  }

  getPipelineStatus(pipelineId: string) {
    return getPipelineStatus(this.ctx, pipelineId);
  }

  getPipelineHistory(pipelineId: string, limit: number) {
    return getPipelineHistory(this.ctx, pipelineId, limit);
  }

  getRunDetails(pipelineId: string, runId: string) {
    return getRunDetails(this.ctx, pipelineId, runId);
  }

  getTaskLogs(input: TaskLogsInput) {
    return getTaskLogs(this.ctx, input);
  }

  async triggerPipeline(input: TriggerInput) {
    const result = await triggerPipeline(this.ctx, this.triggerState, input);
    this.catalog.clear();
    this.sweeps.clear();
    return result;
  }

  /** Records the outcome of triggers interrupted by a crash; call once at startup. */
  reconcileTriggers(): Promise<number> {
    return this.ctx.triggers.enabled ? reconcileAudit(this.ctx, this.triggerState.store) : Promise.resolve(0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.ctx.registry.adapters.map((a) => a.close()), this.triggerState.store.close()]);
  }
}
