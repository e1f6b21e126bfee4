import { createHash } from 'node:crypto';
import { Rng, type World, type WorldDag, type WorldRun, type WorldTask } from '../world/index.js';

/**
 * How the (orchestrator-neutral) World looks through Dagster's eyes: DAGs are jobs placed in code locations
 * and repositories, runs have Dagster statuses and tags, task instances are steps, and a DAG whose file
 * fails to import makes its code location fail to load.
 */

export const DEFAULT_REPOSITORY = '__repository__';
export const DEFAULT_LOCATION = 'default';
/** The implicit job Dagster adds to every repository with assets. */
export const IMPLICIT_ASSET_JOB = '__ASSET_JOB';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface JobPlacement {
  location: string;
  repository: string;
  job: string;
}

/**
 * Where a DAG lives: `<job>@<repository>:<location>` dag ids say it themselves; otherwise the first segment of
 * its `relative_fileloc` is the code location (`analytics/assets/ltv.py`), or `default` for a flat file,
 * and the repository is Dagster's default.
 */
export function defaultPlacement(dag: WorldDag): JobPlacement {
  const qualified = /^([^@]+)@([^@:]+):([^@:]+)$/.exec(dag.dag_id);
  if (qualified) {
    return {
      job: qualified[1] as string,
      repository: qualified[2] as string,
      location: qualified[3] as string,
    };
  }
  const slash = dag.relative_fileloc.indexOf('/');
  const location = slash > 0 ? dag.relative_fileloc.slice(0, slash) : DEFAULT_LOCATION;
  return { job: dag.dag_id, repository: DEFAULT_REPOSITORY, location };
}

export type DagsterRunStatus =
  | 'QUEUED'
  | 'NOT_STARTED'
  | 'MANAGED'
  | 'STARTING'
  | 'STARTED'
  | 'SUCCESS'
  | 'FAILURE'
  | 'CANCELING'
  | 'CANCELED';

export interface Tag {
  key: string;
  value: string;
}

export interface JobView {
  dag: WorldDag | null;
  placement: JobPlacement;
  isAssetJob: boolean;
}

export interface RepositoryView {
  name: string;
  jobs: JobView[];
}

export interface LocationView {
  name: string;
  /** The import error of one of its DAGs: the location does not load. */
  loadError: string | null;
  repositories: RepositoryView[];
}

/** What the emulator keeps about runs it launched (the world has no tags). */
export interface LaunchedRunInfo {
  tags: Tag[];
  runConfig: unknown;
  /** Set on a re-execution: the run it re-executes and the first run of that chain (Dagster ids). */
  parentRunId?: string;
  rootRunId?: string;
}

/** How a run is terminated (Dagster's `TerminateRunPolicy`). */
export type TerminatePolicy = 'SAFE_TERMINATE' | 'MARK_AS_CANCELED_IMMEDIATELY';

/** The outcome of a termination: the run moved on, or why it could not be. */
export type TerminateOutcome = { ok: true } | { ok: false; message: string };

/** Statuses a run can still be terminated from (Dagster's `CANCELABLE_RUN_STATUSES` plus its queue). */
const TERMINABLE: readonly DagsterRunStatus[] = ['QUEUED', 'NOT_STARTED', 'STARTING', 'STARTED'];

export class DagsterModel {
  readonly world: World;
  private readonly placementOf: (dag: WorldDag) => JobPlacement;
  private readonly placements = new Map<string, JobPlacement>();
  private readonly launched = new Map<string, LaunchedRunInfo>();
  private runIndex = new Map<string, WorldRun>();
  private indexedRuns = 0;
  private readonly dagsterIds = new WeakMap<WorldRun, string>();
  /** Runs terminated through the emulator: the world has no cancelled state, Dagster does. */
  private readonly terminated = new WeakMap<WorldRun, { status: DagsterRunStatus; at: number }>();

  constructor(world: World, placement: (dag: WorldDag) => JobPlacement = defaultPlacement) {
    this.world = world;
    this.placementOf = placement;
  }

  placement(dag: WorldDag): JobPlacement {
    let p = this.placements.get(dag.dag_id);
    if (!p) {
      p = this.placementOf(dag);
      this.placements.set(dag.dag_id, p);
    }
    return p;
  }

  /** Code locations by name, their repositories and jobs (each repository also has the implicit asset job). */
  locations(): LocationView[] {
    const byName = new Map<string, LocationView>();
    for (const dag of this.world.dags) {
      if (dag.stale) continue;
      const p = this.placement(dag);
      let location = byName.get(p.location);
      if (!location) {
        location = { name: p.location, loadError: null, repositories: [] };
        byName.set(p.location, location);
      }
      if (dag.import_error !== undefined && location.loadError === null)
        location.loadError = dag.import_error;
      let repo = location.repositories.find((r) => r.name === p.repository);
      if (!repo) {
        repo = {
          name: p.repository,
          jobs: [
            {
              dag: null,
              placement: { location: p.location, repository: p.repository, job: IMPLICIT_ASSET_JOB },
              isAssetJob: true,
            },
          ],
        };
        location.repositories.push(repo);
      }
      repo.jobs.push({
        dag,
        placement: p,
        isAssetJob: dag.tasks.length > 0 && /assets?\//.test(dag.relative_fileloc),
      });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The loaded job at this address, or null (unknown, or its location does not load). */
  findJob(location: string, repository: string, job: string): JobView | null {
    const loc = this.locations().find((l) => l.name === location);
    if (!loc || loc.loadError !== null) return null;
    return (
      loc.repositories.find((r) => r.name === repository)?.jobs.find((j) => j.placement.job === job) ?? null
    );
  }

  /** Every run, newest first (Dagster orders by its storage id, i.e. creation order). */
  *runsNewestFirst(): Generator<WorldRun> {
    const runs = this.world.runs;
    for (let i = runs.length - 1; i >= 0; i--) yield runs[i] as WorldRun;
  }

  run(runId: string): WorldRun | undefined {
    const runs = this.world.runs;
    if (this.indexedRuns !== runs.length) {
      if (this.indexedRuns > runs.length) this.runIndex = new Map();
      for (let i = this.indexedRuns > runs.length ? 0 : this.indexedRuns; i < runs.length; i++) {
        const r = runs[i] as WorldRun;
        this.runIndex.set(this.runId(r), r);
      }
      this.indexedRuns = runs.length;
    }
    return this.runIndex.get(runId);
  }

  /**
   * The run's Dagster id: its world run id when that is a UUID (as in the Dagster demo world), else a UUID
   * derived from the DAG and run ids (Airflow-style run ids are only unique per DAG; Dagster's are global).
   */
  runId(run: WorldRun): string {
    if (UUID.test(run.run_id)) return run.run_id;
    let id = this.dagsterIds.get(run);
    if (!id) {
      const h = createHash('sha1').update(`${run.dag_id}\u0000${run.run_id}`).digest('hex');
      const variant = ((parseInt(h[16] as string, 16) & 3) | 8).toString(16);
      id = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
      this.dagsterIds.set(run, id);
    }
    return id;
  }

  runPlacement(run: WorldRun): JobPlacement {
    const dag = this.world.dag(run.dag_id);
    return dag
      ? this.placement(dag)
      : { location: DEFAULT_LOCATION, repository: DEFAULT_REPOSITORY, job: run.dag_id };
  }

  status(run: WorldRun): DagsterRunStatus {
    const terminated = this.terminated.get(run);
    if (terminated) return terminated.status;
    switch (run.state) {
      case 'queued':
        return 'QUEUED';
      case 'running':
        return 'STARTED';
      case 'success':
        return 'SUCCESS';
      case 'failed':
        return 'FAILURE';
      default:
        return 'NOT_STARTED';
    }
  }

  /** The tags Dagster would have put on the run (how it was created), plus those it was launched with. */
  tags(run: WorldRun): Tag[] {
    const p = this.runPlacement(run);
    const tags: Tag[] = [];
    switch (run.run_type) {
      case 'scheduled':
        tags.push({ key: 'dagster/schedule_name', value: `${p.job}_schedule` });
        break;
      case 'asset_triggered':
        tags.push({ key: 'dagster/sensor_name', value: `${p.job}_sensor` });
        break;
      case 'backfill':
        tags.push(
          { key: 'dagster/backfill', value: backfillId(run) },
          {
            key: 'dagster/partition',
            value: new Date(run.logical_date ?? run.run_after).toISOString().slice(0, 10),
          },
        );
        break;
      default:
        if (run.triggering_user_name) tags.push({ key: 'user', value: run.triggering_user_name });
    }
    tags.push({ key: '.dagster/repository', value: `${p.repository}@${p.location}` });
    const launched = this.launched.get(run.run_id);
    if (launched) tags.push(...launched.tags);
    return tags;
  }

  /** When a run terminated through the emulator ended (CANCELED), in ms; null otherwise. */
  canceledAt(run: WorldRun): number | null {
    const terminated = this.terminated.get(run);
    return terminated?.status === 'CANCELED' ? terminated.at : null;
  }

  /** The run a re-execution re-executes and the root of its chain; nulls for any other run. */
  lineage(run: WorldRun): { parentRunId: string | null; rootRunId: string | null } {
    const info = this.launched.get(run.run_id);
    return { parentRunId: info?.parentRunId ?? null, rootRunId: info?.rootRunId ?? null };
  }

  /**
   * A re-execution of a run as Dagster creates it: a new run of the same job and config, queued, linked to
   * its parent and root (`parentRunId`, `rootRunId` and the `dagster/parent_run_id` and `dagster/root_run_id`
   * tags), with the parent's launch tags (unless `useParentRunTags` is false) overlaid by `extraTags`.
   */
  reexecute(
    parent: WorldRun,
    options: { extraTags: Tag[]; useParentRunTags: boolean; fromFailure: boolean },
  ): WorldRun {
    const dag = this.world.dag(parent.dag_id);
    if (!dag) throw new Error(`unknown dag ${parent.dag_id}`);
    const parentRunId = this.runId(parent);
    const rootRunId = this.lineage(parent).rootRunId ?? parentRunId;
    const tags = new Map<string, string>();
    if (options.useParentRunTags) {
      for (const t of this.launched.get(parent.run_id)?.tags ?? [])
        if (!t.key.startsWith('dagster/')) tags.set(t.key, t.value);
    }
    for (const t of options.extraTags) tags.set(t.key, t.value);
    tags.set('dagster/parent_run_id', parentRunId);
    tags.set('dagster/root_run_id', rootRunId);
    if (options.fromFailure) tags.set('dagster/is_resume_retry', 'true');
    const run = this.launch(
      dag,
      [...tags].map(([key, value]) => ({ key, value })),
      this.runConfig(parent),
    );
    const info = this.launched.get(run.run_id);
    if (info) Object.assign(info, { parentRunId, rootRunId });
    return run;
  }

  /**
   * Terminates a run: a queued one is dequeued (CANCELED), a started one is asked to stop (CANCELING) or,
   * with MARK_AS_CANCELED_IMMEDIATELY, marked CANCELED. A finished run cannot be terminated.
   */
  terminate(run: WorldRun, policy: TerminatePolicy): TerminateOutcome {
    const status = this.status(run);
    const immediately = policy === 'MARK_AS_CANCELED_IMMEDIATELY';
    if (!TERMINABLE.includes(status) && !(immediately && status === 'CANCELING')) {
      return {
        ok: false,
        message: `Run ${this.runId(run)} could not be terminated due to having status ${status}.`,
      };
    }
    const now = this.world.now();
    const queued = status === 'QUEUED' || status === 'NOT_STARTED';
    this.terminated.set(run, { status: immediately || queued ? 'CANCELED' : 'CANCELING', at: now });
    this.world.updateRun(run, { updated_at: now });
    return { ok: true };
  }

  runConfig(run: WorldRun): unknown {
    return this.launched.get(run.run_id)?.runConfig ?? run.conf;
  }

  /** A run of the job, queued as Dagster's QueuedRunCoordinator leaves a launched run. */
  launch(dag: WorldDag, tags: Tag[], runConfig: unknown): WorldRun {
    const now = this.world.now();
    const rng = Rng.for('dagster-launch', dag.dag_id, now, this.world.runs.length);
    const runId = `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${(8 + rng.int(0, 3)).toString(16)}${rng.hex(3)}-${rng.hex(12)}`;
    const run = this.world.addRun({
      dag_id: dag.dag_id,
      run_id: runId,
      run_type: 'manual',
      state: 'queued',
      logical_date: null,
      run_after: now,
      queued_at: now,
      start_date: null,
      end_date: null,
      data_interval_start: null,
      data_interval_end: null,
      updated_at: now,
      conf: isRecord(runConfig) ? runConfig : {},
      note: tags.find((t) => t.key === 'pipeline-monitor/note')?.value ?? null,
      triggered_by: 'rest_api',
      triggering_user_name: null,
      failure: null,
      running_task: null,
    });
    this.launched.set(run.run_id, { tags, runConfig });
    return run;
  }
}

/** Step keys: the task id, with the mapping key of a dynamic step (`process_partition[137]`). */
export function stepKeyOf(task: Pick<WorldTask, 'task_id' | 'map_index'>): string {
  return task.map_index >= 0 ? `${task.task_id}[${task.map_index}]` : task.task_id;
}

/** A stable opaque id, as Dagster's hashed ids look. */
export function opaqueId(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('hex');
}

function backfillId(run: WorldRun): string {
  return opaqueId('backfill', run.dag_id, String(run.queued_at ?? run.run_after)).slice(0, 8);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
