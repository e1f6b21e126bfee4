import { taskLog } from './logs.js';
import { deriveTasks } from './tasks.js';
import { SECOND } from './time.js';
import type { NewWorldRun, TaskLog, WorldDag, WorldImportError, WorldRun, WorldTask } from './types.js';

export interface WorldInit {
  /** The instant the world is observed at when it is built. */
  now: number;
  dags: WorldDag[];
  /** Any order; ids are given in creation order (queued_at, then run_after). */
  runs: NewWorldRun[];
  /** Derived from the DAGs' `import_error` when absent. */
  importErrors?: WorldImportError[];
}

/** Pipelines, their runs and indexes over them. Task instances and logs are derived on demand. */
export class World {
  /** The instant the world was built for; derived state (e.g. how far a running run got) is observed then. */
  readonly createdAt: number;
  private readonly realStart = Date.now();
  private readonly dagList: WorldDag[];
  private readonly dagIndex = new Map<string, WorldDag>();
  private readonly runList: WorldRun[] = [];
  /** Each DAG's runs, ascending by run_after (then id). */
  private readonly runsByDag = new Map<string, WorldRun[]>();
  /** Built per DAG on first use: run_id → run, and the logical dates taken (Airflow's unique constraint). */
  private readonly lookups = new Map<string, { ids: Map<string, WorldRun>; dates: Set<number> }>();
  private readonly taskCache = new Map<number, WorldTask[]>();
  /** Every run by (run_after, id), built on first use. */
  private byRunAfter: WorldRun[] | null = null;
  private readonly importErrorList: WorldImportError[];
  private nextRunId = 1;

  constructor(init: WorldInit) {
    this.createdAt = init.now;
    this.dagList = [...init.dags].sort((a, b) => (a.dag_id < b.dag_id ? -1 : a.dag_id > b.dag_id ? 1 : 0));
    for (const dag of this.dagList) {
      if (this.dagIndex.has(dag.dag_id)) throw new Error(`duplicate dag_id ${dag.dag_id}`);
      this.dagIndex.set(dag.dag_id, dag);
      this.runsByDag.set(dag.dag_id, []);
    }
    // Generated histories are trusted to be unique: checking would build every DAG's lookup up front.
    for (const run of creationOrder(init.runs)) this.insert(run);
    this.importErrorList =
      init.importErrors ??
      this.dagList
        .filter((d) => d.import_error !== undefined)
        .map((d, i) => ({
          import_error_id: i + 1,
          filename: d.relative_fileloc,
          bundle_name: 'dags-folder',
          stack_trace: d.import_error ?? '',
          timestamp: init.now - 75 * SECOND,
        }));
  }

  /** The world's clock: its creation instant plus the real time elapsed since. */
  now(): number {
    return this.createdAt + (Date.now() - this.realStart);
  }

  /** Every DAG, sorted by dag_id. */
  get dags(): readonly WorldDag[] {
    return this.dagList;
  }

  dag(dagId: string): WorldDag | undefined {
    return this.dagIndex.get(dagId);
  }

  /** Every run, in id (creation) order. */
  get runs(): readonly WorldRun[] {
    return this.runList;
  }

  /** Every run, ascending by run_after (then id). */
  get runsByRunAfter(): readonly WorldRun[] {
    this.byRunAfter ??= [...this.runList].sort((a, b) => a.run_after - b.run_after || a.id - b.id);
    return this.byRunAfter;
  }

  /** One DAG's runs, ascending by run_after. */
  runsOf(dagId: string): readonly WorldRun[] {
    return this.runsByDag.get(dagId) ?? [];
  }

  run(dagId: string, runId: string): WorldRun | undefined {
    return this.lookup(dagId)?.ids.get(runId);
  }

  /** The run with the latest run_after. */
  latestRun(dagId: string): WorldRun | undefined {
    const runs = this.runsOf(dagId);
    return runs[runs.length - 1];
  }

  hasRunWithLogicalDate(dagId: string, logicalDate: number): boolean {
    return this.lookup(dagId)?.dates.has(logicalDate) ?? false;
  }

  /**
   * Adds a run (e.g. a trigger) and returns it with its id; the world takes ownership of the object.
   * Throws if the DAG is unknown or the run id or logical date is taken.
   */
  addRun(input: NewWorldRun): WorldRun {
    const lookup = this.lookup(input.dag_id);
    if (!lookup) throw new Error(`unknown dag ${input.dag_id}`);
    if (lookup.ids.has(input.run_id))
      throw new Error(`run ${input.run_id} of ${input.dag_id} already exists`);
    if (input.logical_date !== null && lookup.dates.has(input.logical_date)) {
      throw new Error(`${input.dag_id} already has a run with logical date ${input.logical_date}`);
    }
    return this.insert(input);
  }

  /** Indexes a run; the per-DAG lookups are only kept up to date once built (bulk loads skip them). */
  private insert(input: NewWorldRun): WorldRun {
    const list = this.runsByDag.get(input.dag_id);
    if (!list) throw new Error(`unknown dag ${input.dag_id}`);
    // Mutating rather than copying keeps a 500,000-run world at one object per run.
    const run = input as WorldRun;
    run.id = this.nextRunId++;
    this.runList.push(run);
    this.byRunAfter = null;
    const lookup = this.lookups.get(run.dag_id);
    lookup?.ids.set(run.run_id, run);
    if (run.logical_date !== null) lookup?.dates.add(run.logical_date);
    let at = list.length;
    while (at > 0 && (list[at - 1] as WorldRun).run_after > run.run_after) at--;
    if (at === list.length) list.push(run);
    else list.splice(at, 0, run);
    return run;
  }

  private lookup(dagId: string): { ids: Map<string, WorldRun>; dates: Set<number> } | undefined {
    let lookup = this.lookups.get(dagId);
    const runs = this.runsByDag.get(dagId);
    if (!lookup && runs) {
      lookup = { ids: new Map(runs.map((r) => [r.run_id, r])), dates: new Set() };
      for (const r of runs) if (r.logical_date !== null) lookup.dates.add(r.logical_date);
      this.lookups.set(dagId, lookup);
    }
    return lookup;
  }

  /**
   * Changes a run's outcome (e.g. an emulator marking it failed or running it); its derived task
   * instances are recomputed on next use. run_id, dag_id and run_after cannot change.
   */
  updateRun(
    run: WorldRun,
    patch: Partial<Omit<WorldRun, 'id' | 'dag_id' | 'run_id' | 'run_after'>>,
  ): WorldRun {
    Object.assign(run, patch);
    this.taskCache.delete(run.id);
    return run;
  }

  /**
   * Clears the failed (and upstream_failed) task instances of a failed run so that they run again, and puts
   * the run back in the queue (Airflow's clear with only_failed and reset_dag_runs). Returns the task
   * instances cleared, as they were. A run that is not failed is left alone (nothing to clear).
   */
  clearFailedTasks(run: WorldRun): WorldTask[] {
    const cleared = this.tasks(run).filter((t) => t.state === 'failed' || t.state === 'upstream_failed');
    if (run.state !== 'failed' || cleared.length === 0 || run.start_date === null) return cleared;
    const first = run.failure?.task_id ?? cleared[0]?.task_id ?? '';
    this.updateRun(run, {
      state: 'queued',
      cleared: { task_id: first, start: run.start_date, end: run.end_date ?? this.now() },
      queued_at: this.now(),
      start_date: null,
      end_date: null,
      running_task: null,
      updated_at: this.now(),
    });
    return cleared;
  }

  /**
   * Marks an unfinished run failed by hand (Airflow's PATCH state=failed): a running task fails, the tasks
   * that had not started are skipped.
   */
  markRunFailed(run: WorldRun): WorldRun {
    const now = this.now();
    return this.updateRun(run, {
      state: 'failed',
      failure: null,
      start_date: run.start_date ?? now,
      end_date: now,
      cleared: null,
      updated_at: now,
    });
  }

  /** The run's task instances (latest try of each; mapped tasks once per map index), in creation order. */
  tasks(run: WorldRun): readonly WorldTask[] {
    let tasks = this.taskCache.get(run.id);
    if (!tasks) {
      const dag = this.dagIndex.get(run.dag_id);
      tasks = dag ? deriveTasks(dag, run, this.createdAt) : [];
      this.taskCache.set(run.id, tasks);
    }
    return tasks;
  }

  task(dagId: string, runId: string, taskId: string, mapIndex: number): WorldTask | undefined {
    const run = this.run(dagId, runId);
    return run ? this.tasks(run).find((t) => t.task_id === taskId && t.map_index === mapIndex) : undefined;
  }

  /** The log of one try of a task instance; null when that try does not exist. */
  log(task: WorldTask, tryNumber: number): TaskLog | null {
    const run = this.run(task.dag_id, task.run_id);
    const dag = this.dagIndex.get(task.dag_id);
    return run && dag ? taskLog(dag, run, task, tryNumber, this.createdAt) : null;
  }

  get importErrors(): readonly WorldImportError[] {
    return this.importErrorList;
  }
}

/** Runs in the order Airflow would have created them (queued_at, then run_after, then dag_id). */
function creationOrder(runs: readonly NewWorldRun[]): NewWorldRun[] {
  const keys = new Float64Array(runs.length);
  runs.forEach((r, i) => (keys[i] = r.queued_at ?? r.run_after));
  const order = Array.from({ length: runs.length }, (_, i) => i);
  order.sort((a, b) => {
    const d = (keys[a] as number) - (keys[b] as number);
    if (d !== 0) return d;
    const ra = runs[a] as NewWorldRun;
    const rb = runs[b] as NewWorldRun;
    return ra.run_after - rb.run_after || (ra.dag_id < rb.dag_id ? -1 : ra.dag_id > rb.dag_id ? 1 : 0);
  });
  return order.map((i) => runs[i] as NewWorldRun);
}
