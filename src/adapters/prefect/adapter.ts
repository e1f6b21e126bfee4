import type {
  AdapterCapabilities,
  LogRequest,
  OrchestratorAdapter,
  PipelineQuery,
  RerunRequest,
  RunList,
  RunQuery,
  TriggerRequest,
} from '../../core/adapter.js';
import type { OrchestratorConfig } from '../../core/config.js';
import { MonitorError } from '../../core/errors.js';
import { assertSafeId } from '../../core/identifiers.js';
import type { LogSlice, Pipeline, PipelineRun, TaskRun } from '../../core/model.js';
import { mapWithConcurrency } from '../http/index.js';
import { MAX_PAGE_LIMIT, PrefectClient, type NotFound, type PrefectClientOptions } from './client.js';
import { readLogTail } from './log-tail.js';
import {
  FAILED_STATE_TYPES,
  failureMessage,
  isFailedTaskRun,
  pipelineIdOf,
  splitPipelineId,
  stateTypesFor,
  taskIds,
  toPipeline,
  toPipelineRun,
  toTaskRun,
  uiBaseOf,
  type MappingContext,
} from './mapping.js';
import {
  CountSchema,
  DeploymentListSchema,
  DeploymentSchema,
  FlowListSchema,
  FlowRunListSchema,
  FlowRunSchema,
  OrchestrationResultSchema,
  LogListSchema,
  TaskRunListSchema,
  type PrefectDeployment,
  type PrefectFlowRun,
  type PrefectTaskRun,
} from './schemas.js';

export interface PrefectAdapterOptions extends PrefectClientOptions {
  /** Requests in flight for per-deployment fallbacks (latestRuns). Default 8. */
  concurrency?: number;
  /** Bound on pages followed for one listing. Default 100. */
  maxPages?: number;
  /** Bound on log pages read for one log tail. Default 200. */
  maxLogPages?: number;
  /** Bound on runs one listRuns call returns, whatever the caller asks. Default 10 000. */
  maxRuns?: number;
  /** How long deployment and flow names are remembered, in ms. Default 60 000. */
  cacheTtlMs?: number;
  /** Grouped rounds latestRuns makes before asking per deployment. Default 3. */
  latestRounds?: number;
  /** The clock that separates due runs from upcoming schedule slots (tests set the world's). */
  now?: () => Date;
}

const FIND_PIPELINES_HINT =
  'use list_all_pipelines to find ids (Prefect ids are <flow name>/<deployment name>)';
const FIND_RUNS_HINT = 'use the pipeline run history to find run ids (Prefect flow run ids are UUIDs)';
const MAX_LOG_BYTES = 16 * 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Tag put on the runs this server creates. */
export const TRIGGER_TAG = 'pipeline-monitor';

interface DeploymentInfo {
  deployment: PrefectDeployment;
  flowName: string;
  pipelineId: string;
  at: number;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isoDate(value: Date | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new MonitorError('invalid_input', `${field} is not a valid date.`);
  }
  return value.toISOString();
}

/**
 * Prefect 3 (REST API; 2.x servers too) behind the orchestrator-neutral adapter interface.
 * Pipelines are deployments, identified as `<flow name>/<deployment name>`; runs are flow runs (UUIDs).
 */
export class PrefectAdapter implements OrchestratorAdapter {
  readonly name: string;
  readonly type = 'prefect' as const;
  readonly capabilities: AdapterCapabilities = {
    crossPipelineRunQuery: true,
    taskLogs: true,
    trigger: true,
    rerunFailed: true,
    cancel: true,
  };
  private readonly client: PrefectClient;
  private readonly ctx: MappingContext;
  private readonly concurrency: number;
  private readonly maxPages: number;
  private readonly maxLogPages: number;
  private readonly maxRuns: number;
  private readonly ttl: number;
  private readonly rounds: number;
  private readonly byId = new Map<string, DeploymentInfo>();
  private readonly byPipeline = new Map<string, string>();
  private readonly flowNames = new Map<string, { name: string; at: number }>();

  private readonly now: () => Date;

  /** Runs expected to start before this instant count; later ones are upcoming schedule slots, not history. */
  private dueBy(): string {
    return this.now().toISOString();
  }

  constructor(config: OrchestratorConfig, options: PrefectAdapterOptions = {}) {
    this.name = config.name;
    this.client = new PrefectClient(config, options);
    this.ctx = { orchestrator: config.name, uiBase: uiBaseOf(config.url) };
    this.concurrency = options.concurrency ?? 8;
    this.maxPages = options.maxPages ?? 100;
    this.maxLogPages = options.maxLogPages ?? 200;
    this.maxRuns = options.maxRuns ?? 10_000;
    this.ttl = options.cacheTtlMs ?? 60_000;
    this.rounds = options.latestRounds ?? 3;
    this.now = options.now ?? (() => new Date());
  }

  // ---- pipelines ---------------------------------------------------------------------------------------

  async listPipelines(query: PipelineQuery): Promise<Pipeline[]> {
    const search = query.search?.trim() ?? '';
    const deployments: Record<string, unknown> = {};
    const flows: Record<string, unknown> = {};
    if (search.length > 0) {
      const parts = search.split('/');
      if (parts.length > 2) return []; // flow and deployment names cannot contain '/'
      if (parts.length === 1) deployments.flow_or_deployment_name = { like_: search };
      else {
        // "…flow/deploy…": a suffix of the flow name, a prefix of the deployment name (checked exactly below).
        if (parts[0]) flows.name = { like_: parts[0] };
        if (parts[1]) deployments.name = { like_: parts[1] };
      }
    }
    const tag = nonEmpty(query.tag);
    if (tag !== undefined) deployments.tags = { all_: [tag] };
    if (query.paused !== undefined) deployments.paused = { eq_: query.paused };
    const body: Record<string, unknown> = { sort: 'NAME_ASC' };
    if (Object.keys(deployments).length > 0) body.deployments = deployments;
    if (Object.keys(flows).length > 0) body.flows = flows;
    if (query.hadRun && query.hadRun.statuses.length > 0) {
      const types = stateTypesFor(query.hadRun.statuses);
      if (types.length === 0) return [];
      // Server-side join: only deployments with such a run, in the same paged query.
      body.flow_runs = {
        state: { type: { any_: types } },
        end_time: { after_: isoDate(query.hadRun.finishedAfter, 'finishedAfter') },
      };
    }
    const page = await this.client.paginate('/deployments/filter', body, DeploymentListSchema, {
      maxPages: this.maxPages,
      key: (d) => d.id,
    });
    const infos = await this.describe(page.items);
    const owner = nonEmpty(query.owner)?.toLowerCase();
    const needle = search.toLowerCase();
    const wantedTag = tag?.toLowerCase();
    let pipelines = infos
      .map((info) => ({ info, pipeline: toPipeline(this.ctx, info.deployment, info.flowName) }))
      .filter(
        ({ info, pipeline: p }) =>
          // Owners come from tags, labels or created_by (see ownersAndTags): matched here, not on the server.
          (owner === undefined || p.owners.some((o) => o.toLowerCase() === owner)) &&
          (wantedTag === undefined ||
            (info.deployment.tags ?? []).some((t) => t.toLowerCase() === wantedTag)) &&
          (query.paused === undefined || p.paused === query.paused) &&
          (needle.length === 0 || p.pipeline_id.toLowerCase().includes(needle)),
      )
      .map(({ pipeline }) => pipeline);
    if (query.lastRunStatus !== undefined) {
      const latest = await this.latestRuns(pipelines.map((p) => p.pipeline_id));
      pipelines = pipelines.filter((p) => latest.get(p.pipeline_id)?.status === query.lastRunStatus);
    }
    return pipelines;
  }

  async getPipeline(pipelineId: string): Promise<Pipeline> {
    const info = await this.resolve(pipelineId);
    return toPipeline(this.ctx, info.deployment, info.flowName);
  }

  // ---- runs --------------------------------------------------------------------------------------------

  /**
   * One grouped query over every asked deployment (newest first), repeated for the deployments it did not
   * reach (bounded rounds), then one `limit: 1` query per deployment left, at bounded concurrency.
   */
  async latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>> {
    const ids = [...new Set(pipelineIds)].map((id) => assertSafeId(id, 'pipeline_id'));
    const resolved = await this.resolveMany(ids);
    const result = new Map<string, PipelineRun>();
    const remaining = new Map<string, string>(); // deployment id → pipeline id
    for (const [pipelineId, info] of resolved) remaining.set(info.deployment.id, pipelineId);
    const due = { before_: this.dueBy() };
    for (let round = 0; round < this.rounds && remaining.size > 0; round++) {
      const page = await this.client.post(
        '/flow_runs/filter',
        {
          flow_runs: { deployment_id: { any_: [...remaining.keys()] }, expected_start_time: due },
          sort: 'START_TIME_DESC',
          limit: MAX_PAGE_LIMIT,
          offset: 0,
        },
        FlowRunListSchema,
      );
      for (const run of page) {
        const pipelineId = run.deployment_id ? remaining.get(run.deployment_id) : undefined;
        if (pipelineId === undefined || result.has(pipelineId)) continue;
        result.set(pipelineId, toPipelineRun(this.ctx, pipelineId, run));
        remaining.delete(run.deployment_id as string);
      }
      if (page.length < MAX_PAGE_LIMIT) remaining.clear(); // every run of the rest was seen: they never ran
    }
    await mapWithConcurrency([...remaining], this.concurrency, async ([deploymentId, pipelineId]) => {
      const page = await this.client.post(
        '/flow_runs/filter',
        {
          flow_runs: { deployment_id: { any_: [deploymentId] }, expected_start_time: due },
          sort: 'START_TIME_DESC',
          limit: 1,
          offset: 0,
        },
        FlowRunListSchema,
      );
      const run = page[0];
      if (run) result.set(pipelineId, toPipelineRun(this.ctx, pipelineId, run));
    });
    return result;
  }

  async listRuns(query: RunQuery): Promise<RunList> {
    if (!Number.isFinite(query.limit))
      throw new MonitorError('invalid_input', 'limit must be a positive number.');
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), this.maxRuns);
    const info = query.pipelineId === undefined ? undefined : await this.resolve(query.pipelineId);
    const flowRuns: Record<string, unknown> = {
      // Runs without a deployment (a flow called directly) belong to no pipeline.
      deployment_id: info ? { any_: [info.deployment.id] } : { is_null_: false },
      // Runs scheduled for the future are not history; a run due now (just triggered, or Late) is.
      expected_start_time: { before_: this.dueBy() },
    };
    if (query.statuses && query.statuses.length > 0) {
      const types = stateTypesFor(query.statuses);
      if (types.length === 0) return { runs: [], total: 0, truncated: false };
      flowRuns.state = { type: { any_: types } };
    }
    const finishedAfter = isoDate(query.finishedAfter, 'finishedAfter');
    const startedAfter = isoDate(query.startedAfter, 'startedAfter');
    if (finishedAfter) flowRuns.end_time = { after_: finishedAfter };
    if (startedAfter) flowRuns.expected_start_time = { after_: startedAfter, before_: this.dueBy() };
    const page = await this.client.paginate(
      '/flow_runs/filter',
      { flow_runs: flowRuns, sort: query.orderBy === 'finished_at' ? 'END_TIME_DESC' : 'START_TIME_DESC' },
      FlowRunListSchema,
      { maxItems: limit, maxPages: this.maxPages, key: (r) => r.id },
    );
    const min = query.finishedAfter?.getTime();
    // The server filtered already; checking again keeps the result right on servers that ignore a filter.
    const natives = page.items.filter(
      (r) =>
        min === undefined ||
        (r.end_time !== null && r.end_time !== undefined && Date.parse(r.end_time) >= min),
    );
    const pipelines = await this.pipelineIdsOf(natives);
    let runs = natives.map((r) =>
      toPipelineRun(this.ctx, pipelines.get(r.deployment_id ?? '') ?? r.deployment_id ?? '?', r),
    );
    if (query.includeFailedTasks) runs = await this.withFailedTasks(runs);
    let total: number | null = page.exhausted ? natives.length : null;
    if (!page.exhausted) {
      total = await this.client.post('/flow_runs/count', { flow_runs: flowRuns }, CountSchema);
    }
    return { runs, total, truncated: !page.exhausted };
  }

  async getRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const { info, run } = await this.flowRun(pipelineId, runId);
    const mapped = toPipelineRun(this.ctx, info.pipelineId, run);
    if (mapped.status !== 'failed') return mapped;
    const [detailed] = await this.withFailedTasks([mapped]);
    return detailed ?? mapped;
  }

  async listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]> {
    const info = await this.resolve(pipelineId);
    const flowRunId = this.runIdOf(runId, info);
    const page = await this.client.paginate(
      '/task_runs/filter',
      {
        task_runs: { flow_run_id: { any_: [flowRunId] } },
        deployments: { id: { any_: [info.deployment.id] } },
        sort: 'EXPECTED_START_TIME_ASC',
      },
      TaskRunListSchema,
      { maxPages: this.maxPages, key: (t) => t.id },
    );
    if (page.items.length === 0) await this.flowRun(pipelineId, runId); // not_found, or really no task runs
    const ids = taskIds(page.items);
    return page.items.map((t, i) => toTaskRun(t, ids[i] ?? t.name));
  }

  /**
   * The end of a task run's log, read newest first. Prefect keeps every try of a task run in one log, so
   * `tryNumber` selects nothing. A task run without logs of its own falls back to the flow run's logs.
   */
  async getTaskLog(pipelineId: string, runId: string, request: LogRequest): Promise<LogSlice> {
    const taskId = assertSafeId(request.taskId, 'task_id');
    if (!Number.isInteger(request.tryNumber) || request.tryNumber < 0 || request.tryNumber > 10_000) {
      throw new MonitorError('invalid_input', 'try_number must be a whole number ≥ 1.', {
        orchestrator: this.name,
      });
    }
    const info = await this.resolve(pipelineId);
    const flowRunId = this.runIdOf(runId, info);
    const maxBytes = Math.min(Math.max(1, Math.floor(request.maxBytes)), MAX_LOG_BYTES);
    const byId = UUID.test(taskId);
    const found = await this.client.post(
      '/task_runs/filter',
      {
        task_runs: {
          flow_run_id: { any_: [flowRunId] },
          ...(byId ? { id: { any_: [taskId] } } : { name: { any_: [taskId] } }),
        },
        deployments: { id: { any_: [info.deployment.id] } },
        sort: 'EXPECTED_START_TIME_ASC',
        limit: 1,
        offset: 0,
      },
      TaskRunListSchema,
    );
    const task = found[0];
    if (!task) {
      throw new MonitorError(
        'not_found',
        `${this.name}: no task run ${taskId} in flow run ${flowRunId} of ${info.pipelineId}.`,
        { orchestrator: this.name, hint: 'list the run’s task runs to find task ids' },
      );
    }
    const read = (logs: Record<string, unknown>) =>
      readLogTail(
        (offset, limit) =>
          this.client.post('/logs/filter', { logs, sort: 'TIMESTAMP_DESC', limit, offset }, LogListSchema),
        { maxBytes, maxPages: this.maxLogPages, pageSize: MAX_PAGE_LIMIT },
      );
    let result = await read({ flow_run_id: { any_: [flowRunId] }, task_run_id: { any_: [task.id] } });
    let lines = result.lines;
    if (result.records === 0) {
      result = await read({ flow_run_id: { any_: [flowRunId] } });
      lines = [
        `[pipeline-monitor] task run ${task.name} has no logs of its own; showing the flow run's logs`,
        ...result.lines,
      ];
    }
    return {
      task_id: taskId,
      try_number: request.tryNumber,
      map_index: request.mapIndex,
      lines,
      truncated: result.truncated,
      bytes_read: result.bytes_read,
    };
  }

  /**
   * `POST /deployments/{id}/create_flow_run`. `runId` is the idempotency key: Prefect answers a repeated key
   * with the run it created the first time (so the request is safe to retry when there is one).
   */
  async triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun> {
    const runId = request.runId === undefined ? undefined : assertSafeId(request.runId, 'run_id');
    if (typeof request.conf !== 'object' || request.conf === null || Array.isArray(request.conf)) {
      throw new MonitorError('invalid_input', 'conf must be a JSON object.', { orchestrator: this.name });
    }
    const info = await this.resolve(pipelineId);
    const body: Record<string, unknown> = { parameters: request.conf, tags: [TRIGGER_TAG] };
    if (runId !== undefined) body.idempotency_key = runId;
    if (request.note !== undefined) body.context = { [TRIGGER_TAG]: { note: request.note } };
    const spec = {
      method: 'POST' as const,
      path: `/deployments/${encodeURIComponent(info.deployment.id)}/create_flow_run`,
      json: body,
      retry: runId !== undefined,
    };
    const response = await this.client.send(spec);
    if (response.status === 200 || response.status === 201) {
      const run = this.client.http.parse(spec, response, FlowRunSchema);
      if (run.deployment_id && run.deployment_id !== info.deployment.id) {
        throw new MonitorError(
          'refused',
          `${this.name}: run id ${runId ?? ''} is already the idempotency key of flow run ${run.id} of another deployment of flow ${info.flowName}.`,
          { orchestrator: this.name, hint: 'choose another run id' },
        );
      }
      return toPipelineRun(this.ctx, info.pipelineId, run);
    }
    if (response.status === 404) this.forget(info);
    if ([400, 409, 422].includes(response.status)) {
      const detail = this.client.http.detailOf(response);
      throw new MonitorError(
        'invalid_input',
        `${this.name}: Prefect refused to create a run of ${info.pipelineId} (HTTP ${response.status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name, hint: 'check conf against the deployment’s parameter schema' },
      );
    }
    throw this.client.statusError(spec, response, this.deploymentNotFound(info.pipelineId));
  }

  /**
   * Retries a failed flow run as the UI does: a forced SCHEDULED "AwaitingRetry" state on the same flow run
   * (its run_count grows when it runs again; tasks with persisted results are not re-run). A run already
   * AwaitingRetry, or running again after a retry, is answered as it is: a repeated request sends nothing.
   * Any other run that is not failed is refused. Never retried.
   */
  async rerunFailed(pipelineId: string, runId: string, request: RerunRequest): Promise<PipelineRun> {
    const requestId = assertSafeId(request.requestId, 'request_id');
    const { info, run } = await this.flowRun(pipelineId, runId);
    const current = toPipelineRun(this.ctx, info.pipelineId, run);
    const retrying =
      run.state_name === 'AwaitingRetry' ||
      run.state_name === 'Retrying' ||
      ((current.status === 'pending' || current.status === 'running') && (run.run_count ?? 0) > 1);
    if (retrying) return current;
    if (current.status !== 'failed') {
      throw new MonitorError(
        'refused',
        `${this.name}: flow run ${run.id} of ${info.pipelineId} is ${current.native_status}, not failed: there is nothing to retry.`,
        {
          orchestrator: this.name,
          hint:
            current.status === 'pending' || current.status === 'running'
              ? 'the run is still active: wait for it to finish'
              : 'only a failed run can be retried; trigger a new run instead',
        },
      );
    }
    const message = request.note ?? `Retry requested through pipeline-monitor (${requestId})`;
    const result = await this.setState(info, run.id, {
      state: { type: 'SCHEDULED', name: 'AwaitingRetry', message },
      force: true,
    });
    if (result.status !== 'ACCEPT') {
      throw new MonitorError(
        'refused',
        `${this.name}: Prefect did not accept the retry of flow run ${run.id} (${result.status})${result.details.reason ? `: ${result.details.reason}` : ''}.`,
        { orchestrator: this.name, hint: 'look at the flow run’s current state before trying again' },
      );
    }
    return this.getRun(info.pipelineId, run.id);
  }

  /**
   * Cancels a scheduled, pending or running flow run with a forced CANCELLING state (the worker then tears
   * the infrastructure down and the run becomes CANCELLED). A scheduled run is moved straight to CANCELLED
   * (Prefect answers REJECT with that state): also a success. A finished run is refused. Never retried.
   */
  async cancelRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const { info, run } = await this.flowRun(pipelineId, runId);
    const current = toPipelineRun(this.ctx, info.pipelineId, run);
    if (run.state_type === 'CANCELLING') return current;
    if (current.status !== 'pending' && current.status !== 'running') {
      throw new MonitorError(
        'refused',
        `${this.name}: flow run ${run.id} of ${info.pipelineId} has already finished (${current.native_status}): there is nothing to cancel.`,
        { orchestrator: this.name, hint: 'only a scheduled, pending or running flow run can be cancelled' },
      );
    }
    const result = await this.setState(info, run.id, {
      state: { type: 'CANCELLING', name: 'Cancelling' },
      force: true,
    });
    const cancelled =
      result.status === 'ACCEPT' || (result.status === 'REJECT' && result.state?.type === 'CANCELLED');
    if (!cancelled) {
      throw new MonitorError(
        'refused',
        `${this.name}: Prefect did not cancel flow run ${run.id} (${result.status})${result.details.reason ? `: ${result.details.reason}` : ''}.`,
        { orchestrator: this.name, hint: 'look at the flow run’s current state before trying again' },
      );
    }
    return this.getRun(info.pipelineId, run.id);
  }

  /** `POST /flow_runs/{id}/set_state`, sent once (a write is never retried). */
  private async setState(info: DeploymentInfo, flowRunId: string, body: Record<string, unknown>) {
    const spec = {
      method: 'POST' as const,
      path: `/flow_runs/${encodeURIComponent(flowRunId)}/set_state`,
      json: body,
      retry: false,
    };
    const response = await this.client.send(spec);
    if (response.status === 200 || response.status === 201) {
      return this.client.http.parse(spec, response, OrchestrationResultSchema);
    }
    if (response.status === 422 || response.status === 400) {
      const detail = this.client.http.detailOf(response);
      throw new MonitorError(
        'invalid_input',
        `${this.name}: Prefect rejected the state change of flow run ${flowRunId} (HTTP ${response.status})${detail ? `: ${detail}` : ''}.`,
        { orchestrator: this.name },
      );
    }
    throw this.client.statusError(spec, response, {
      message: `no flow run ${flowRunId} in ${info.pipelineId}.`,
      hint: FIND_RUNS_HINT,
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  private deploymentNotFound(pipelineId: string): NotFound {
    return { message: `deployment ${pipelineId} not found.`, hint: FIND_PIPELINES_HINT };
  }

  private fresh<T extends { at: number }>(entry: T | undefined): T | undefined {
    return entry && Date.now() - entry.at < this.ttl ? entry : undefined;
  }

  private remember(deployment: PrefectDeployment, flowName: string): DeploymentInfo {
    const info = {
      deployment,
      flowName,
      pipelineId: pipelineIdOf(flowName, deployment.name),
      at: Date.now(),
    };
    if (this.byId.size > 20_000) this.byId.clear();
    if (this.byPipeline.size > 20_000) this.byPipeline.clear();
    this.byId.set(deployment.id, info);
    this.byPipeline.set(info.pipelineId, deployment.id);
    return info;
  }

  private forget(info: DeploymentInfo): void {
    this.byId.delete(info.deployment.id);
    this.byPipeline.delete(info.pipelineId);
  }

  /** Flow names for deployments (one `POST /flows/filter` per 200 unknown flows), remembered. */
  private async describe(deployments: readonly PrefectDeployment[]): Promise<DeploymentInfo[]> {
    const missing = [
      ...new Set(deployments.map((d) => d.flow_id).filter((id) => !this.fresh(this.flowNames.get(id)))),
    ];
    for (const ids of chunks(missing, MAX_PAGE_LIMIT)) {
      const flows = await this.client.post(
        '/flows/filter',
        { flows: { id: { any_: ids } }, limit: ids.length, offset: 0 },
        FlowListSchema,
      );
      if (this.flowNames.size > 20_000) this.flowNames.clear();
      for (const flow of flows) this.flowNames.set(flow.id, { name: flow.name, at: Date.now() });
    }
    return deployments.flatMap((d) => {
      const flow = this.flowNames.get(d.flow_id);
      return flow ? [this.remember(d, flow.name)] : [];
    });
  }

  /** The deployment behind a pipeline id (`flow/deployment`, or a deployment UUID). */
  private async resolve(pipelineId: string): Promise<DeploymentInfo> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    if (UUID.test(id)) {
      const cached = this.fresh(this.byId.get(id.toLowerCase()));
      if (cached) return cached;
      const deployment = await this.client.get(
        `/deployments/${encodeURIComponent(id)}`,
        DeploymentSchema,
        this.deploymentNotFound(id),
      );
      const [info] = await this.describe([deployment]);
      if (!info)
        throw new MonitorError('not_found', `${this.name}: the flow of deployment ${id} was not found.`, {
          orchestrator: this.name,
        });
      return info;
    }
    const names = splitPipelineId(id);
    if (!names) {
      throw new MonitorError('not_found', `${this.name}: ${id} is not a Prefect pipeline id.`, {
        orchestrator: this.name,
        hint: FIND_PIPELINES_HINT,
      });
    }
    const known = this.byPipeline.get(id);
    const cached = known === undefined ? undefined : this.fresh(this.byId.get(known));
    if (cached) return cached;
    const found = await this.client.post(
      '/deployments/filter',
      {
        flows: { name: { any_: [names.flow] } },
        deployments: { name: { any_: [names.deployment] } },
        limit: 1,
        offset: 0,
      },
      DeploymentListSchema,
    );
    const deployment = found[0];
    if (!deployment) {
      throw new MonitorError('not_found', `${this.name}: deployment ${id} not found.`, {
        orchestrator: this.name,
        hint: FIND_PIPELINES_HINT,
      });
    }
    this.flowNames.set(deployment.flow_id, { name: names.flow, at: Date.now() });
    return this.remember(deployment, names.flow);
  }

  /** Many pipeline ids at once: one paged deployments query (plus flow names); unknown ids are left out. */
  private async resolveMany(ids: readonly string[]): Promise<Map<string, DeploymentInfo>> {
    const out = new Map<string, DeploymentInfo>();
    const wanted: { id: string; flow: string; deployment: string }[] = [];
    for (const id of ids) {
      const known = this.byPipeline.get(id);
      const cached = known === undefined ? undefined : this.fresh(this.byId.get(known));
      if (cached) out.set(id, cached);
      else if (UUID.test(id)) {
        try {
          out.set(id, await this.resolve(id));
        } catch (error) {
          if (!(error instanceof MonitorError && error.kind === 'not_found')) throw error;
        }
      } else {
        const names = splitPipelineId(id);
        if (names) wanted.push({ id, ...names });
      }
    }
    if (wanted.length === 0) return out;
    const page = await this.client.paginate(
      '/deployments/filter',
      {
        flows: { name: { any_: [...new Set(wanted.map((w) => w.flow))] } },
        deployments: { name: { any_: [...new Set(wanted.map((w) => w.deployment))] } },
        sort: 'NAME_ASC',
      },
      DeploymentListSchema,
      { maxPages: this.maxPages, key: (d) => d.id },
    );
    const infos = await this.describe(page.items);
    const byPipeline = new Map(infos.map((i) => [i.pipelineId, i]));
    for (const w of wanted) {
      const info = byPipeline.get(w.id);
      if (info) out.set(w.id, info);
    }
    return out;
  }

  /** Pipeline ids of the runs' deployments (remembered ones, then one paged query for the rest). */
  private async pipelineIdsOf(runs: readonly PrefectFlowRun[]): Promise<Map<string, string>> {
    const ids = [...new Set(runs.map((r) => r.deployment_id).filter((id): id is string => !!id))];
    const out = new Map<string, string>();
    const missing: string[] = [];
    for (const id of ids) {
      const info = this.fresh(this.byId.get(id));
      if (info) out.set(id, info.pipelineId);
      else missing.push(id);
    }
    for (const part of chunks(missing, 1000)) {
      const page = await this.client.paginate(
        '/deployments/filter',
        { deployments: { id: { any_: part } }, sort: 'NAME_ASC' },
        DeploymentListSchema,
        { maxPages: this.maxPages, key: (d) => d.id },
      );
      for (const info of await this.describe(page.items)) out.set(info.deployment.id, info.pipelineId);
    }
    return out;
  }

  private runIdOf(runId: string, info: DeploymentInfo): string {
    const id = assertSafeId(runId, 'run_id');
    if (!UUID.test(id)) {
      throw new MonitorError('not_found', `${this.name}: no flow run ${id} in ${info.pipelineId}.`, {
        orchestrator: this.name,
        hint: FIND_RUNS_HINT,
      });
    }
    return id.toLowerCase();
  }

  /** The flow run, checked to belong to the pipeline. */
  private async flowRun(
    pipelineId: string,
    runId: string,
  ): Promise<{ info: DeploymentInfo; run: PrefectFlowRun }> {
    const info = await this.resolve(pipelineId);
    const id = this.runIdOf(runId, info);
    const notFound: NotFound = { message: `no flow run ${id} in ${info.pipelineId}.`, hint: FIND_RUNS_HINT };
    const run = await this.client.get(`/flow_runs/${encodeURIComponent(id)}`, FlowRunSchema, notFound);
    if (run.deployment_id !== info.deployment.id) {
      throw new MonitorError('not_found', `${this.name}: ${notFound.message}`, {
        orchestrator: this.name,
        hint: notFound.hint,
      });
    }
    return { info, run };
  }

  /** failed_tasks of the failed runs: one `POST /task_runs/filter` (per 200 runs) for all of them. */
  private async withFailedTasks(runs: PipelineRun[]): Promise<PipelineRun[]> {
    const failed = runs.filter((r) => r.status === 'failed');
    if (failed.length === 0) return runs;
    const byRun = new Map<string, PrefectTaskRun[]>();
    for (const part of chunks(
      failed.map((r) => r.run_id),
      MAX_PAGE_LIMIT,
    )) {
      const page = await this.client.paginate(
        '/task_runs/filter',
        {
          task_runs: { flow_run_id: { any_: part }, state: { type: { any_: [...FAILED_STATE_TYPES] } } },
          sort: 'EXPECTED_START_TIME_ASC',
        },
        TaskRunListSchema,
        { maxPages: Math.min(this.maxPages, 20), key: (t) => t.id },
      );
      for (const task of page.items) {
        if (!task.flow_run_id || !isFailedTaskRun(task)) continue;
        const list = byRun.get(task.flow_run_id) ?? [];
        list.push(task);
        byRun.set(task.flow_run_id, list);
      }
    }
    return runs.map((run) => {
      if (run.status !== 'failed') return run;
      const tasks = byRun.get(run.run_id) ?? [];
      const names = [...new Set(tasks.map((t) => t.name))];
      const taskMessage = tasks.map((t) => failureMessage(t.state)).find((m) => m !== null) ?? null;
      return { ...run, failed_tasks: names, error_message: run.error_message ?? taskMessage };
    });
  }
}
