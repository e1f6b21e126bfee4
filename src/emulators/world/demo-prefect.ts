import type { RunPlan } from './builders.js';
import {
  assetTriggeredRun,
  makeDag,
  manualRun,
  scheduledHistory,
  scheduledRun,
  taskDef,
} from './builders.js';
import { cronTimesBetween, nextCronTime, parseCron } from './cron.js';
import { Rng } from './random.js';
import { DAY, HOUR, MINUTE, SECOND } from './time.js';
import type { NewWorldRun, WorldDag, WorldError, WorldFrame } from './types.js';
import { World } from './world.js';

/**
 * A world of Prefect deployments (`<flow name>/<deployment name>` ids, so they never clash with the
 * Airflow demo's DAG ids) with 30 days of history and the facts of PREFECT_DEMO_FACTS planted in them.
 *
 * The world model is orchestrator-neutral; the Prefect emulator reads two conventions from it:
 * - a failed run whose outermost exception is `PREFECT_CRASH_TYPE` is CRASHED (its message becomes the
 *   state message), not FAILED;
 * - a DAG whose `timetable_summary` is `interval:<seconds>` or `rrule:<RRULE>` is served with an interval or
 *   RRule schedule (its cron `schedule` still drives the generated history).
 */

/** Outermost exception type of a world failure that Prefect reports as CRASHED (infrastructure died). */
export const PREFECT_CRASH_TYPE = 'prefect.exceptions.CrashedRun';

export interface PrefectDemoWorldOptions {
  /** Defaults to the current time. */
  now?: Date;
  seed?: number;
}

const CRASH_MESSAGE = 'Flow run infrastructure exited with non-zero status code 137.';
const HUBSPOT_URL = 'https://api.hubspot.com/crm/v3/objects/contacts';

export const PREFECT_DEMO_FACTS = {
  /** Deployments in the world (one flow has two of them). */
  deployments: 11,
  historyDays: 30,

  /** Every run succeeded; runs every 4 hours. */
  healthy: {
    pipelineId: 'ingest-salesforce/prod',
    flow: 'ingest-salesforce',
    deployment: 'prod',
    owner: 'data-platform',
    schedule: '0 */4 * * *',
    tags: ['crm', 'ingest', 'salesforce'],
    tasks: ['extract_accounts', 'extract_opportunities', 'load_raw', 'publish_snapshot'],
  },

  /** The second deployment of the same flow. */
  sameFlow: { pipelineId: 'ingest-salesforce/staging', owner: 'data-eng' },

  /** The latest run FAILED (within the last hour or so): the API key was revoked; every try got a 401. */
  failed: {
    pipelineId: 'sync-hubspot/hourly',
    owner: 'marketing-ops',
    /** Interval schedule, in seconds. */
    intervalSeconds: 3600,
    failedTask: 'fetch_contacts',
    /** retries=2: three tries, all failed. */
    tries: 3,
    errorType: 'httpx.HTTPStatusError',
    error: `Client error '401 Unauthorized' for url '${HUBSPOT_URL}'`,
    stateMessage: `Flow run encountered an exception: HTTPStatusError: Client error '401 Unauthorized' for url '${HUBSPOT_URL}'`,
    downstreamTasks: ['upsert_contacts', 'update_watermark'],
  },

  /** The latest run CRASHED (OOM kill, exit code 137) while training; runs every 6 hours. */
  crashed: {
    pipelineId: 'score-churn-model/prod',
    owner: 'ml-team',
    task: 'train_model',
    exitCode: 137,
    stateMessage: CRASH_MESSAGE,
  },

  /** The latest scheduled run is Late (SCHEDULED, at least 5 minutes past its start): no worker picked it up. */
  late: {
    pipelineId: 'load-stripe-payments/prod',
    owner: 'finance-eng',
    schedule: '15 */2 * * *',
    minLateMinutes: 5,
  },

  /** Manual deployment: its latest run started 40 minutes ago and is running `replay_partitions`. */
  runningNow: {
    pipelineId: 'backfill-events/manual',
    owner: 'data-platform',
    succeededTasks: ['plan_partitions'],
    runningTask: 'replay_partitions',
    startedMinutesAgo: 40,
  },

  /** A completed run of backfill-events/manual 3 days ago whose `replay_partitions` log is about 3 MB. */
  bigLog: {
    pipelineId: 'backfill-events/manual',
    task: 'replay_partitions',
    daysAgo: 3,
    lines: 30_000,
  },

  /** Paused; its last run ended 10 days ago. */
  paused: { pipelineId: 'legacy-mailchimp-export/daily', owner: 'marketing-ops', lastRunDaysAgo: 10 },

  /** Runs created by an automation after each successful ingest-salesforce/prod run (trigger kind: event). */
  eventTriggered: { pipelineId: 'enrich-leads/prod', owner: 'marketing-ops' },

  /** An RRule schedule. */
  rrule: {
    pipelineId: 'export-finance-ledger/monthly',
    rrule: 'FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=3;BYMINUTE=0',
  },

  /** No owner:… tag: its owner comes from a `team:analytics` tag. */
  teamTag: { pipelineId: 'refresh-dashboards/daily', owner: 'analytics' },

  /** Exactly these deployments have the owner data-platform. */
  dataPlatformDeployments: ['backfill-events/manual', 'ingest-salesforce/prod'],

  /** Deployments whose latest finished run failed or crashed within the last 24 h, whatever `now` is. */
  failedInLast24h: ['score-churn-model/prod', 'sync-hubspot/hourly'],
} as const;

const F = PREFECT_DEMO_FACTS;
const SITE = '/usr/local/lib/python3.12/site-packages';

/** The Prefect 3 task-engine frames between the worker process and a task function. */
function taskEngineFrames(): WorldFrame[] {
  return [
    { filename: `${SITE}/prefect/task_engine.py`, lineno: 1468, name: 'run_context', line: 'yield self' },
    {
      filename: `${SITE}/prefect/task_engine.py`,
      lineno: 1538,
      name: 'run_task_sync',
      line: 'engine.call_task_fn(txn)',
    },
    {
      filename: `${SITE}/prefect/task_engine.py`,
      lineno: 1487,
      name: 'call_task_fn',
      line: 'result = call_with_parameters(self.task.fn, parameters)',
    },
    {
      filename: `${SITE}/prefect/utilities/callables.py`,
      lineno: 210,
      name: 'call_with_parameters',
      line: 'return fn(*args, **kwargs)',
    },
  ];
}

/** `sync-hubspot/hourly`: the private-app token was revoked. */
function hubspotUnauthorized(): WorldError {
  return {
    chain: [
      {
        type: F.failed.errorType,
        message: F.failed.error,
        frames: [
          ...taskEngineFrames(),
          {
            filename: '/opt/prefect/flows/sync_hubspot.py',
            lineno: 41,
            name: 'fetch_contacts',
            line: 'response.raise_for_status()',
          },
          {
            filename: `${SITE}/httpx/_models.py`,
            lineno: 829,
            name: 'raise_for_status',
            line: 'raise HTTPStatusError(message, request=request, response=self)',
          },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'httpx',
        event: `HTTP Request: GET ${HUBSPOT_URL}?limit=100&archived=false "HTTP/1.1 401 Unauthorized"`,
      },
    ],
  };
}

/** `score-churn-model/prod`: the container was OOM-killed while training. */
function oomKilled(): WorldError {
  return {
    chain: [{ type: PREFECT_CRASH_TYPE, message: CRASH_MESSAGE, frames: [] }],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'prefect.task_runs',
        event: 'Training gradient-boosted model on 4,812,331 rows x 212 features',
      },
      {
        level: 'warning',
        logger: 'prefect.task_runs',
        event: 'Resident memory 7.6 GiB of the 8 GiB container limit',
      },
    ],
  };
}

interface PrefectSpec {
  dag: WorldDag;
  /** Scheduled history covers [now - historyDays, historyUntil). */
  historyDays?: number;
  historyUntil?: number;
  plan?: (slot: number, ctx: { latest: boolean; rng: Rng }) => RunPlan;
  extraRuns?: (rngFor: (...keys: (string | number)[]) => Rng, history: NewWorldRun[]) => NewWorldRun[];
  /** Add the next scheduled run (in the future) as Prefect's scheduler would have. Default: when scheduled and active. */
  upcoming?: boolean;
}

const minutes = (rng: Rng, min: number, max: number) => rng.float(min, max) * MINUTE;
const ok = (durationMs: number): RunPlan => ({ state: 'success', durationMs });
const task = (id: string, options: Parameters<typeof taskDef>[2] = {}) =>
  taskDef(id, '_PythonDecoratedOperator', { log_lines: 10, ...options });

function specs(now: number): PrefectSpec[] {
  const out: PrefectSpec[] = [];

  out.push({
    dag: makeDag({
      dag_id: F.healthy.pipelineId,
      owners: [F.healthy.owner],
      tags: ['ingest', 'salesforce', 'crm'],
      schedule: F.healthy.schedule,
      description: 'Pulls accounts and opportunities from Salesforce into the raw zone',
      tasks: F.healthy.tasks.map((t, i) => task(t, { weight: i < 2 ? 2 : 1, retries: i < 2 ? 3 : 0 })),
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 8, 12)),
  });

  out.push({
    dag: makeDag({
      dag_id: F.sameFlow.pipelineId,
      owners: [F.sameFlow.owner],
      tags: ['ingest', 'salesforce', 'staging'],
      schedule: '0 6 * * *',
      description: 'The same flow against the Salesforce sandbox',
      tasks: F.healthy.tasks.map((t) => task(t)),
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 3, 5)),
  });

  out.push({
    dag: makeDag({
      dag_id: F.teamTag.pipelineId,
      owners: [],
      tags: ['bi', 'dashboards', `team:${F.teamTag.owner}`],
      schedule: '30 6 * * *',
      description: 'Refreshes the BI extracts and warms the dashboard cache',
      tasks: [task('refresh_extracts', { weight: 3 }), task('warm_cache')],
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 11, 14)),
  });

  const hubspot = makeDag({
    dag_id: F.failed.pipelineId,
    owners: [F.failed.owner],
    tags: ['sync', 'hubspot', 'crm'],
    schedule: '0 * * * *',
    description: 'Syncs HubSpot contacts into the warehouse every hour',
    tasks: [
      task(F.failed.failedTask, { retries: F.failed.tries - 1, weight: 2 }),
      ...F.failed.downstreamTasks.map((t) => task(t)),
    ],
    now,
  });
  hubspot.timetable_summary = `interval:${F.failed.intervalSeconds}`;
  hubspot.timetable_description = 'Every hour';
  out.push({
    dag: hubspot,
    plan: (_s, { latest, rng }) =>
      latest
        ? {
            state: 'failed',
            durationMs: minutes(rng, 1.5, 2.5),
            failure: { task_id: F.failed.failedTask, map_index: -1, error: hubspotUnauthorized() },
          }
        : ok(minutes(rng, 2, 4)),
  });

  out.push({
    dag: makeDag({
      dag_id: F.crashed.pipelineId,
      owners: [F.crashed.owner],
      tags: ['ml', 'churn'],
      schedule: '0 */6 * * *',
      description: 'Retrains the churn model and scores every active customer',
      tasks: [
        task('load_features'),
        task(F.crashed.task, { weight: 4 }),
        task('score_customers', { weight: 2 }),
        task('publish_scores'),
      ],
      now,
    }),
    plan: (_s, { latest, rng }) =>
      latest
        ? {
            state: 'failed',
            durationMs: minutes(rng, 17, 19),
            failure: { task_id: F.crashed.task, map_index: -1, error: oomKilled() },
          }
        : ok(minutes(rng, 24, 28)),
  });

  // The latest slot at least 5 minutes ago is Late; history stops before it.
  const stripeCron = parseCron(F.late.schedule);
  const lateSlots = cronTimesBetween(stripeCron, now - 3 * HOUR, now - F.late.minLateMinutes * MINUTE + 1);
  const lateSlot = lateSlots[lateSlots.length - 1] as number;
  const stripe = makeDag({
    dag_id: F.late.pipelineId,
    owners: [F.late.owner],
    tags: ['payments', 'stripe'],
    schedule: F.late.schedule,
    description: 'Loads Stripe charges, refunds and payouts',
    tasks: [task('fetch_charges', { weight: 2 }), task('fetch_refunds'), task('load_payments')],
    now,
  });
  out.push({
    dag: stripe,
    historyUntil: lateSlot,
    plan: (_s, { rng }) => ok(minutes(rng, 5, 7)),
    extraRuns: (rngFor) => {
      const run = scheduledRun(stripe, lateSlot, ok(0), rngFor('late'));
      // Scheduled and never picked up: no worker polls the work pool.
      return [{ ...run, state: 'queued', queued_at: lateSlot - HOUR, start_date: null, end_date: null }];
    },
  });

  const backfill = makeDag({
    dag_id: F.runningNow.pipelineId,
    owners: [F.runningNow.owner],
    tags: ['backfill', 'events'],
    schedule: null,
    description: 'Replays raw event partitions on demand',
    tasks: [
      task(F.runningNow.succeededTasks[0]),
      task(F.runningNow.runningTask, { weight: 8, log_lines: F.bigLog.lines }),
      task('verify_counts'),
    ],
    max_active_runs: 1,
    now,
  });
  out.push({
    dag: backfill,
    extraRuns: (rngFor) => [
      manualRun(backfill, now - 9 * DAY - 2 * HOUR, ok(52 * MINUTE), rngFor('b1'), {
        user: 'a.kowalski@example.com',
        conf: { start: '2026-01-01', end: '2026-01-31' },
      }),
      manualRun(backfill, now - F.bigLog.daysAgo * DAY, ok(47 * MINUTE), rngFor('b2'), {
        user: 'a.kowalski@example.com',
        conf: { start: '2026-02-01', end: '2026-02-28' },
      }),
      ((): NewWorldRun => {
        const started = now - F.runningNow.startedMinutesAgo * MINUTE;
        const run = manualRun(
          backfill,
          started - 20 * SECOND,
          { state: 'running', durationMs: 0, running_task: F.runningNow.runningTask },
          rngFor('b3'),
          { user: 'j.okafor@example.com', conf: { start: '2026-03-01', end: '2026-03-07' } },
        );
        return { ...run, queued_at: started - 10 * SECOND, start_date: started, updated_at: started };
      })(),
    ],
  });

  const ledger = makeDag({
    dag_id: F.rrule.pipelineId,
    owners: ['finance-eng'],
    tags: ['finance', 'export'],
    schedule: '0 3 1 * *',
    description: 'Exports the closed month’s ledger for the auditors',
    tasks: [task('close_period'), task('export_ledger', { weight: 3 })],
    now,
  });
  ledger.timetable_summary = `rrule:${F.rrule.rrule}`;
  ledger.timetable_description = 'Monthly on day 1 at 03:00';
  out.push({ dag: ledger, historyDays: 62, plan: (_s, { rng }) => ok(minutes(rng, 18, 22)) });

  const pausedAt = now - (F.paused.lastRunDaysAgo - 0.5) * DAY;
  out.push({
    dag: makeDag({
      dag_id: F.paused.pipelineId,
      owners: [F.paused.owner],
      tags: ['mailchimp', 'legacy'],
      schedule: '0 7 * * *',
      description: 'Old audience export to Mailchimp (replaced by sync-hubspot)',
      tasks: [task('export_audience'), task('upload_csv')],
      paused: true,
      pausedAt,
      now,
    }),
    historyUntil: now - F.paused.lastRunDaysAgo * DAY,
    plan: (_s, { rng }) => ok(minutes(rng, 4, 6)),
    upcoming: false,
  });

  out.push({
    dag: makeDag({
      dag_id: 'compact-iceberg-tables/weekly',
      owners: ['platform-infra'],
      tags: ['maintenance', 'iceberg'],
      schedule: '0 4 * * 0',
      description: 'Rewrites small files and expires snapshots of the hot Iceberg tables',
      tasks: [task('rewrite_data_files', { weight: 3 }), task('expire_snapshots')],
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 35, 50)),
  });

  const enrich = makeDag({
    dag_id: F.eventTriggered.pipelineId,
    owners: [F.eventTriggered.owner],
    tags: ['leads', 'enrichment'],
    schedule: null,
    description: 'Enriches new leads with firmographics; run by an automation after each Salesforce ingest',
    tasks: [task('select_new_leads'), task('call_enrichment_api', { retries: 2 }), task('write_leads')],
    now,
  });
  out.push({ dag: enrich });
  return out;
}

/**
 * The Prefect demo world. Deterministic for a given `now` and `seed`.
 */
export function createPrefectDemoWorld(options: PrefectDemoWorldOptions = {}): World {
  const now = (options.now ?? new Date()).getTime();
  const seed = options.seed ?? 42;
  const rngFor = (...keys: (string | number)[]) => Rng.for(seed, 'prefect', ...keys);
  const all = specs(now);
  const runs: NewWorldRun[] = [];
  const byId = new Map<string, NewWorldRun[]>();
  for (const spec of all) {
    const id = spec.dag.dag_id;
    const history: NewWorldRun[] = [];
    if (spec.plan) {
      const plan = spec.plan;
      const from = now - (spec.historyDays ?? F.historyDays) * DAY;
      history.push(
        ...scheduledHistory(
          spec.dag,
          from,
          spec.historyUntil ?? now + 1,
          now,
          (slot) => rngFor(id, slot),
          (slot, ctx) => plan(slot, { latest: ctx.latest, rng: ctx.rng }),
        ),
      );
    }
    if (spec.extraRuns) history.push(...spec.extraRuns((...keys) => rngFor(id, ...keys), history));
    if (spec.dag.schedule !== null && !spec.dag.paused && spec.upcoming !== false) {
      const next = nextCronTime(parseCron(spec.dag.schedule), now);
      if (next !== null) {
        const run = scheduledRun(spec.dag, next, ok(0), rngFor(id, 'next'));
        // Created by Prefect's scheduler ahead of time; not started.
        history.push({ ...run, state: 'queued', queued_at: next - HOUR, start_date: null, end_date: null });
      }
    }
    byId.set(id, history);
    runs.push(...history);
  }
  // The automation: an enrich-leads run about a minute after each successful ingest run.
  const enrich = all.find((s) => s.dag.dag_id === F.eventTriggered.pipelineId);
  if (enrich) {
    for (const up of byId.get(F.healthy.pipelineId) ?? []) {
      if (up.state !== 'success' || up.end_date === null) continue;
      const rng = rngFor('automation', up.run_id);
      const at = up.end_date + rng.int(20, 90) * SECOND;
      const durationMs = minutes(rng, 2, 4);
      if (at + durationMs + 20 * SECOND > now) continue;
      runs.push(assetTriggeredRun(enrich.dag, at, { state: 'success', durationMs }, rng));
    }
  }
  return new World({ now, dags: all.map((s) => s.dag), runs });
}
