import { Rng, uuid7 } from './random.js';
import { SECOND } from './time.js';
import type { TaskState, WorldAttempt, WorldDag, WorldRun, WorldTask, WorldTaskDef } from './types.js';

/**
 * Task instances are not stored: they are derived from the DAG's task chain and the run's outcome,
 * so a world of 500,000 runs costs nothing until someone looks at a run's tasks.
 * `asOf` is the instant a running run is observed at (the world's creation time, for determinism).
 */
export function deriveTasks(dag: WorldDag, run: WorldRun, asOf: number): WorldTask[] {
  const builder = new TaskBuilder(dag, run);
  const defs = dag.tasks;
  if (run.start_date === null) {
    defs.forEach((def, i) => builder.waiting(def, i));
    return builder.tasks;
  }
  if (run.cleared && (run.state === 'queued' || run.state === 'running')) {
    const cleared = run.cleared;
    const at = defs.findIndex((d) => d.task_id === cleared.task_id);
    const windows = sequentialWindows(defs.slice(0, at + 1), cleared.start, cleared.end);
    defs.forEach((def, i) => {
      const window = windows[i];
      if (i < at && window) builder.succeeded(def, i, window);
      else builder.waiting(def, i);
    });
    return builder.tasks;
  }
  const start = run.start_date;
  const end = run.end_date ?? asOf;
  const failing =
    run.state === 'failed' && run.failure ? defs.findIndex((d) => d.task_id === run.failure?.task_id) : -1;
  const running =
    run.state === 'running' && run.running_task ? defs.findIndex((d) => d.task_id === run.running_task) : -1;

  if (run.state === 'failed' && !run.failure && run.running_task) {
    // Marked failed by hand while a task ran: that task failed, the ones waiting after it are skipped.
    const stopped = defs.findIndex((d) => d.task_id === run.running_task);
    if (stopped >= 0) {
      const split = start + Math.floor(((end - start) * stopped) / (stopped + 1));
      const windows = sequentialWindows(defs.slice(0, stopped), start, split);
      defs.forEach((def, i) => {
        if (i < stopped) builder.succeeded(def, i, windows[i] as Window);
        else if (i === stopped) builder.markedFailed(def, i, split, end);
        else builder.skipped(def, i, end);
      });
      return builder.tasks;
    }
  }

  if (running >= 0) {
    // The tasks before the running one share the elapsed time; the running one started at `split`.
    const split = start + Math.floor(((end - start) * running) / (running + 1));
    const windows = sequentialWindows(defs.slice(0, running), start, split);
    defs.forEach((def, i) => {
      if (i < running) builder.succeeded(def, i, windows[i] as Window);
      else if (i === running) builder.runningNow(def, i, split);
      else builder.waiting(def, i);
    });
    return builder.tasks;
  }

  const executed = failing >= 0 ? defs.slice(0, failing + 1) : defs;
  const windows = sequentialWindows(executed, start, end);
  defs.forEach((def, i) => {
    const window = windows[i];
    if (i === failing && window) builder.failed(def, i, window);
    else if (window) builder.succeeded(def, i, window);
    else if (failing >= 0 && i > failing) builder.upstreamFailed(def, i, end);
    else builder.waiting(def, i);
  });
  return builder.tasks;
}

interface Window {
  start: number;
  end: number;
}

function sequentialWindows(defs: readonly WorldTaskDef[], start: number, end: number): Window[] {
  const gap = Math.min(2 * SECOND, Math.floor((end - start) / (defs.length * 20 + 1)));
  const usable = Math.max(0, end - start - gap * (defs.length + 1));
  const total = defs.reduce((sum, d) => sum + d.weight, 0) || 1;
  const windows: Window[] = [];
  let cursor = start + gap;
  for (const def of defs) {
    const length = Math.floor((usable * def.weight) / total);
    windows.push({ start: cursor, end: cursor + length });
    cursor += length + gap;
  }
  const last = windows[windows.length - 1];
  if (last) last.end = Math.max(last.start, end - gap);
  return windows;
}

/** Mapped instances run in batches of this many at once. */
const MAP_PARALLELISM = 16;

class TaskBuilder {
  readonly tasks: WorldTask[] = [];
  private readonly rng: Rng;

  constructor(
    private readonly dag: WorldDag,
    private readonly run: WorldRun,
  ) {
    this.rng = Rng.for('tasks', run.dag_id, run.run_id);
  }

  private push(
    def: WorldTaskDef,
    index: number,
    mapIndex: number,
    attempts: WorldAttempt[],
    state: TaskState | null,
  ): void {
    this.tasks.push(this.make(def, index, mapIndex, attempts, state));
  }

  private make(
    def: WorldTaskDef,
    index: number,
    mapIndex: number,
    attempts: WorldAttempt[],
    state: TaskState | null,
  ): WorldTask {
    const last = attempts[attempts.length - 1];
    // Ids follow creation order: the run's instances are created with it, in declaration order.
    const created = (this.run.queued_at ?? this.run.run_after) + index;
    const queuedWhen = last ? last.start_date - this.rng.int(800, 2500) : null;
    return {
      id: uuid7(created, this.rng),
      dag_id: this.run.dag_id,
      run_id: this.run.run_id,
      task_id: def.task_id,
      map_index: mapIndex,
      try_number: attempts.length,
      max_tries: def.retries,
      state,
      start_date: last?.start_date ?? null,
      end_date: last?.end_date ?? null,
      queued_when: queuedWhen,
      scheduled_when: queuedWhen === null ? null : queuedWhen - this.rng.int(100, 900),
      operator: def.operator,
      operator_name: def.operator_name,
      hostname: last?.hostname ?? null,
      pid: last?.pid ?? null,
      pool: def.pool,
      pool_slots: 1,
      queue: def.queue,
      priority_weight: this.dag.tasks.length - index,
      updated_at: last?.end_date ?? last?.start_date ?? created,
      attempts,
    };
  }

  private attempt(tryNumber: number, state: TaskState, start: number, end: number | null): WorldAttempt {
    return {
      try_number: tryNumber,
      state,
      start_date: start,
      end_date: end,
      hostname: `airflow-worker-${this.rng.int(0, 2)}.airflow-worker.airflow.svc.cluster.local`,
      pid: this.rng.int(120, 32000),
    };
  }

  private mapIndexes(def: WorldTaskDef): number[] {
    const count = def.map_count ?? 0;
    return count > 0 ? Array.from({ length: count }, (_, i) => i) : [-1];
  }

  /** Where a mapped instance runs inside its task's window. */
  private slot(def: WorldTaskDef, mapIndex: number, window: Window): Window {
    const count = def.map_count ?? 0;
    if (mapIndex < 0 || count === 0) return window;
    const batches = Math.ceil(count / MAP_PARALLELISM);
    const length = (window.end - window.start) / batches;
    const batch = Math.floor(mapIndex / MAP_PARALLELISM);
    const start = Math.floor(window.start + batch * length + this.rng.float(0, 0.1) * length);
    return {
      start,
      end: Math.max(start, Math.floor(window.start + (batch + 1) * length - this.rng.float(0, 0.1) * length)),
    };
  }

  succeeded(def: WorldTaskDef, index: number, window: Window): void {
    for (const mapIndex of this.mapIndexes(def)) {
      const { start, end } = this.slot(def, mapIndex, window);
      this.push(def, index, mapIndex, [this.attempt(1, 'success', start, end)], 'success');
    }
  }

  failed(def: WorldTaskDef, index: number, window: Window): void {
    const failedIndex = this.run.failure?.map_index ?? -1;
    for (const mapIndex of this.mapIndexes(def)) {
      const slot = this.slot(def, mapIndex, window);
      if (mapIndex !== failedIndex) {
        this.push(def, index, mapIndex, [this.attempt(1, 'success', slot.start, slot.end)], 'success');
        continue;
      }
      // Every try fails; the gap after each early try is the retry delay. The last try ends the window.
      const tries = def.retries + 1;
      const span = (window.end - slot.start) / tries;
      const attempts: WorldAttempt[] = [];
      for (let t = 1; t <= tries; t++) {
        const start = Math.floor(slot.start + (t - 1) * span);
        const last = t === tries;
        attempts.push(
          this.attempt(
            t,
            last ? 'failed' : 'up_for_retry',
            start,
            last ? window.end : Math.floor(start + span * 0.4),
          ),
        );
      }
      this.push(def, index, mapIndex, attempts, 'failed');
    }
  }

  runningNow(def: WorldTaskDef, index: number, start: number): void {
    this.push(def, index, -1, [this.attempt(1, 'running', start, null)], 'running');
  }

  /** A running task whose run was marked failed: its one try ends failed at `end`. */
  markedFailed(def: WorldTaskDef, index: number, start: number, end: number): void {
    this.push(def, index, -1, [this.attempt(1, 'failed', start, end)], 'failed');
  }

  /** A task that had not started when its run was marked failed. */
  skipped(def: WorldTaskDef, index: number, at: number): void {
    const ti = this.make(def, index, -1, [], 'skipped');
    this.tasks.push({ ...ti, start_date: at, end_date: at, updated_at: at });
  }

  upstreamFailed(def: WorldTaskDef, index: number, at: number): void {
    // Airflow stamps start and end when it marks a task upstream_failed, but the task never ran (try 0).
    const ti = this.make(def, index, -1, [], 'upstream_failed');
    this.tasks.push({ ...ti, start_date: at, end_date: at, updated_at: at });
  }

  /** A task that has not run; a mapped task that was never expanded is one instance with map_index -1. */
  waiting(def: WorldTaskDef, index: number): void {
    this.push(def, index, -1, [], null);
  }
}
