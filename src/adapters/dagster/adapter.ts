import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
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
import type { RunStatus } from '../../core/status.js';
import { DagsterClient, DagsterQueryRejected, type DagsterClientOptions } from './client.js';
import {
  CAPTURED_LOGS,
  LAUNCH_RUN,
  LAUNCH_RUN_REEXECUTION,
  RUN,
  RUN_EVENTS,
  RUNS,
  TERMINATE_RUN,
  WORKSPACE,
  WORKSPACE_WITHOUT_OWNERS,
} from './documents.js';
import { LogTail, eventIsForStep, readCapturedTail, renderEvent } from './logs.js';
import {
  CODE_LOCATION_PREFIX,
  brokenLocationPipeline,
  errorSummary,
  failedSteps,
  isImplicitAssetJob,
  mapRunStatus,
  parseQualifiedJobId,
  qualifiedJobId,
  renderTag,
  runStatusesFor,
  summarizeRunFailure,
  toPipeline,
  toPipelineRun,
  toTaskRun,
  type JobAddress,
  type MappingContext,
} from './mapping.js';
import {
  CapturedLogsDataSchema,
  LaunchRunDataSchema,
  LaunchRunReexecutionDataSchema,
  RunDataSchema,
  RunEventsDataSchema,
  RunsDataSchema,
  TerminateRunDataSchema,
  WorkspaceDataSchema,
  type DagsterEvent,
  type DagsterJob,
  type DagsterRun,
  type DagsterRunWithSteps,
  type DagsterStepStat,
  type DagsterTag,
  type ErrorMember,
} from './schemas.js';

export interface DagsterAdapterOptions extends DagsterClientOptions {
  /** Runs asked for per runsOrError page. Default 100. */
  pageSize?: number;
  /** Bound on runsOrError pages for one listing. Default 100. */
  maxPages?: number;
  /** Bound on runs one listRuns call returns, whatever the caller asks. Default 10 000. */
  maxRuns?: number;
  /** Events asked for per logsForRun page. Default 1000. */
  eventPageSize?: number;
  /** Bound on logsForRun pages for one run. Default 50. */
  maxEventPages?: number;
  /** Bytes asked for per capturedLogs chunk (each of stdout and stderr). Default 256 KiB. */
  logChunkBytes?: number;
  /** Bound on capturedLogs requests for one log. Default 400. */
  maxLogChunks?: number;
  /** How long the job-name index used to qualify run ids across code locations is reused. Default 30 s. */
  jobIndexTtlMs?: number;
}

/** Tags the adapter puts on the runs it launches. */
export const REQUEST_TAG = 'pipeline-monitor/request';
export const NOTE_TAG = 'pipeline-monitor/note';
/** The tag Dagster puts on a re-execution: the run it re-executes. */
const PARENT_RUN_TAG = 'dagster/parent_run_id';
/** Native statuses of a run that has finished: nothing left to terminate. */
const FINISHED_STATUSES = new Set(['SUCCESS', 'FAILURE', 'CANCELED']);

const FIND_JOBS_HINT = 'use list_all_pipelines to find ids';
const FIND_RUNS_HINT = 'use the pipeline run history to find run ids';
const MAX_LOG_BYTES = 16 * 1024 * 1024;
const NOTE_MAX = 1000;

/** How a launch error names what was attempted (a launch, or a re-execution). */
interface LaunchAction {
  verb: string;
  doing: string;
  noun: string;
}
const LAUNCH_ACTION: LaunchAction = { verb: 'launch job', doing: 'launching job', noun: 'the launch of job' };

interface WorkspaceJob {
  id: string;
  address: JobAddress;
  job: DagsterJob;
}

interface Workspace {
  /** Every job of every loaded code location, the implicit asset jobs included. */
  jobs: WorkspaceJob[];
  byId: Map<string, WorkspaceJob>;
  byName: Map<string, WorkspaceJob[]>;
  broken: { location: string; error: ErrorMember }[];
}

interface RunPage {
  runs: DagsterRunWithSteps[];
  total: number | null;
  truncated: boolean;
  pages: number;
}

interface RunsFilter {
  statuses?: string[];
  pipelineName?: string;
  tags?: DagsterTag[];
  updatedAfter?: number;
  createdAfter?: number;
}

/** Dagster (OSS webserver or Dagster+ deployment, GraphQL API) behind the orchestrator-neutral interface. */
export class DagsterAdapter implements OrchestratorAdapter {
  readonly name: string;
  readonly type = 'dagster' as const;
  readonly capabilities: AdapterCapabilities = {
    crossPipelineRunQuery: true,
    taskLogs: true,
    trigger: true,
    rerunFailed: true,
    cancel: true,
  };
  private readonly client: DagsterClient;
  private readonly ctx: MappingContext;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly maxRuns: number;
  private readonly eventPageSize: number;
  private readonly maxEventPages: number;
  private readonly logChunkBytes: number;
  private readonly maxLogChunks: number;
  private readonly jobIndexTtlMs: number;
  /** False once the server has said it has no `Job.owners` (older Dagster). */
  private ownersSupported = true;
  private jobIndex: { at: number; byName: Map<string, WorkspaceJob[]> } | null = null;

  constructor(config: OrchestratorConfig, options: DagsterAdapterOptions = {}) {
    this.name = config.name;
    this.client = new DagsterClient(config, options);
    this.ctx = { orchestrator: config.name, baseUrl: config.url.replace(/\/+$/, '') };
    this.pageSize = clampInt(options.pageSize ?? 100, 1, 1000);
    this.maxPages = clampInt(options.maxPages ?? 100, 1, 10_000);
    this.maxRuns = clampInt(options.maxRuns ?? 10_000, 1, 1_000_000);
    this.eventPageSize = clampInt(options.eventPageSize ?? 1000, 1, 10_000);
    this.maxEventPages = clampInt(options.maxEventPages ?? 50, 1, 10_000);
    this.logChunkBytes = clampInt(options.logChunkBytes ?? 256 * 1024, 1024, 64 * 1024 * 1024);
    this.maxLogChunks = clampInt(options.maxLogChunks ?? 400, 1, 100_000);
    this.jobIndexTtlMs = Math.max(0, options.jobIndexTtlMs ?? 30_000);
  }

  // -------------------------------------------------------------------------------------------------------
  // Pipelines

  async listPipelines(query: PipelineQuery): Promise<Pipeline[]> {
    const owner = nonEmpty(query.owner)?.toLowerCase();
    const tag = nonEmpty(query.tag)?.toLowerCase();
    const needle = query.search?.trim().toLowerCase() ?? '';
    if (query.lastRunStatus !== undefined && runStatusesFor([query.lastRunStatus]).length === 0) return [];
    const ws = await this.workspace(true, query.lastRunStatus !== undefined);
    let hadRun: Set<string> | null = null;
    if (query.hadRun) hadRun = await this.jobsWithRuns(ws, query.hadRun.statuses, query.hadRun.finishedAfter);
    const pipelines: Pipeline[] = [];
    for (const entry of ws.jobs) {
      if (isImplicitAssetJob(entry.address.job)) continue;
      const pipeline = toPipeline(this.ctx, entry.id, entry.address, entry.job);
      if (owner !== undefined && !pipeline.owners.some((o) => o.toLowerCase() === owner)) continue;
      if (tag !== undefined && !(entry.job.tags ?? []).some((t) => tagMatches(t, tag))) continue;
      if (needle.length > 0 && !pipeline.pipeline_id.toLowerCase().includes(needle)) continue;
      if (query.paused !== undefined && pipeline.paused !== query.paused) continue;
      if (query.lastRunStatus !== undefined) {
        const latest = entry.job.runs?.[0];
        if (!latest || mapRunStatus(latest.status) !== query.lastRunStatus) continue;
      }
      if (hadRun && !hadRun.has(entry.id)) continue;
      pipelines.push(pipeline);
    }
    const filtersExcludeBroken =
      owner !== undefined ||
      tag !== undefined ||
      query.paused === true ||
      query.lastRunStatus !== undefined ||
      query.hadRun !== undefined;
    if (!filtersExcludeBroken) {
      for (const b of ws.broken) {
        const pipeline = brokenLocationPipeline(this.ctx, b.location, b.error);
        if (needle.length === 0 || pipeline.pipeline_id.toLowerCase().includes(needle))
          pipelines.push(pipeline);
      }
    }
    return pipelines;
  }

  async getPipeline(pipelineId: string): Promise<Pipeline> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const ws = await this.workspace(true, false);
    if (id.startsWith(CODE_LOCATION_PREFIX)) {
      const location = id.slice(CODE_LOCATION_PREFIX.length);
      const broken = ws.broken.find((b) => b.location === location);
      if (broken) return brokenLocationPipeline(this.ctx, broken.location, broken.error);
    }
    const entry = this.findJob(ws, id);
    return toPipeline(this.ctx, entry.id, entry.address, entry.job);
  }

  /** One workspace request: every job's newest run comes with it (`Job.runs(limit: 1)`). */
  async latestRuns(pipelineIds: string[]): Promise<Map<string, PipelineRun>> {
    const ids = [...new Set(pipelineIds)].map((id) => assertSafeId(id, 'pipeline_id'));
    const result = new Map<string, PipelineRun>();
    if (ids.length === 0) return result;
    const ws = await this.workspace(false, true);
    const mismatched: { id: string; entry: WorkspaceJob }[] = [];
    for (const id of ids) {
      const entry = this.tryFindJob(ws, id);
      const run = entry?.job.runs?.[0];
      if (!entry || !run) continue;
      if (!originMatches(run, entry.address)) {
        // A server whose Job.runs does not tell code locations apart: ask for this job's runs by origin.
        mismatched.push({ id, entry });
        continue;
      }
      result.set(id, toPipelineRun(this.ctx, entry.id, run));
    }
    for (const { id, entry } of mismatched) {
      const page = await this.collectRuns(this.jobFilter(entry.address), {
        limit: 1,
        withSteps: false,
        accept: (r) => originMatches(r, entry.address),
      });
      const run = page.runs[0];
      if (run) result.set(id, toPipelineRun(this.ctx, entry.id, run));
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------------------
  // Runs

  async listRuns(query: RunQuery): Promise<RunList> {
    if (!Number.isFinite(query.limit)) {
      throw new MonitorError('invalid_input', 'limit must be a positive number.', {
        orchestrator: this.name,
      });
    }
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), this.maxRuns);
    const id = query.pipelineId === undefined ? undefined : assertSafeId(query.pipelineId, 'pipeline_id');
    // A code location that fails to load has no jobs Dagster can name, hence no runs to list.
    if (id?.startsWith(CODE_LOCATION_PREFIX)) return { runs: [], total: 0, truncated: false };
    let statuses: string[] | undefined;
    if (query.statuses && query.statuses.length > 0) {
      statuses = runStatusesFor(query.statuses);
      if (statuses.length === 0) return { runs: [], total: 0, truncated: false };
    }
    const finishedAfter = seconds(query.finishedAfter, 'finishedAfter');
    const startedAfter = seconds(query.startedAfter, 'startedAfter');
    const address = id === undefined ? undefined : this.addressOf(id);
    const filter: RunsFilter = {
      ...(address ? this.jobFilter(address) : {}),
      ...(statuses ? { statuses } : {}),
      // Dagster compares strictly (update_timestamp > updatedAfter); a millisecond less keeps the bound inclusive.
      ...(finishedAfter !== undefined ? { updatedAfter: finishedAfter - 0.001 } : {}),
      ...(startedAfter !== undefined ? { createdAfter: startedAfter - 0.001 } : {}),
    };
    const qualified = id !== undefined && parseQualifiedJobId(id) !== null;
    const page = await this.collectRuns(filter, {
      limit,
      withSteps: query.includeFailedTasks === true,
      accept: (run) =>
        (finishedAfter === undefined || (typeof run.endTime === 'number' && run.endTime >= finishedAfter)) &&
        (startedAfter === undefined || run.creationTime >= startedAfter) &&
        (!qualified || !address || originMatches(run, address)),
    });
    // No runs for a named job: make sure the job exists, so an unknown id is not_found rather than "never ran".
    if (id !== undefined && page.runs.length === 0) await this.getPipeline(id);
    const index = id === undefined && page.runs.length > 0 ? await this.jobNameIndex() : null;
    let runs = page.runs.map((run) => {
      const pipelineId = id ?? this.pipelineIdOfRun(index, run);
      const mapped = toPipelineRun(this.ctx, pipelineId, run);
      if (query.includeFailedTasks && mapped.status === 'failed' && run.stepStats) {
        const failed = failedSteps(run.stepStats);
        return { ...mapped, failed_tasks: failed, error_message: summarizeRunFailure(failed, new Map()) };
      }
      return mapped;
    });
    if (query.orderBy === 'finished_at') runs = sortByFinished(runs);
    return { runs, total: page.total, truncated: page.truncated };
  }

  async getRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const rid = assertSafeId(runId, 'run_id');
    const native = await this.fetchRun(id, rid);
    const run = toPipelineRun(this.ctx, id, native);
    if (run.status !== 'failed') return run;
    const failed = failedSteps(native.stepStats);
    const errors = await this.failureErrors(rid);
    let message = summarizeRunFailure(failed, errors.bySteps);
    if (failed.length === 0 && errors.run) message = errors.run;
    return { ...run, failed_tasks: failed, error_message: message };
  }

  async listTaskRuns(pipelineId: string, runId: string): Promise<TaskRun[]> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const rid = assertSafeId(runId, 'run_id');
    const native = await this.fetchRun(id, rid);
    const failed = failedSteps(native.stepStats);
    const errors = failed.length > 0 ? (await this.failureErrors(rid)).bySteps : new Map<string, string>();
    return native.stepStats.map((step) => toTaskRun(step, errors.get(step.stepKey) ?? null));
  }

  // -------------------------------------------------------------------------------------------------------
  // Logs

  async getTaskLog(pipelineId: string, runId: string, request: LogRequest): Promise<LogSlice> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const rid = assertSafeId(runId, 'run_id');
    const stepKey = assertStepKey(request.taskId);
    if (!Number.isInteger(request.tryNumber) || request.tryNumber < 0 || request.tryNumber > 10_000) {
      throw new MonitorError('invalid_input', 'try_number must be a whole number ≥ 1.', {
        orchestrator: this.name,
      });
    }
    const maxBytes = Math.min(Math.max(1, Math.floor(request.maxBytes)), MAX_LOG_BYTES);
    const native = await this.fetchRun(id, rid);
    // The step's captured-log files (one per attempt) and, for the fallback, its structured events.
    const captured: DagsterEvent[] = [];
    const fallback = new LogTail(maxBytes);
    let seen = native.stepStats.some((s) => s.stepKey === stepKey);
    await this.scanEvents(rid, (event) => {
      if (!eventIsForStep(event, stepKey)) return;
      seen = true;
      if (event.__typename === 'LogsCapturedEvent' && event.fileKey) captured.push(event);
      for (const line of renderEvent(event)) fallback.push(line);
    });
    if (!seen) {
      throw new MonitorError('not_found', `${this.name}: run ${rid} has no step ${stepKey}.`, {
        orchestrator: this.name,
        hint: 'list the run’s task runs to find step keys',
      });
    }
    const index =
      request.tryNumber >= 1 && request.tryNumber <= captured.length
        ? request.tryNumber - 1
        : captured.length - 1;
    const file = captured[index];
    let unavailable: string | null = null;
    if (file?.fileKey) {
      const logKey = [rid, 'compute_logs', file.fileKey];
      const result = await readCapturedTail(
        async (cursor) =>
          (
            await this.client.execute(
              CAPTURED_LOGS,
              { logKey, cursor, limit: this.logChunkBytes },
              CapturedLogsDataSchema,
            )
          ).capturedLogs,
        { maxBytes, maxChunks: this.maxLogChunks },
      ).catch((error: unknown) => {
        // A server that cannot serve captured logs (older schema, compute log manager failing): use the events.
        if (!(error instanceof MonitorError) || error.kind !== 'upstream_error') throw error;
        unavailable = error.message;
        return null;
      });
      if (result && !result.empty) {
        return {
          task_id: stepKey,
          try_number: index + 1,
          map_index: request.mapIndex,
          lines: result.lines,
          truncated: result.truncated,
          bytes_read: result.bytes_read,
        };
      }
    }
    // No captured stdout/stderr (not captured, expired, or kept in external storage): the step's events.
    const tail = new LogTail(maxBytes);
    const why = unavailable
      ? ` (${unavailable})`
      : file?.externalStderrUrl || file?.externalStdoutUrl
        ? ' (the logs are in external storage)'
        : '';
    tail.push(
      `[pipeline-monitor] no captured stdout/stderr for step ${stepKey}${why}; showing its events from the run's event log`,
    );
    for (const line of fallback.lines()) tail.push(line);
    return {
      task_id: stepKey,
      try_number: request.tryNumber,
      map_index: request.mapIndex,
      lines: tail.lines(),
      truncated: tail.truncated || fallback.truncated,
      bytes_read: fallback.bytesSeen,
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Trigger

  async triggerRun(pipelineId: string, request: TriggerRequest): Promise<PipelineRun> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const requestId = request.runId === undefined ? undefined : assertSafeId(request.runId, 'run_id');
    if (typeof request.conf !== 'object' || request.conf === null || Array.isArray(request.conf)) {
      throw new MonitorError('invalid_input', 'conf must be a JSON object.', { orchestrator: this.name });
    }
    if (id.startsWith(CODE_LOCATION_PREFIX)) {
      throw new MonitorError(
        'refused',
        `${this.name}: ${id} is a code location that fails to load, not a job.`,
        {
          orchestrator: this.name,
          hint: 'fix the code location so that Dagster can load it, then trigger one of its jobs',
        },
      );
    }
    const ws = await this.workspace(false, false);
    const entry = this.findJob(ws, id);
    const tag = requestId ?? randomUUID();
    if (requestId !== undefined) {
      // Idempotency: a run launched for the same request id is returned instead of launching another.
      const run = await this.requestedRun(entry.address, requestId);
      if (run) return toPipelineRun(this.ctx, entry.id, run);
    }
    const tags: DagsterTag[] = [{ key: REQUEST_TAG, value: tag }];
    const note = request.note?.trim();
    if (note) tags.push({ key: NOTE_TAG, value: note.slice(0, NOTE_MAX) });
    const data = await this.client.execute(
      LAUNCH_RUN,
      {
        executionParams: {
          selector: {
            repositoryLocationName: entry.address.location,
            repositoryName: entry.address.repository,
            jobName: entry.address.job,
          },
          runConfigData: request.conf,
          executionMetadata: { tags },
        },
      },
      LaunchRunDataSchema,
    );
    const result = data.launchRun;
    if (result.__typename === 'LaunchRunSuccess' && result.run) {
      return toPipelineRun(this.ctx, entry.id, result.run);
    }
    throw this.launchError(entry.id, result, LAUNCH_ACTION);
  }

  // -------------------------------------------------------------------------------------------------------
  // Re-run and cancel

  /**
   * Re-executes a failed run from failure (`launchRunReexecution`, strategy FROM_FAILURE): Dagster creates a
   * new run of the same job, linked to the failed one, that runs the failed steps and those after them. The
   * new run carries the request id as a tag: a repeated request returns the run it created instead of
   * launching another. Only a run whose status is FAILURE is re-executed. Never retried.
   */
  async rerunFailed(pipelineId: string, runId: string, request: RerunRequest): Promise<PipelineRun> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const rid = assertSafeId(runId, 'run_id');
    const requestId = assertSafeId(request.requestId, 'request_id');
    const parent = await this.fetchRun(id, rid);
    if (parent.status !== 'FAILURE') {
      const active = !FINISHED_STATUSES.has(parent.status);
      throw new MonitorError(
        'refused',
        `${this.name}: run ${rid} of ${id} is ${parent.status}, not FAILURE: there is nothing to re-execute from failure.`,
        {
          orchestrator: this.name,
          hint: active
            ? 'the run is still active: wait for it to finish'
            : 'only a failed run can be re-executed from failure; trigger a new run instead',
        },
      );
    }
    const address = runAddress(parent);
    const existing = await this.requestedRun(address, requestId);
    if (existing) {
      const parentTag = existing.tags.find((t) => t.key === PARENT_RUN_TAG)?.value;
      if (parentTag !== rid) {
        throw new MonitorError(
          'invalid_input',
          `${this.name}: request id ${requestId} was already used for run ${existing.runId}${parentTag ? `, a re-execution of run ${parentTag}` : ''}, not for a re-execution of run ${rid}.`,
          { orchestrator: this.name, hint: 'use a new request id for a different request' },
        );
      }
      return toPipelineRun(this.ctx, id, existing);
    }
    const note =
      request.note?.trim() || `Re-execution from failure requested through pipeline-monitor (${requestId})`;
    const data = await this.client.execute(
      LAUNCH_RUN_REEXECUTION,
      {
        reexecutionParams: {
          parentRunId: rid,
          strategy: 'FROM_FAILURE',
          extraTags: [
            { key: REQUEST_TAG, value: requestId },
            { key: NOTE_TAG, value: note.slice(0, NOTE_MAX) },
          ],
        },
      },
      LaunchRunReexecutionDataSchema,
    );
    const result = data.launchRunReexecution;
    if (result.__typename === 'LaunchRunSuccess' && result.run) {
      return toPipelineRun(this.ctx, id, result.run);
    }
    throw this.launchError(id, result, {
      verb: `re-execute run ${rid} of job`,
      doing: `re-executing run ${rid} of job`,
      noun: `the re-execution of run ${rid} of job`,
    });
  }

  /**
   * Terminates a queued or running run (`terminateRun`, policy SAFE_TERMINATE): a queued run becomes
   * CANCELED, a started one CANCELING until its process stops. A run already CANCELING is returned as it is;
   * a finished one is refused. Never retried.
   */
  async cancelRun(pipelineId: string, runId: string): Promise<PipelineRun> {
    const id = assertSafeId(pipelineId, 'pipeline_id');
    const rid = assertSafeId(runId, 'run_id');
    const native = await this.fetchRun(id, rid);
    if (native.status === 'CANCELING') return toPipelineRun(this.ctx, id, native);
    if (FINISHED_STATUSES.has(native.status)) {
      throw new MonitorError(
        'refused',
        `${this.name}: run ${rid} of ${id} has already finished (${native.status}): there is nothing to terminate.`,
        { orchestrator: this.name, hint: 'only a queued or running run can be terminated' },
      );
    }
    const data = await this.client.execute(
      TERMINATE_RUN,
      { runId: rid, terminatePolicy: 'SAFE_TERMINATE' },
      TerminateRunDataSchema,
    );
    const result = data.terminateRun;
    switch (result.__typename) {
      case 'TerminateRunSuccess':
        return result.run ? toPipelineRun(this.ctx, id, result.run) : this.getRun(id, rid);
      case 'TerminateRunFailure': {
        const message = this.client.clean(result.message ?? '');
        throw new MonitorError(
          'refused',
          `${this.name}: Dagster could not terminate run ${rid} of ${id}${message ? `: ${message}` : ''}.`,
          { orchestrator: this.name, hint: 'look at the run’s current status before trying again' },
        );
      }
      default:
        throw this.client.unionError(
          { ...result, message: result.message ?? null },
          `terminating run ${rid}`,
          { message: `run ${rid} not found.`, hint: FIND_RUNS_HINT },
        );
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  // -------------------------------------------------------------------------------------------------------
  // Internals

  /** The newest run of the job tagged with this request id (runs launched or re-executed for it), if any. */
  private async requestedRun(address: JobAddress, requestId: string): Promise<DagsterRun | undefined> {
    const existing = await this.collectRuns(
      { ...this.jobFilter(address), tags: [{ key: REQUEST_TAG, value: requestId }] },
      { limit: 1, withSteps: false, accept: (r) => originMatches(r, address) },
    );
    return existing.runs[0];
  }

  /** The workspace, with job details and/or each job's newest run. Falls back when `Job.owners` is unknown. */
  private async workspace(withDetails: boolean, withLatestRun: boolean): Promise<Workspace> {
    const variables = { withDetails, withLatestRun };
    let data;
    try {
      data = await this.client.execute(
        this.ownersSupported ? WORKSPACE : WORKSPACE_WITHOUT_OWNERS,
        variables,
        WorkspaceDataSchema,
      );
    } catch (error) {
      if (!(
        this.ownersSupported &&
        error instanceof DagsterQueryRejected &&
        error.lacksField('Job', 'owners')
      ))
        throw error;
      this.ownersSupported = false;
      data = await this.client.execute(WORKSPACE_WITHOUT_OWNERS, variables, WorkspaceDataSchema);
    }
    const result = data.workspaceOrError;
    if (!result.ok) throw this.client.unionError(result.error, 'listing the workspace');
    const jobs: WorkspaceJob[] = [];
    const broken: Workspace['broken'] = [];
    for (const entry of result.value.locationEntries) {
      const location = entry.locationOrLoadError;
      if (!location) continue; // still loading
      if (!location.ok) {
        broken.push({ location: entry.name, error: location.error });
        continue;
      }
      for (const repo of location.value.repositories) {
        for (const job of repo.jobs) {
          jobs.push({
            id: '',
            address: { job: job.name, repository: repo.name, location: location.value.name },
            job,
          });
        }
      }
    }
    const byName = new Map<string, WorkspaceJob[]>();
    for (const entry of jobs)
      byName.set(entry.address.job, [...(byName.get(entry.address.job) ?? []), entry]);
    const byId = new Map<string, WorkspaceJob>();
    for (const entry of jobs) {
      const shared = (byName.get(entry.address.job)?.length ?? 0) > 1;
      entry.id = shared ? qualifiedJobId(entry.address) : entry.address.job;
      byId.set(entry.id, entry);
    }
    this.jobIndex = { at: Date.now(), byName };
    return { jobs, byId, byName, broken };
  }

  /** Job name → its jobs in the workspace, reused for a short while (run listings only need the names). */
  private async jobNameIndex(): Promise<Map<string, WorkspaceJob[]>> {
    if (this.jobIndex && Date.now() - this.jobIndex.at <= this.jobIndexTtlMs) return this.jobIndex.byName;
    return (await this.workspace(false, false)).byName;
  }

  private pipelineIdOfRun(index: Map<string, WorkspaceJob[]> | null, run: DagsterRun): string {
    const shared = (index?.get(run.jobName)?.length ?? 0) > 1;
    const origin = run.repositoryOrigin;
    if (!shared || !origin) return run.jobName;
    return qualifiedJobId({
      job: run.jobName,
      repository: origin.repositoryName,
      location: origin.repositoryLocationName,
    });
  }

  private tryFindJob(ws: Workspace, id: string): WorkspaceJob | null {
    const exact = ws.byId.get(id);
    if (exact) return exact;
    const address = parseQualifiedJobId(id);
    if (address) {
      return (
        ws.jobs.find(
          (j) =>
            j.address.job === address.job &&
            j.address.repository === address.repository &&
            j.address.location === address.location,
        ) ?? null
      );
    }
    return null;
  }

  private findJob(ws: Workspace, id: string): WorkspaceJob {
    const found = this.tryFindJob(ws, id);
    if (found) return found;
    const sameName = ws.byName.get(id) ?? [];
    if (sameName.length > 1) {
      throw new MonitorError(
        'ambiguous',
        `${this.name}: job ${id} exists in ${sameName.length} code locations/repositories.`,
        {
          orchestrator: this.name,
          candidates: sameName.map((j) => j.id),
          hint: 'use the qualified id <job>@<repository>:<location>',
        },
      );
    }
    const broken = ws.broken.map((b) => b.location);
    throw new MonitorError('not_found', `${this.name}: job ${id} not found in any Dagster code location.`, {
      orchestrator: this.name,
      hint:
        broken.length > 0
          ? `${FIND_JOBS_HINT} (code location${broken.length === 1 ? '' : 's'} ${broken.join(', ')} fail${broken.length === 1 ? 's' : ''} to load: ${broken.length === 1 ? 'its' : 'their'} jobs are not listed)`
          : FIND_JOBS_HINT,
    });
  }

  /** The job a pipeline id names, without asking the server (plain ids name the job only). */
  private addressOf(id: string): JobAddress | undefined {
    if (id.startsWith(CODE_LOCATION_PREFIX)) return undefined;
    return parseQualifiedJobId(id) ?? { job: id, repository: '', location: '' };
  }

  /**
   * Runs of one job, by name. RunsFilter cannot select a code location; runs of a job name shared by several
   * locations are told apart by their repositoryOrigin on our side.
   */
  private jobFilter(address: JobAddress): RunsFilter {
    return { pipelineName: address.job };
  }

  /**
   * Pages `runsOrError` (newest first, cursor = the last run id) until `limit` runs are accepted, a page
   * comes back shorter than asked, or the page bound. One extra run is asked for, so that "there are no
   * more" is known without another request.
   */
  private async collectRuns(
    filter: RunsFilter,
    options: { limit: number; withSteps: boolean; accept?: (run: DagsterRun) => boolean },
  ): Promise<RunPage> {
    const runs: DagsterRunWithSteps[] = [];
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    let total: number | null = null;
    let rejected = 0;
    while (pages < this.maxPages) {
      const pageLimit = Math.min(this.pageSize, options.limit - runs.length + 1);
      const data: z.output<typeof RunsDataSchema> = await this.client.execute(
        RUNS,
        { filter, cursor, limit: pageLimit, withSteps: options.withSteps },
        RunsDataSchema,
      );
      pages++;
      const result = data.runsOrError;
      if (!result.ok) {
        if (result.error.__typename === 'InvalidPipelineRunsFilterError') {
          throw new MonitorError(
            'invalid_input',
            `${this.name}: Dagster rejected the run filter: ${this.client.clean(result.error.message ?? '')}`,
            { orchestrator: this.name },
          );
        }
        throw this.client.unionError(result.error, 'listing runs');
      }
      const results = result.value.results;
      total = result.value.count ?? null;
      let consumed = 0;
      for (const run of results) {
        if (runs.length >= options.limit) break;
        consumed++;
        if (options.accept && !options.accept(run)) {
          rejected++;
          continue;
        }
        if (seen.has(run.runId)) continue;
        seen.add(run.runId);
        runs.push(run);
      }
      const last = results[results.length - 1];
      if (results.length < pageLimit || !last || last.runId === cursor) {
        const exhausted = consumed === results.length;
        return { runs, total: rejected === 0 ? total : null, truncated: !exhausted, pages };
      }
      if (runs.length >= options.limit) {
        return { runs, total: rejected === 0 ? total : null, truncated: true, pages };
      }
      cursor = last.runId;
    }
    return { runs, total: rejected === 0 ? total : null, truncated: true, pages };
  }

  /** Pipeline ids of the jobs with a run in one of the statuses that finished at or after the instant. */
  private async jobsWithRuns(
    ws: Workspace,
    statuses: RunStatus[],
    finishedAfter: Date,
  ): Promise<Set<string>> {
    const natives = statuses.length > 0 ? runStatusesFor(statuses) : undefined;
    if (natives && natives.length === 0) return new Set();
    const after = seconds(finishedAfter, 'finishedAfter') ?? 0;
    const page = await this.collectRuns(
      { ...(natives ? { statuses: natives } : {}), updatedAfter: after - 0.001 },
      {
        limit: this.maxRuns,
        withSteps: false,
        accept: (run) => typeof run.endTime === 'number' && run.endTime >= after,
      },
    );
    return new Set(page.runs.map((run) => this.pipelineIdOfRun(ws.byName, run)));
  }

  /** The run, checked to belong to the pipeline. */
  private async fetchRun(
    pipelineId: string,
    runId: string,
  ): Promise<DagsterRun & { stepStats: DagsterStepStat[] }> {
    const notFound = {
      message: `run ${runId} not found (or it is not a run of ${pipelineId}).`,
      hint: FIND_RUNS_HINT,
    };
    const data = await this.client.execute(RUN, { runId }, RunDataSchema);
    const result = data.runOrError;
    if (!result.ok) throw this.client.unionError(result.error, `reading run ${runId}`, notFound);
    const run = result.value;
    const address = this.addressOf(pipelineId);
    const qualified = parseQualifiedJobId(pipelineId) !== null;
    if (!address || run.jobName !== address.job || (qualified && !originMatches(run, address))) {
      throw new MonitorError('not_found', `${this.name}: ${notFound.message}`, {
        orchestrator: this.name,
        hint: `run ${runId} is a run of job ${run.jobName}; ${FIND_RUNS_HINT}`,
      });
    }
    return run;
  }

  /** Pages a run's event log (bounded), handing every event to `visit`. */
  private async scanEvents(runId: string, visit: (event: DagsterEvent) => void): Promise<boolean> {
    let cursor: string | null = null;
    for (let pages = 0; pages < this.maxEventPages; pages++) {
      const data: z.output<typeof RunEventsDataSchema> = await this.client.execute(
        RUN_EVENTS,
        { runId, cursor, limit: this.eventPageSize },
        RunEventsDataSchema,
      );
      const result = data.logsForRun;
      if (!result.ok) {
        throw this.client.unionError(result.error, `reading the event log of run ${runId}`, {
          message: `run ${runId} not found.`,
          hint: FIND_RUNS_HINT,
        });
      }
      for (const event of result.value.events) visit(event);
      const next = result.value.cursor;
      if (!result.value.hasMore || result.value.events.length === 0 || next === cursor) return true;
      cursor = next;
    }
    return false;
  }

  /** Each failed step's error (its last failure event), and the run failure's, from the event log. */
  private async failureErrors(runId: string): Promise<{ bySteps: Map<string, string>; run: string | null }> {
    const bySteps = new Map<string, string>();
    let run: string | null = null;
    await this.scanEvents(runId, (event) => {
      if (event.__typename === 'ExecutionStepFailureEvent' && event.stepKey) {
        const text = event.error ? errorSummary(event.error) : (event.message ?? '');
        bySteps.set(event.stepKey, this.client.clean(text, 1000));
      } else if (event.__typename === 'RunFailureEvent') {
        const text = event.error ? errorSummary(event.error) : (event.message ?? '');
        run = this.client.clean(text, 1000);
      }
    });
    return { bySteps, run };
  }

  /** A MonitorError for an unsuccessful `LaunchRunResult` (or `LaunchRunReexecutionResult`) member. */
  private launchError(
    job: string,
    result: {
      __typename: string;
      message?: string | null | undefined;
      errors?: { message: string; reason?: string | null | undefined }[] | undefined;
      invalidStepKey?: string | null | undefined;
      invalidOutputName?: string | null | undefined;
      stepKey?: string | null | undefined;
    },
    action: LaunchAction,
  ): MonitorError {
    const options = { orchestrator: this.name };
    const message = this.client.clean(result.message ?? '');
    switch (result.__typename) {
      case 'RunConfigValidationInvalid': {
        const errors = (result.errors ?? []).slice(0, 3).map((e) => this.client.clean(e.message, 200));
        return new MonitorError(
          'invalid_input',
          `${this.name}: Dagster rejected the run config for job ${job}: ${errors.join('; ') || 'invalid config'}.`,
          { ...options, hint: 'check conf against the job’s config schema (ops, resources, execution)' },
        );
      }
      case 'PipelineNotFoundError':
        return new MonitorError(
          'not_found',
          `${this.name}: Dagster has no job ${job}${message ? `: ${message}` : ''}.`,
          {
            ...options,
            hint: FIND_JOBS_HINT,
          },
        );
      case 'RunConflict':
        return new MonitorError(
          'refused',
          `${this.name}: Dagster refused to ${action.verb} ${job} (run conflict)${message ? `: ${message}` : ''}.`,
          { ...options, hint: 'look at the job’s existing runs before trying again' },
        );
      case 'UnauthorizedError':
        return new MonitorError(
          'auth',
          `${this.name}: Dagster refused to ${action.verb} ${job}${message ? `: ${message}` : ''}.`,
          { ...options, hint: `the token configured for ${this.name} lacks the permission to launch runs` },
        );
      case 'PythonError':
        return this.client.unionError(
          { ...result, message: result.message ?? 'error' },
          `${action.doing} ${job}`,
        );
      case 'InvalidStepError':
      case 'InvalidOutputError':
      case 'InvalidSubsetError':
      case 'PresetNotFoundError':
      case 'ConflictingExecutionParamsError':
      case 'NoModeProvidedError': {
        const detail =
          message ||
          (result.invalidStepKey ? `invalid step ${result.invalidStepKey}` : '') ||
          (result.invalidOutputName
            ? `invalid output ${result.invalidOutputName} of step ${result.stepKey}`
            : '');
        return new MonitorError(
          'invalid_input',
          `${this.name}: Dagster rejected ${action.noun} ${job} (${result.__typename})${detail ? `: ${this.client.clean(detail)}` : ''}.`,
          options,
        );
      }
      default:
        return new MonitorError(
          'upstream_error',
          `${this.name}: Dagster answered ${this.client.clean(result.__typename, 80)} to ${action.noun} ${job}${message ? `: ${message}` : ''}.`,
          options,
        );
    }
  }
}

/** The job a run belongs to, with the code location it ran in when the server says. */
function runAddress(run: DagsterRun): JobAddress {
  return {
    job: run.jobName,
    repository: run.repositoryOrigin?.repositoryName ?? '',
    location: run.repositoryOrigin?.repositoryLocationName ?? '',
  };
}

/** Runs carry the code location they ran in; a run without one is taken to match. */
function originMatches(run: DagsterRun, address: JobAddress): boolean {
  const origin = run.repositoryOrigin;
  if (!origin || !address.location) return true;
  return origin.repositoryLocationName === address.location && origin.repositoryName === address.repository;
}

function tagMatches(tag: DagsterTag, wanted: string): boolean {
  return (
    renderTag(tag).toLowerCase() === wanted ||
    tag.key.toLowerCase() === wanted ||
    (tag.value !== '' && tag.value.toLowerCase() === wanted)
  );
}

/** Unfinished runs first, then by end time, newest first (like `ORDER BY end_date DESC` with NULLs first). */
function sortByFinished(runs: PipelineRun[]): PipelineRun[] {
  const key = (r: PipelineRun) => (r.finished_at ? Date.parse(r.finished_at) : Number.POSITIVE_INFINITY);
  return runs
    .map((run, i) => ({ run, i }))
    .sort((a, b) => key(b.run) - key(a.run) || a.i - b.i)
    .map((x) => x.run);
}

/**
 * Step keys are op/asset names, plus `[mapping_key]` for the steps of a dynamic output (`process[part_7]`).
 * The name and the key are each checked like any id.
 */
function assertStepKey(value: string): string {
  const match = /^(.*)\[([^[\]]+)\]$/.exec(value);
  if (match) {
    assertSafeId(match[1] ?? '', 'task_id');
    assertSafeId(match[2] ?? '', 'task_id');
    return value;
  }
  return assertSafeId(value, 'task_id');
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function seconds(value: Date | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) {
    throw new MonitorError('invalid_input', `${field} is not a valid date.`);
  }
  return value.getTime() / 1000;
}

function clampInt(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(Number.isFinite(value) ? value : min)));
}
