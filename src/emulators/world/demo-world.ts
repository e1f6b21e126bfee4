import { scheduledHistory } from './builders.js';
import { plantedDags } from './demo-dags.js';
import type { DemoDagSpec } from './demo-dags.js';
import { DEMO_FACTS } from './demo-facts.js';
import { assetTriggeredRuns, fillerDags } from './demo-fillers.js';
import { Rng } from './random.js';
import { DAY } from './time.js';
import type { NewWorldRun } from './types.js';
import { World } from './world.js';

export interface DemoWorldOptions {
  /** Defaults to the current time. */
  now?: Date;
  seed?: number;
}

/**
 * About 30 DAGs with 30 days of history and the facts of DEMO_FACTS planted in them.
 * Deterministic for a given `now` and `seed`.
 */
export function createDemoWorld(options: DemoWorldOptions = {}): World {
  const now = (options.now ?? new Date()).getTime();
  const seed = options.seed ?? 42;
  const rngFor = (...keys: (string | number)[]) => Rng.for(seed, ...keys);
  const specs: DemoDagSpec[] = [...plantedDags(now), ...fillerDags(now)];
  const runs: NewWorldRun[] = [];
  const byDag = new Map<string, NewWorldRun[]>();
  for (const spec of specs) {
    const dagRuns: NewWorldRun[] = [];
    if (spec.plan) {
      const from = now - (spec.historyDays ?? DEMO_FACTS.historyDays) * DAY;
      const until = spec.historyUntil ?? now + 1;
      const id = spec.dag.dag_id;
      dagRuns.push(...scheduledHistory(spec.dag, from, until, now, (slot) => rngFor(id, slot), spec.plan));
    }
    if (spec.extraRuns) dagRuns.push(...spec.extraRuns((...keys) => rngFor(spec.dag.dag_id, ...keys)));
    byDag.set(spec.dag.dag_id, dagRuns);
    runs.push(...dagRuns);
  }
  const kpi = specs.find((s) => s.dag.dag_id === 'kpi_dashboard_refresh');
  if (kpi) runs.push(...assetTriggeredRuns(kpi, byDag.get('product_usage_rollup') ?? [], now, rngFor));
  return new World({ now, dags: specs.map((s) => s.dag), runs });
}
