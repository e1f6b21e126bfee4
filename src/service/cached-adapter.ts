import type {
  AdapterCapabilities,
  LogRequest,
  OrchestratorAdapter,
  PipelineQuery,
  RerunRequest,
  RunList,
  RunQuery,
  TriggerRequest,
} from '../core/adapter.js';
import type { LogSlice, OrchestratorType, Pipeline, PipelineRun, TaskRun } from '../core/model.js';
import { MonitorError } from '../core/errors.js';
import { TtlCache } from './ttl-cache.js';

/** How long an identical read is reused; nothing older is ever served. */
export const READ_CACHE_TTL_MS = 10_000;

// Small log reads (failure digests) are cached too, within a fixed memory bound: 64 × 64 KiB.
const MAX_CACHED_LOG_BYTES = 64 * 1024;
const MAX_CACHED_LOGS = 64;

/** The uncached adapter behind a cached one. */
export function liveAdapter(adapter: OrchestratorAdapter): OrchestratorAdapter {
  return adapter instanceof CachedAdapter ? adapter.live : adapter;
}

/**
 * Reuses identical reads for a few seconds and coalesces concurrent identical calls into one upstream
 * request, so a burst of the same question costs the orchestrator once. Only small log reads are cached;
 * a trigger clears this orchestrator's cache so the new run shows at once.
 */
export class CachedAdapter implements OrchestratorAdapter {
  readonly name: string;
  readonly type: OrchestratorType;
  readonly capabilities: AdapterCapabilities;
  private readonly cache: TtlCache<unknown>;
  private readonly logs: TtlCache<LogSlice>;

  constructor(
    /** The adapter itself, for reads that must be fresh (the trigger guard). */
    readonly live: OrchestratorAdapter,
    ttlMs = READ_CACHE_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.name = live.name;
    this.type = live.type;
    this.capabilities = live.capabilities;
    this.cache = new TtlCache(ttlMs, now, 512);
    this.logs = new TtlCache(ttlMs, now, MAX_CACHED_LOGS);
  }

  private read<T>(key: unknown[], load: () => Promise<T>): Promise<T> {
    return this.cache.get(JSON.stringify(key), load) as Promise<T>;
  }

  listPipelines(query: PipelineQuery): Promise<Pipeline[]> {
    return this.read(['listPipelines', query], () => this.live.listPipelines(query));
  }

  getPipeline(pipelineId: string): Promise<Pipeline> {
    return this.read(['getPipeline', pipelineId], () => this.live.getPipeline(pipelineId));
  }

  async latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>> {
    const entries = await this.read(['latestRuns', pipelineIds], async () => [
      ...(await this.live.latestRuns(pipelineIds)),
    ]);
    return new Map(entries);
  }

  listRuns(query: RunQuery): Promise<RunList> {
    return this.read(['listRuns', query], () => this.live.listRuns(query));
  }

  getRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    return this.read(['getRun', pipelineId, runId], () => this.live.getRun(pipelineId, runId));
  }

  listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]> {
    return this.read(['listTaskRuns', pipelineId, runId], () => this.live.listTaskRuns(pipelineId, runId));
  }

  getTaskLog(pipelineId: string, runId: string, request: LogRequest): Promise<LogSlice> {
    if (request.maxBytes > MAX_CACHED_LOG_BYTES) return this.live.getTaskLog(pipelineId, runId, request);
    const key = JSON.stringify([pipelineId, runId, request]);
    return this.logs.get(key, () => this.live.getTaskLog(pipelineId, runId, request));
  }

  triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun> {
    return this.write(() => this.live.triggerRun(pipelineId, request));
  }

  rerunFailed(pipelineId: string, runId: string, request: RerunRequest): Promise<PipelineRun> {
    if (!this.live.rerunFailed)
      throw new MonitorError('unsupported', `${this.name} cannot re-run failed tasks yet.`, {
        orchestrator: this.name,
      });
    return this.write(() => this.live.rerunFailed!(pipelineId, runId, request));
  }

  cancelRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    if (!this.live.cancelRun)
      throw new MonitorError('unsupported', `${this.name} cannot cancel runs yet.`, {
        orchestrator: this.name,
      });
    return this.write(() => this.live.cancelRun!(pipelineId, runId));
  }

  private async write(action: () => Promise<PipelineRun>): Promise<PipelineRun> {
    try {
      return await action();
    } finally {
      this.cache.clear();
      this.logs.clear();
    }
  }

  close(): Promise<void> {
    return this.live.close();
  }
}
