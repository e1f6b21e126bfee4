import type { PlanContext, RunPlan } from './builders.js';
import { makeDag, manualRun, scheduledHistory, taskDef } from './builders.js';
import { DEMO_FACTS as F } from './demo-facts.js';
import {
  corruptParquet,
  dbtMissingRelation,
  emptyWeekendExport,
  importErrorTrace,
  inventoryTimeout,
  ledgerMismatch,
} from './failures.js';
import type { Rng } from './random.js';
import { DAY, HOUR, MINUTE } from './time.js';
import type { NewWorldRun, WorldDag, WorldError } from './types.js';

/** One DAG of a demo world and how its history is generated. */
export interface DemoDagSpec {
  dag: WorldDag;
  /** Scheduled history covers [historyFrom, historyUntil); defaults: 30 days back, until now. */
  historyDays?: number;
  historyUntil?: number;
  plan?: (slot: number, ctx: PlanContext) => RunPlan;
  /** Runs the timetable did not create (manual, backfill...). */
  extraRuns?: (rngFor: (...keys: (string | number)[]) => Rng) => NewWorldRun[];
}

const minutes = (rng: Rng, min: number, max: number) => rng.float(min, max) * MINUTE;
const ok = (durationMs: number): RunPlan => ({ state: 'success', durationMs });
const SITE = '/home/airflow/.local/lib/python3.12/site-packages';

/** `ab_test_metrics_refresh.refresh_metric_tables`: a concurrent writer wins the row (a transient conflict). */
function serializationFailure(): WorldError {
  const sql = `${SITE}/airflow/providers/common/sql`;
  return {
    chain: [
      {
        type: F.flaky.errorType,
        message: `${F.flaky.error}\n`,
        frames: [
          { filename: `${SITE}/airflow/sdk/execution_time/task_runner.py`, lineno: 1120, name: 'run' },
          {
            filename: `${SITE}/airflow/sdk/execution_time/task_runner.py`,
            lineno: 1527,
            name: '_execute_task',
          },
          { filename: `${SITE}/airflow/sdk/bases/operator.py`, lineno: 443, name: 'wrapper' },
          { filename: `${sql}/operators/sql.py`, lineno: 312, name: 'execute', line: 'output = hook.run(' },
          {
            filename: `${sql}/hooks/sql.py`,
            lineno: 486,
            name: 'run',
            line: 'self._run_command(cur, sql_statement, parameters)',
          },
          {
            filename: `${sql}/hooks/sql.py`,
            lineno: 538,
            name: '_run_command',
            line: 'cur.execute(sql_statement)',
          },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'airflow.task.operators.airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator',
        event:
          'Executing: UPDATE experiments.metric_snapshots SET refreshed_at = now() WHERE experiment_id = ANY(%(ids)s)',
      },
    ],
  };
}

/**
 * Which slots of the flaky DAG fail: slots are numbered from the epoch and cut into blocks of
 * `blockRuns`; in each block, `failuresPerBlock` positions chosen by the block's seeded rng fail, never two
 * next to each other and never the block's last (so a failure is always followed by a success). Slots of
 * the last `quietHours` never fail.
 */
function flakySlots(now: number, period: number, rngFor: (...keys: (string | number)[]) => Rng) {
  const { blockRuns, failuresPerBlock, quietHours } = F.flaky;
  const blocks = new Map<number, Set<number>>();
  return (slot: number): boolean => {
    if (slot > now - quietHours * HOUR) return false;
    const k = Math.floor(slot / period);
    const block = Math.floor(k / blockRuns);
    let chosen = blocks.get(block);
    if (!chosen) {
      const rng = rngFor('flaky-block', block);
      chosen = new Set<number>();
      for (let n = 0; n < failuresPerBlock; n++) {
        const free = Array.from({ length: blockRuns - 1 }, (_, p) => p).filter(
          (p) => !chosen?.has(p) && !chosen?.has(p - 1) && !chosen?.has(p + 1),
        );
        if (free.length > 0) chosen.add(rng.pick(free));
      }
      blocks.set(block, chosen);
    }
    return chosen.has(k - block * blockRuns);
  };
}

/** The DAGs behind DEMO_FACTS. */
export function plantedDags(now: number): DemoDagSpec[] {
  const specs: DemoDagSpec[] = [];

  const sales = makeDag({
    dag_id: F.healthy.dagId,
    owners: [F.healthy.owner],
    tags: ['sales', 'etl'],
    schedule: F.healthy.schedule,
    description: 'Loads yesterday’s orders and payments into the warehouse and publishes the sales report',
    tasks: [
      taskDef('extract_orders', 'PythonOperator', { weight: 2, retries: 2 }),
      taskDef('extract_payments', 'PythonOperator', { weight: 2, retries: 2 }),
      taskDef('transform_sales', 'PythonOperator', { weight: 3 }),
      taskDef('load_warehouse', 'SQLExecuteQueryOperator', { weight: 2 }),
      taskDef('publish_report', 'EmailOperator'),
    ],
    now,
  });
  specs.push({ dag: sales, plan: (_s, { rng }) => ok(minutes(rng, 25.5, 29.5)) });

  const inventory = makeDag({
    dag_id: F.latestFailure.dagId,
    owners: [F.latestFailure.owner],
    tags: ['inventory', 'sync'],
    schedule: F.latestFailure.schedule,
    description: 'Pulls the inventory snapshot from the inventory service every 6 hours',
    tasks: [
      taskDef(F.latestFailure.failedTask, 'PythonOperator', { retries: 1, weight: 2 }),
      taskDef('validate_snapshot'),
      taskDef('upsert_inventory', 'SQLExecuteQueryOperator', { weight: 2 }),
      taskDef('refresh_inventory_cache'),
    ],
    now,
  });
  specs.push({
    dag: inventory,
    plan: (_s, { latest, rng }) =>
      latest
        ? {
            state: 'failed',
            durationMs: 17 * MINUTE,
            failure: {
              task_id: F.latestFailure.failedTask,
              map_index: -1,
              error: inventoryTimeout(inventory.fileloc, F.latestFailure.failedTask),
            },
          }
        : ok(minutes(rng, 6, 9)),
  });

  const attribution = makeDag({
    dag_id: F.mondayFailure.dagId,
    owners: [F.mondayFailure.owner],
    tags: ['marketing', 'attribution'],
    schedule: F.mondayFailure.schedule,
    description: 'Multi-touch attribution of conversions to ad spend',
    tasks: [
      taskDef('fetch_ad_spend'),
      taskDef(F.mondayFailure.failedTask, 'PythonOperator', { retries: 2 }),
      taskDef('attribute_conversions', 'PythonOperator', { weight: 3 }),
      taskDef('publish_attribution'),
    ],
    now,
  });
  specs.push({
    dag: attribution,
    plan: (slot, { rng }) =>
      new Date(slot).getUTCDay() === 1
        ? {
            state: 'failed',
            durationMs: minutes(rng, 19, 21),
            failure: {
              task_id: F.mondayFailure.failedTask,
              map_index: -1,
              error: emptyWeekendExport(attribution.fileloc, F.mondayFailure.failedTask),
            },
          }
        : ok(minutes(rng, 12, 15)),
  });

  const c360 = makeDag({
    dag_id: F.slowingDown.dagId,
    owners: [F.slowingDown.owner],
    tags: ['customer', 'analytics'],
    schedule: '0 4 * * *',
    description: 'Builds the customer 360 table from profiles, orders and events',
    tasks: [
      taskDef('stage_profiles'),
      taskDef('join_events', 'PythonOperator', { weight: 2 }),
      taskDef('build_customer_360', 'SQLExecuteQueryOperator', { weight: 4 }),
      taskDef('publish_snapshot'),
    ],
    now,
  });
  const { firstDurationMinutes: first, lastDurationMinutes: last } = F.slowingDown;
  specs.push({
    dag: c360,
    plan: (_s, { index, count, rng }) =>
      ok((first + ((last - first) * index) / Math.max(1, count - 1) + rng.float(-0.4, 0.4)) * MINUTE),
  });

  const flaky = makeDag({
    dag_id: F.flaky.dagId,
    owners: [F.flaky.owner],
    tags: ['experiments', 'metrics'],
    schedule: F.flaky.schedule,
    description: 'Refreshes the A/B test metric tables while the experiment service keeps writing to them',
    tasks: [
      taskDef('collect_exposures', 'SQLExecuteQueryOperator'),
      taskDef(F.flaky.failedTask, 'SQLExecuteQueryOperator', { weight: 3 }),
      taskDef('publish_metric_snapshot'),
    ],
    now,
  });
  specs.push({
    dag: flaky,
    // Generated here rather than by `plan`: which slots fail is decided per block of slots (seeded).
    extraRuns: (rngFor) => {
      const fails = flakySlots(now, 4 * HOUR, rngFor);
      return scheduledHistory(
        flaky,
        now - F.historyDays * DAY,
        now + 1,
        now,
        (slot) => rngFor(slot),
        (slot, { rng }) =>
          fails(slot)
            ? {
                state: 'failed',
                durationMs: minutes(rng, 2, 4),
                failure: { task_id: F.flaky.failedTask, map_index: -1, error: serializationFailure() },
              }
            : ok(minutes(rng, 5, 8)),
      );
    },
  });

  const features = makeDag({
    dag_id: F.runningNow.dagId,
    owners: [F.runningNow.owner],
    tags: ['ml', 'features'],
    schedule: '0 */3 * * *',
    description: 'Recomputes user and item features for the ranking models',
    tasks: [...F.runningNow.succeededTasks, F.runningNow.runningTask, ...F.runningNow.waitingTasks].map((t) =>
      taskDef(t),
    ),
    max_active_runs: 1,
    now,
  });
  specs.push({
    dag: features,
    historyDays: 7,
    plan: (_s, { latest, rng }) =>
      latest
        ? { state: 'running', durationMs: 0, running_task: F.runningNow.runningTask }
        : ok(minutes(rng, 35, 45)),
  });

  const pausedAt = now - (F.paused.lastRunDaysAgo - 0.5) * DAY;
  const crm = makeDag({
    dag_id: F.paused.dagId,
    owners: [F.paused.owner],
    tags: ['crm', 'legacy'],
    schedule: '0 3 * * *',
    description: 'Nightly contact export to the old CRM (replaced by crm_contacts_dedupe)',
    tasks: [taskDef('export_contacts'), taskDef('upload_sftp')],
    paused: true,
    pausedAt,
    now,
  });
  specs.push({
    dag: crm,
    historyUntil: now - F.paused.lastRunDaysAgo * DAY,
    plan: (_s, { rng }) => ok(minutes(rng, 8, 10)),
  });

  const vendor = makeDag({
    dag_id: F.importError.dagId,
    owners: [F.importError.owner],
    tags: ['vendor', 'finance'],
    schedule: '15 4 * * *',
    description: 'Syncs the vendor catalog from the vendor SDK',
    tasks: [taskDef('fetch_vendor_catalog'), taskDef('load_vendor_catalog', 'SQLExecuteQueryOperator')],
    import_error: importErrorTrace(
      '/opt/airflow/dags/broken_vendor_sync.py',
      'vendor_sdk',
      'from vendor_sdk.client import VendorClient',
    ),
    lastParsedAgoMs: 4 * DAY,
    now,
  });
  specs.push({ dag: vendor, historyUntil: now - 4 * DAY, plan: (_s, { rng }) => ok(minutes(rng, 3, 5)) });

  const dbt = makeDag({
    dag_id: F.secondRecentFailure.dagId,
    owners: [F.secondRecentFailure.owner],
    tags: ['dbt', 'warehouse'],
    schedule: '30 1 * * *',
    description: 'Runs and tests the nightly dbt project',
    tasks: ['dbt_deps', 'dbt_seed', F.secondRecentFailure.failedTask, 'dbt_test', 'notify_slack'].map(
      (t, i) => taskDef(t, i === 4 ? 'SlackWebhookOperator' : 'BashOperator', { weight: i === 2 ? 5 : 1 }),
    ),
    now,
  });
  specs.push({
    dag: dbt,
    plan: (_s, { latest, rng }) =>
      latest
        ? {
            state: 'failed',
            durationMs: minutes(rng, 10, 12),
            failure: {
              task_id: F.secondRecentFailure.failedTask,
              map_index: -1,
              error: dbtMissingRelation(),
            },
          }
        : ok(minutes(rng, 16, 20)),
  });

  const ledger = makeDag({
    dag_id: F.recoveredFailure.dagId,
    owners: [F.recoveredFailure.owner],
    tags: ['finance', 'reconciliation'],
    schedule: '0 5 * * *',
    description: 'Reconciles general-ledger totals against payment settlements',
    tasks: [
      taskDef('extract_gl'),
      taskDef('extract_settlements'),
      taskDef(F.recoveredFailure.failedTask),
      taskDef('post_report'),
    ],
    now,
  });
  specs.push({
    dag: ledger,
    plan: (_s, { back, rng }) =>
      back === F.recoveredFailure.failedDaysAgo
        ? {
            state: 'failed',
            durationMs: minutes(rng, 4, 5),
            failure: {
              task_id: F.recoveredFailure.failedTask,
              map_index: -1,
              error: ledgerMismatch(ledger.fileloc, F.recoveredFailure.failedTask),
            },
          }
        : ok(minutes(rng, 4, 6)),
  });

  const partitions = makeDag({
    dag_id: F.oldFailure.dagId,
    owners: [F.oldFailure.owner],
    tags: ['lake', 'reprocessing'],
    schedule: null,
    description: 'Reprocesses raw event partitions on demand (one mapped task per partition)',
    tasks: [
      taskDef('list_partitions', '_PythonDecoratedOperator'),
      taskDef(F.oldFailure.mappedTask, '_PythonDecoratedOperator', {
        map_count: F.oldFailure.mapCount,
        retries: 1,
        weight: 8,
        log_lines: 6,
      }),
      taskDef('merge_results', '_PythonDecoratedOperator'),
    ],
    max_active_runs: 1,
    now,
  });
  specs.push({
    dag: partitions,
    extraRuns: (rngFor) => [
      manualRun(partitions, now - 9 * DAY - 5 * HOUR, ok(38 * MINUTE), rngFor('p1'), {
        user: 'j.okafor',
        conf: { partitions: 'all', source: 'events' },
      }),
      manualRun(
        partitions,
        now - F.oldFailure.failedHoursAgo * HOUR,
        {
          state: 'failed',
          durationMs: 41 * MINUTE,
          failure: {
            task_id: F.oldFailure.mappedTask,
            map_index: F.oldFailure.failedMapIndex,
            error: corruptParquet(partitions.fileloc, F.oldFailure.mappedTask, F.oldFailure.failedMapIndex),
          },
        },
        rngFor('p2'),
        {
          user: 'j.okafor',
          triggered_by: 'rest_api',
          conf: { partitions: 'all', source: 'events' },
          note: 'Reprocessing after the S3 outage (INC-2231)',
        },
      ),
    ],
  });

  const vacuum = makeDag({
    dag_id: 'warehouse_vacuum',
    owners: ['data-platform'],
    tags: ['maintenance', 'warehouse'],
    schedule: '0 3 * * 0',
    description: 'Weekly VACUUM ANALYZE and reindex of the hot warehouse tables',
    tasks: [
      taskDef('vacuum_analyze', 'SQLExecuteQueryOperator', { weight: 3 }),
      taskDef('reindex_hot_tables', 'SQLExecuteQueryOperator'),
    ],
    now,
  });
  specs.push({ dag: vacuum, plan: (_s, { rng }) => ok(minutes(rng, 45, 60)) });

  specs.push({
    dag: makeDag({
      dag_id: F.staleDag,
      owners: ['analytics'],
      tags: ['reporting'],
      schedule: '0 6 * * *',
      description: 'Replaced by kpi_dashboard_refresh; its file was deleted',
      tasks: [taskDef('build_report')],
      stale: true,
      paused: true,
      pausedAt: now - 44 * DAY,
      lastParsedAgoMs: 44 * DAY,
      now,
    }),
  });
  return specs;
}
