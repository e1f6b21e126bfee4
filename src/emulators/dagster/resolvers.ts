import type { WorldDag, WorldRun } from '../world/index.js';
import {
  capturedText,
  pythonErrorFromTraceback,
  runEvents,
  utf8Slice,
  type CapturedText,
  type EventValue,
  type PythonErrorValue,
} from './events.js';
import {
  IMPLICIT_ASSET_JOB,
  opaqueId,
  stepKeyOf,
  type DagsterModel,
  type DagsterRunStatus,
  type JobView,
  type LocationView,
  type RepositoryView,
  type Tag,
  type TerminatePolicy,
} from './model.js';
import type { DagsterSchemaVariant } from './schema.js';

/**
 * Resolvers as plain objects for graphql-js's default field resolver: a property is a value, a method is
 * called with the field's arguments. Every member of a union or interface carries its `__typename`, which the
 * default type resolver reads.
 */

type Obj = Record<string, unknown> & { __typename: string };

/** What a test can make a root field answer instead of resolving it. */
export type RootFault = { kind: 'result'; value: Obj } | { kind: 'exception'; message: string };

export interface ResolverContext {
  model: DagsterModel;
  variant: DagsterSchemaVariant;
  /** The caller may read but not launch (a Dagster+ viewer token). */
  readOnly: boolean;
  /** Most bytes of each stream per capturedLogs answer, whatever `limit` says. */
  capturedLogChunkBytes: number;
  /** A fault planted for this root field, if any (consumed). */
  fault(field: string): RootFault | null;
  capturedCache: Map<string, CapturedText>;
  eventCache: Map<string, EventValue[]>;
}

const ROOT_CONFIG_KEYS = ['execution', 'loggers', 'ops', 'resources'];
const ACTIVE: readonly DagsterRunStatus[] = ['QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED'];
const CACHE_MAX = 64;

function seconds(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** A root field, with the planted fault (if any) answered first. */
function root<A>(field: string, ctx: ResolverContext, args: A, resolve: (args: A) => unknown): unknown {
  const fault = ctx.fault(field);
  if (fault?.kind === 'exception') throw new Error(fault.message);
  if (fault?.kind === 'result') return fault.value;
  return resolve(args);
}

export function rootValue(): Record<string, unknown> {
  return {
    workspaceOrError: (args: unknown, ctx: ResolverContext) =>
      root('workspaceOrError', ctx, args, () => workspace(ctx)),
    runsOrError: (args: RunsArgs, ctx: ResolverContext) =>
      root('runsOrError', ctx, args, (a) => runsOrError(ctx, a)),
    runOrError: (args: { runId: string }, ctx: ResolverContext) =>
      root('runOrError', ctx, args, (a) => {
        const run = ctx.model.run(a.runId);
        return run ? runObject(ctx, run) : runNotFound(a.runId);
      }),
    logsForRun: (args: LogsArgs, ctx: ResolverContext) =>
      root('logsForRun', ctx, args, (a) => logsForRun(ctx, a)),
    capturedLogs: (args: CapturedArgs, ctx: ResolverContext) =>
      root('capturedLogs', ctx, args, (a) => capturedLogs(ctx, a)),
    launchRun: (args: { executionParams: ExecutionParams }, ctx: ResolverContext) =>
      root('launchRun', ctx, args, (a) => launchRun(ctx, a.executionParams)),
    launchRunReexecution: (args: ReexecutionArgs, ctx: ResolverContext) =>
      root('launchRunReexecution', ctx, args, (a) => launchRunReexecution(ctx, a)),
    terminateRun: (args: TerminateArgs, ctx: ResolverContext) =>
      root('terminateRun', ctx, args, (a) => terminateRun(ctx, a)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Workspace

function workspace(ctx: ResolverContext): Obj {
  const updated = ctx.model.world.createdAt / 1000;
  return {
    __typename: 'Workspace',
    id: 'Workspace',
    locationEntries: ctx.model.locations().map((location) => ({
      __typename: 'WorkspaceLocationEntry',
      id: location.name,
      name: location.name,
      loadStatus: 'LOADED',
      updatedTimestamp: updated,
      locationOrLoadError:
        location.loadError !== null ? locationLoadError(location) : locationObject(ctx, location),
    })),
  };
}

/** What Dagster reports when a code location's definitions fail to import. */
function locationLoadError(location: LocationView): PythonErrorValue {
  const cause = pythonErrorFromTraceback(location.loadError ?? '');
  return {
    __typename: 'PythonError',
    message: `dagster._core.errors.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions in\nexecutable_path=/usr/local/bin/python, module_name=${location.name}.definitions, working_directory=/opt/dagster/app\n`,
    className: 'DagsterUserCodeLoadError',
    stack: [
      '  File "/usr/local/lib/python3.11/site-packages/dagster/_grpc/server.py", line 420, in __init__\n    self._loaded_repositories: Optional[LoadedRepositories] = LoadedRepositories(\n',
      '  File "/usr/local/lib/python3.11/site-packages/dagster/_grpc/server.py", line 242, in __init__\n    with user_code_error_boundary(\n',
    ],
    cause,
    causes: [cause],
  };
}

function locationObject(ctx: ResolverContext, location: LocationView): Obj {
  const obj: Obj = {
    __typename: 'RepositoryLocation',
    id: location.name,
    name: location.name,
    isReloadSupported: true,
    repositories: [] as Obj[],
  };
  obj.repositories = location.repositories.map((repo) => repositoryObject(ctx, obj, location, repo));
  return obj;
}

function repositoryObject(
  ctx: ResolverContext,
  location: Obj,
  view: LocationView,
  repo: RepositoryView,
): Obj {
  const obj: Obj = {
    __typename: 'Repository',
    id: opaqueId('repository', view.name, repo.name),
    name: repo.name,
    location: () => location,
    jobs: [] as Obj[],
  };
  obj.jobs = repo.jobs.map((job) => jobObject(ctx, obj, job));
  return obj;
}

function tagsOf(dag: WorldDag): Tag[] {
  return dag.tags.map((t) => {
    const eq = t.indexOf('=');
    return eq > 0 ? { key: t.slice(0, eq), value: t.slice(eq + 1) } : { key: t, value: '' };
  });
}

function ownerObject(owner: string): Obj {
  return owner.includes('@')
    ? { __typename: 'UserDefinitionOwner', email: owner }
    : { __typename: 'TeamDefinitionOwner', team: owner.replace(/^team:/, '') };
}

function instigationState(name: string, job: JobView, running: boolean): Obj {
  return {
    __typename: 'InstigationState',
    id: opaqueId('instigator', job.placement.location, job.placement.repository, name),
    name,
    status: running ? 'RUNNING' : 'STOPPED',
    repositoryName: job.placement.repository,
    repositoryLocationName: job.placement.location,
  };
}

function jobObject(ctx: ResolverContext, repository: Obj, job: JobView): Obj {
  const dag = job.dag;
  const name = job.placement.job;
  const tags = dag ? tagsOf(dag) : [];
  if (dag && ctx.variant === 'without-job-owners' && dag.owners.length > 0) {
    // Before Job.owners, owners were kept in tags.
    tags.push({ key: 'owner', value: dag.owners.join(',') });
  }
  const obj: Obj = {
    __typename: 'Job',
    id: opaqueId('job', job.placement.location, job.placement.repository, name),
    name,
    description: dag?.description ?? null,
    tags: tags.map((t) => ({ __typename: 'PipelineTag', ...t })),
    runs: (args: { cursor?: string | null; limit?: number | null }) => {
      if (!dag) return [];
      const runs = [...ctx.model.world.runsOf(dag.dag_id)].sort((a, b) => b.id - a.id);
      return page(ctx, runs, args.cursor, args.limit).map((r) => runObject(ctx, r));
    },
    schedules:
      dag?.schedule != null
        ? [
            {
              __typename: 'Schedule',
              id: opaqueId('schedule', job.placement.location, name),
              name: `${name}_schedule`,
              cronSchedule: dag.schedule,
              pipelineName: name,
              executionTimezone: 'UTC',
              description: null,
              scheduleState: instigationState(`${name}_schedule`, job, !dag.paused),
            },
          ]
        : [],
    sensors:
      dag && dag.schedule === null && dag.timetable_summary === 'Asset'
        ? [
            {
              __typename: 'Sensor',
              id: opaqueId('sensor', job.placement.location, name),
              name: `${name}_sensor`,
              description: null,
              sensorState: instigationState(`${name}_sensor`, job, !dag.paused),
            },
          ]
        : [],
    isJob: true,
    isAssetJob: job.isAssetJob,
    repository: () => repository,
  };
  if (ctx.variant === 'current') obj.owners = (dag?.owners ?? []).map(ownerObject);
  return obj;
}

// ---------------------------------------------------------------------------------------------------------
// Runs

interface RunsFilterInput {
  runIds?: (string | null)[] | null;
  pipelineName?: string | null;
  tags?: { key: string; value: string }[] | null;
  statuses?: DagsterRunStatus[] | null;
  updatedAfter?: number | null;
  updatedBefore?: number | null;
  createdAfter?: number | null;
  createdBefore?: number | null;
}

interface RunsArgs {
  filter?: RunsFilterInput | null;
  cursor?: string | null;
  limit?: number | null;
}

function creationTime(run: WorldRun): number {
  return (run.queued_at ?? run.run_after) / 1000;
}

function matches(ctx: ResolverContext, run: WorldRun, f: RunsFilterInput): boolean {
  if (f.runIds && !f.runIds.includes(ctx.model.runId(run))) return false;
  if (f.pipelineName != null && ctx.model.runPlacement(run).job !== f.pipelineName) return false;
  if (f.statuses && f.statuses.length > 0 && !f.statuses.includes(ctx.model.status(run))) return false;
  // Dagster compares strictly.
  const updated = run.updated_at / 1000;
  if (f.updatedAfter != null && !(updated > f.updatedAfter)) return false;
  if (f.updatedBefore != null && !(updated < f.updatedBefore)) return false;
  const created = creationTime(run);
  if (f.createdAfter != null && !(created > f.createdAfter)) return false;
  if (f.createdBefore != null && !(created < f.createdBefore)) return false;
  if (f.tags && f.tags.length > 0) {
    const tags = ctx.model.tags(run);
    if (!f.tags.every((want) => tags.some((t) => t.key === want.key && t.value === want.value))) return false;
  }
  return true;
}

/** Newest first after the cursor run (exclusive); an unknown cursor gives nothing, as in Dagster. */
function page(
  ctx: ResolverContext,
  runs: readonly WorldRun[],
  cursor: string | null | undefined,
  limit: number | null | undefined,
): WorldRun[] {
  let from = 0;
  if (cursor != null) {
    const at = runs.findIndex((r) => ctx.model.runId(r) === cursor);
    if (at < 0) return [];
    from = at + 1;
  }
  const end = limit == null ? runs.length : from + Math.max(0, limit);
  return runs.slice(from, end);
}

function runsOrError(ctx: ResolverContext, args: RunsArgs): Obj {
  const filter = args.filter ?? {};
  const matching: WorldRun[] = [];
  for (const run of ctx.model.runsNewestFirst()) if (matches(ctx, run, filter)) matching.push(run);
  return {
    __typename: 'Runs',
    results: page(ctx, matching, args.cursor, args.limit).map((r) => runObject(ctx, r)),
    count: matching.length,
  };
}

function runNotFound(runId: string): Obj {
  return { __typename: 'RunNotFoundError', runId, message: `Run ${runId} could not be found.` };
}

export function runObject(ctx: ResolverContext, run: WorldRun): Obj {
  const p = ctx.model.runPlacement(run);
  const status = ctx.model.status(run);
  const runId = ctx.model.runId(run);
  return {
    __typename: 'Run',
    id: runId,
    runId,
    repositoryOrigin: {
      __typename: 'RepositoryOrigin',
      id: opaqueId('origin', p.location, p.repository),
      repositoryLocationName: p.location,
      repositoryName: p.repository,
    },
    status,
    pipelineName: p.job,
    jobName: p.job,
    stepStats: () => stepStats(ctx, run),
    runConfigYaml: () => JSON.stringify(ctx.model.runConfig(run) ?? {}),
    mode: 'default',
    tags: ctx.model.tags(run).map((t) => ({ __typename: 'PipelineTag', ...t })),
    ...ctx.model.lineage(run),
    canTerminate: ACTIVE.includes(status),
    creationTime: creationTime(run),
    startTime: seconds(run.start_date),
    endTime: seconds(ctx.model.canceledAt(run) ?? run.end_date),
    updateTime: run.updated_at / 1000,
  };
}

function stepStatus(state: string | null): string | null {
  switch (state) {
    case 'success':
      return 'SUCCESS';
    case 'failed':
      return 'FAILURE';
    case 'skipped':
      return 'SKIPPED';
    case null:
      return null;
    default:
      return 'IN_PROGRESS';
  }
}

/** Steps that ran (or were skipped); steps that never started have no stats, as in Dagster. */
function stepStats(ctx: ResolverContext, run: WorldRun): Obj[] {
  return ctx.model.world
    .tasks(run)
    .filter((t) => t.attempts.length > 0 || t.state === 'skipped')
    .map((t) => {
      const attempts = t.attempts.map((a) => ({
        __typename: 'RunMarker',
        startTime: a.start_date / 1000,
        endTime: seconds(a.end_date),
      }));
      const status = stepStatus(t.state);
      return {
        __typename: 'RunStepStats',
        runId: ctx.model.runId(run),
        stepKey: stepKeyOf(t),
        status,
        startTime: seconds(t.attempts[0]?.start_date ?? t.start_date),
        endTime: status === 'IN_PROGRESS' ? null : seconds(t.end_date),
        attempts,
        markers: attempts,
      };
    });
}

// ---------------------------------------------------------------------------------------------------------
// Event log and captured logs

interface LogsArgs {
  runId: string;
  afterCursor?: string | null;
  limit?: number | null;
}

function eventsOf(ctx: ResolverContext, run: WorldRun): EventValue[] {
  const runId = ctx.model.runId(run);
  const key = `${runId}\u0000${run.state}\u0000${run.end_date}`;
  return remember(ctx.eventCache, key, () =>
    runEvents(ctx.model.world, run, runId, ctx.model.runPlacement(run)),
  );
}

function logsForRun(ctx: ResolverContext, args: LogsArgs): Obj {
  const run = ctx.model.run(args.runId);
  if (!run) return runNotFound(args.runId);
  const events = eventsOf(ctx, run);
  const after = args.afterCursor != null && /^-?\d+$/.test(args.afterCursor) ? Number(args.afterCursor) : -1;
  const from = Math.max(0, after + 1);
  const to = args.limit == null ? events.length : Math.min(events.length, from + Math.max(0, args.limit));
  const slice = events.slice(from, to);
  const last = slice.length > 0 ? to - 1 : after;
  return {
    __typename: 'EventConnection',
    events: slice,
    cursor: String(last),
    hasMore: last < events.length - 1,
  };
}

interface CapturedArgs {
  logKey: string[];
  cursor?: string | null;
  limit?: number | null;
}

function capturedLogs(ctx: ResolverContext, args: CapturedArgs): Obj {
  const empty = { __typename: 'CapturedLogs', logKey: args.logKey, stdout: null, stderr: null, cursor: null };
  const [runId, kind, fileKey] = args.logKey;
  if (args.logKey.length !== 3 || kind !== 'compute_logs' || !runId || !fileKey) return empty;
  const run = ctx.model.run(runId);
  if (!run) return empty;
  const text = remember(
    ctx.capturedCache,
    `${runId}\u0000${fileKey}\u0000${run.state}\u0000${run.end_date}`,
    () => capturedText(ctx.model.world, run, runId, ctx.model.runPlacement(run), fileKey),
  );
  if (!text) return empty;
  const match = /^(\d+):(\d+)$/.exec(args.cursor ?? '');
  const outFrom = match ? Number(match[1]) : 0;
  const errFrom = match ? Number(match[2]) : 0;
  const max = Math.min(
    args.limit != null && args.limit > 0 ? args.limit : Number.MAX_SAFE_INTEGER,
    ctx.capturedLogChunkBytes,
  );
  const out = utf8Slice(text.stdout, outFrom, max);
  const err = utf8Slice(text.stderr, errFrom, max);
  return {
    __typename: 'CapturedLogs',
    logKey: args.logKey,
    stdout: out.text.length > 0 ? out.text : null,
    stderr: err.text.length > 0 ? err.text : null,
    cursor: `${out.end}:${err.end}`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Launching

interface ExecutionParams {
  selector: {
    jobName?: string | null;
    pipelineName?: string | null;
    repositoryName: string;
    repositoryLocationName: string;
  };
  runConfigData?: unknown;
  executionMetadata?: { tags?: { key: string; value: string }[] | null } | null;
}

function unauthorized(what: string): Obj {
  return {
    __typename: 'UnauthorizedError',
    message: `Authorization failed: this token does not have permission to ${what} in this deployment.`,
  };
}

/** What Dagster answers when the resolver raised (a check or invariant failing): a PythonError. */
function pythonError(className: string, message: string): Obj {
  return {
    __typename: 'PythonError',
    message: `dagster._check.${className}: ${message}\n`,
    className,
    stack: [
      '  File "/usr/local/lib/python3.11/site-packages/dagster_graphql/implementation/utils.py", line 130, in _fn\n    return fn(*args, **kwargs)\n',
    ],
    cause: null,
    causes: [],
  };
}

function launchRun(ctx: ResolverContext, params: ExecutionParams): Obj {
  if (ctx.readOnly) return unauthorized('launch runs');
  const { repositoryLocationName: location, repositoryName: repository } = params.selector;
  const name = params.selector.jobName ?? params.selector.pipelineName ?? '';
  const job = ctx.model.findJob(location, repository, name);
  if (!job?.dag || name === IMPLICIT_ASSET_JOB) {
    return {
      __typename: 'PipelineNotFoundError',
      message: `Could not find Pipeline ${location}.${repository}.${name}`,
      pipelineName: name,
      repositoryName: repository,
      repositoryLocationName: location,
    };
  }
  const config = params.runConfigData ?? {};
  if (typeof config !== 'string') {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      return configInvalid(name, [
        {
          __typename: 'RuntimeMismatchConfigError',
          message: `Value at path root must be a dict. Got value of type ${Array.isArray(config) ? 'list' : typeof config}.`,
          path: [],
          reason: 'RUNTIME_TYPE_MISMATCH',
          valueRep: JSON.stringify(config),
        },
      ]);
    }
    const unknown = Object.keys(config).filter((k) => !ROOT_CONFIG_KEYS.includes(k));
    if (unknown.length > 0) {
      return configInvalid(
        name,
        unknown.map((key) => ({
          __typename: 'FieldNotDefinedConfigError',
          message: `Received unexpected config entry "${key}" at the root. Expected: "{ execution?: { config?: { multiprocess?: { max_concurrent?: Int? } } } loggers?: { console?: { config?: { log_level?: String? name?: String? } } } ops?: { } resources?: { } }".`,
          path: [],
          reason: 'FIELD_NOT_DEFINED',
          fieldName: key,
        })),
      );
    }
  }
  const tags = (params.executionMetadata?.tags ?? []).map((t) => ({ key: t.key, value: t.value }));
  const run = ctx.model.launch(job.dag, tags, config);
  return { __typename: 'LaunchRunSuccess', run: runObject(ctx, run) };
}

function configInvalid(job: string, errors: Obj[]): Obj {
  return { __typename: 'RunConfigValidationInvalid', pipelineName: job, errors };
}

// ---------------------------------------------------------------------------------------------------------
// Re-executing and terminating

interface ReexecutionArgs {
  executionParams?: ExecutionParams | null;
  reexecutionParams?: {
    parentRunId: string;
    strategy: 'FROM_FAILURE' | 'FROM_ASSET_FAILURE' | 'ALL_STEPS';
    extraTags?: { key: string; value: string }[] | null;
    useParentRunTags?: boolean | null;
  } | null;
}

/**
 * `launchRunReexecution` with `reexecutionParams` (the form the UI and the monitor send): a new run of the
 * parent's job, linked to it. FROM_FAILURE needs a failed parent, as in Dagster (which raises otherwise).
 */
function launchRunReexecution(ctx: ResolverContext, args: ReexecutionArgs): Obj {
  if (ctx.readOnly) return unauthorized('launch runs');
  const params = args.reexecutionParams;
  if (!params) {
    return pythonError(
      'CheckError',
      'Invariant failed. Description: Must only provide one of either executionParams or reexecutionParams',
    );
  }
  const parent = ctx.model.run(params.parentRunId);
  if (!parent) {
    return pythonError(
      'CheckError',
      `Invariant failed. Description: Could not find parent run with id: ${params.parentRunId}`,
    );
  }
  const p = ctx.model.runPlacement(parent);
  const job = ctx.model.findJob(p.location, p.repository, p.job);
  if (!job?.dag) {
    return {
      __typename: 'PipelineNotFoundError',
      message: `Could not find Pipeline ${p.location}.${p.repository}.${p.job}`,
      pipelineName: p.job,
      repositoryName: p.repository,
      repositoryLocationName: p.location,
    };
  }
  const status = ctx.model.status(parent);
  const fromFailure = params.strategy === 'FROM_FAILURE' || params.strategy === 'FROM_ASSET_FAILURE';
  if (fromFailure && status !== 'FAILURE') {
    return pythonError(
      'DagsterInvariantViolationError',
      `Cannot reexecute from failure a run that is not failed. Run ${params.parentRunId} has status ${status}.`,
    );
  }
  if (ACTIVE.includes(status)) {
    return pythonError('DagsterInvariantViolationError', `Run ${params.parentRunId} is still in progress.`);
  }
  const run = ctx.model.reexecute(parent, {
    extraTags: (params.extraTags ?? []).map((t) => ({ key: t.key, value: t.value })),
    useParentRunTags: params.useParentRunTags !== false,
    fromFailure,
  });
  return { __typename: 'LaunchRunSuccess', run: runObject(ctx, run) };
}

interface TerminateArgs {
  runId: string;
  terminatePolicy?: TerminatePolicy | null;
}

function terminateRun(ctx: ResolverContext, args: TerminateArgs): Obj {
  const run = ctx.model.run(args.runId);
  if (!run) return runNotFound(args.runId);
  if (ctx.readOnly) return unauthorized('terminate runs');
  const outcome = ctx.model.terminate(run, args.terminatePolicy ?? 'SAFE_TERMINATE');
  if (!outcome.ok)
    return { __typename: 'TerminateRunFailure', run: runObject(ctx, run), message: outcome.message };
  return { __typename: 'TerminateRunSuccess', run: runObject(ctx, run) };
}
