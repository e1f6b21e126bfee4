import { makeDag, scheduledRun, taskDef } from './builders.js';
import type { RunPlan } from './builders.js';
import { genericFailure } from './failures.js';
import { Rng } from './random.js';
import { HOUR, MINUTE } from './time.js';
import type { NewWorldRun, WorldDag } from './types.js';
import { World } from './world.js';

export interface ScaleWorldOptions {
  dags: number;
  runsPerDag: number;
  /** How many DAGs have a latest run that failed within the last 24 h; every other run of the last 48 h succeeded. */
  failedInLastDay: number;
  now?: Date;
  seed?: number;
}

const OWNERS = ['data-platform', 'analytics', 'finance-eng', 'ml-team', 'marketing-ops'];
const DOMAINS = ['sales', 'inventory', 'marketing', 'finance', 'ml', 'product', 'ops', 'support'];

export function scaleDagId(index: number): string {
  return `scale_dag_${String(index).padStart(5, '0')}`;
}

/** The indexes of the DAGs whose latest run failed in the last day (spread evenly). */
export function scaleFailedIndexes(dags: number, failedInLastDay: number): number[] {
  const count = Math.min(dags, failedInLastDay);
  return Array.from({ length: count }, (_, j) => Math.floor((j * dags) / count));
}

/**
 * A big world for load tests: `dags` DAGs, each with `runsPerDag` scheduled runs every 6 or 12 hours,
 * ending with the latest slot that finished by `now`. Tasks and logs are derived on demand.
 */
export function createScaleWorld(options: ScaleWorldOptions): World {
  const now = (options.now ?? new Date()).getTime();
  const seed = options.seed ?? 7;
  const failed = new Set(scaleFailedIndexes(options.dags, options.failedInLastDay));
  const tasks = [
    taskDef('extract'),
    taskDef('transform', 'PythonOperator', { weight: 2 }),
    taskDef('load', 'SQLExecuteQueryOperator'),
  ];
  const dags: WorldDag[] = [];
  const runs: NewWorldRun[] = [];
  for (let i = 0; i < options.dags; i++) {
    const minute = i % 60;
    const everyHours = i % 2 === 0 ? 6 : 12;
    const dag = makeDag({
      dag_id: scaleDagId(i),
      owners: [OWNERS[i % OWNERS.length] as string],
      tags: [DOMAINS[i % DOMAINS.length] as string, `tier-${(i % 3) + 1}`],
      schedule: `${minute} */${everyHours} * * *`,
      tasks,
      now,
    });
    dags.push(dag);
    const period = everyHours * HOUR;
    // Latest slot whose run (at most ~20 minutes) has ended by now.
    const latest = Math.floor((now - 45 * MINUTE - minute * MINUTE) / period) * period + minute * MINUTE;
    const rng = Rng.for(seed, i);
    for (let k = options.runsPerDag - 1; k >= 0; k--) {
      const slot = latest - k * period;
      let plan: RunPlan = { state: 'success', durationMs: rng.float(4, 18) * MINUTE };
      const failNow = k === 0 && failed.has(i);
      if (failNow || (slot < now - 48 * HOUR && rng.chance(0.01))) {
        const task = failNow ? 'load' : rng.pick(['extract', 'transform', 'load']);
        plan = {
          state: 'failed',
          durationMs: plan.durationMs,
          failure: { task_id: task, map_index: -1, error: genericFailure(i + k, dag.fileloc, task) },
        };
      }
      runs.push(scheduledRun(dag, slot, plan, rng));
    }
  }
  return new World({ now, dags, runs });
}
