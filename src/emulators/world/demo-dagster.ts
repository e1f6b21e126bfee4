import { backfillRun, makeDag, manualRun, scheduledHistory, taskDef } from './builders.js';
import type { PlanContext, RunPlan } from './builders.js';
import { Rng } from './random.js';
import { DAY, HOUR, MINUTE } from './time.js';
import type { NewWorldRun, WorldDag, WorldError, WorldFrame, WorldTaskDef } from './types.js';
import { World } from './world.js';

/**
 * A Dagster-flavoured demo world: asset and ML jobs in four code locations (plus one that fails to load),
 * 30 days of history, and the facts of DAGSTER_DEMO_FACTS planted in it. Deterministic for a `now` and seed.
 *
 * Conventions the Dagster emulator reads:
 * - a job's code location is the first segment of its `relative_fileloc` (`analytics/assets/ltv.py`), its
 *   repository Dagster's default `__repository__`;
 * - a job name used in several code locations has a dag id of the form `<job>@<repository>:<location>`
 *   (world dag ids are unique);
 * - a DAG with an `import_error` makes its whole code location fail to load;
 * - run ids are UUIDs, like Dagster's.
 */

export interface DagsterDemoWorldOptions {
  /** Defaults to the current time. */
  now?: Date;
  seed?: number;
}

export const DAGSTER_DEMO_FACTS = {
  historyDays: 30,
  /** Code locations that load, and the jobs the workspace lists (the implicit __ASSET_JOB excluded). */
  codeLocations: ['analytics', 'finance', 'ingestion', 'ml_platform'],
  jobCount: 11,

  /** The latest two runs (every 6 h) failed: a Snowflake table was dropped. No run is queued or running. */
  latestFailure: {
    job: 'customer_ltv_assets',
    location: 'analytics',
    owner: 'analytics',
    schedule: '0 */6 * * *',
    failedStep: 'stg_customers',
    succeededSteps: ['raw_customers', 'raw_orders'],
    /** Not executed after the failure: absent from the run's step stats, as in Dagster. */
    notExecutedSteps: ['customer_orders', 'customer_ltv', 'ltv_dashboard_extract'],
    errorClass: 'DagsterExecutionStepExecutionError',
    error:
      'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "stg_customers":',
    causeClass: 'snowflake.connector.errors.ProgrammingError',
    causeMessage:
      "002003 (42S02): SQL compilation error:\nObject 'ANALYTICS.PUBLIC.CUSTOMERS' does not exist or not authorized.",
    /** Lines of ordinary stdout output of the failed step before its traceback (a big log). */
    stdoutLines: 400,
  },

  /** Hourly; its latest run is running: earlier steps succeeded, one is in progress, the rest wait. */
  runningNow: {
    job: 'feature_store_sync',
    location: 'ml_platform',
    owner: 'ml-team',
    succeededSteps: ['extract_feature_views', 'compute_offline_features'],
    runningStep: 'materialize_online_features',
    waitingSteps: ['validate_feature_freshness'],
  },

  /** Its schedule is STOPPED; the last run ended 9 days ago. */
  paused: { job: 'legacy_s3_export', location: 'ingestion', owner: 'marketing-ops', lastRunDaysAgo: 9 },

  /** Healthy, every 2 hours; one run 5 days ago failed after retries (HTTP 429), every other succeeded. */
  healthy: {
    job: 'partner_api_ingest',
    location: 'ingestion',
    owner: 'data-platform',
    schedule: '0 */2 * * *',
    retriedStep: 'fetch_partner_pages',
    retries: 2,
    failedDaysAgo: 5,
    error: 'requests.exceptions.HTTPError: 429 Client Error: Too Many Requests',
  },

  /** Failed 3 days ago (NaN in the features), succeeded on every run since. */
  recoveredFailure: {
    job: 'churn_scoring_job',
    location: 'ml_platform',
    owner: 'ml-team',
    failedDaysAgo: 3,
    failedStep: 'score_customers',
    error: 'ValueError: Input X contains NaN.',
  },

  /** The same job name in two code locations: both get qualified pipeline ids. */
  sharedJobName: {
    job: 'daily_refresh',
    ids: ['daily_refresh@__repository__:analytics', 'daily_refresh@__repository__:finance'],
  },

  /** A code location that fails to load (a missing module): reported as one broken pipeline. */
  brokenLocation: {
    location: 'partner_integrations',
    pipelineId: 'code_location:partner_integrations',
    job: 'vendor_catalog_sync',
    error: "ModuleNotFoundError: No module named 'vendor_sdk'",
  },

  /** Exactly these jobs (of the listed ones) are owned by data-platform. */
  dataPlatformJobs: ['events_compaction', 'partner_api_ingest'],

  /** Jobs whose runs failed in the last 24 h, whatever `now` is. */
  failedInLast24h: ['customer_ltv_assets'],
} as const;

const F = DAGSTER_DEMO_FACTS;
const APP = '/opt/dagster/app';
const SITE = '/usr/local/lib/python3.11/site-packages';

interface JobSpec {
  dag: WorldDag;
  historyDays?: number;
  historyUntil?: number;
  plan?: (slot: number, ctx: PlanContext) => RunPlan;
  extraRuns?: (rng: (...keys: (string | number)[]) => Rng) => NewWorldRun[];
}

interface JobInput {
  id: string;
  location: string;
  module: string;
  owners: string[];
  tags: string[];
  schedule: string | null;
  description: string;
  steps: (string | WorldTaskDef)[];
  now: number;
  paused?: boolean;
  pausedAt?: number;
  importError?: string;
  maxActiveRuns?: number;
}

function job(input: JobInput): WorldDag {
  const dag = makeDag({
    dag_id: input.id,
    owners: input.owners,
    tags: input.tags,
    schedule: input.schedule,
    description: input.description,
    tasks: input.steps.map((s) => (typeof s === 'string' ? taskDef(s) : s)),
    now: input.now,
    paused: input.paused,
    pausedAt: input.pausedAt,
    import_error: input.importError,
    max_active_runs: input.maxActiveRuns,
  });
  const relative = `${input.location}/${input.module}.py`;
  return { ...dag, fileloc: `${APP}/${relative}`, relative_fileloc: relative };
}

const minutes = (rng: Rng, min: number, max: number) => rng.float(min, max) * MINUTE;
const ok = (durationMs: number): RunPlan => ({ state: 'success', durationMs });

/** The frames Dagster's step execution adds between the executor and an op's compute function. */
function dagsterFrames(): WorldFrame[] {
  const plan = `${SITE}/dagster/_core/execution/plan`;
  return [
    {
      filename: `${plan}/execute_plan.py`,
      lineno: 246,
      name: 'dagster_event_sequence_for_step',
      line: 'yield from check.generator(step_events)',
    },
    {
      filename: `${plan}/execute_step.py`,
      lineno: 504,
      name: 'core_dagster_event_sequence_for_step',
      line: 'for user_event in _step_output_error_checked_user_event_sequence(',
    },
    {
      filename: `${plan}/compute.py`,
      lineno: 190,
      name: 'execute_core_compute',
      line: 'for step_output in _yield_compute_results(step_context, inputs, compute_fn, compute_context):',
    },
    {
      filename: `${SITE}/dagster/_utils/__init__.py`,
      lineno: 390,
      name: 'iterate_with_context',
      line: 'with context_fn():',
    },
    {
      filename: `${plan}/utils.py`,
      lineno: 87,
      name: 'op_execution_error_boundary',
      line: 'raise error_cls(',
    },
  ];
}

/** The frames from the error boundary down to the user's function. */
function userCallFrames(file: string, fn: string, lineno: number, line: string): WorldFrame[] {
  const plan = `${SITE}/dagster/_core/execution/plan`;
  return [
    { filename: `${plan}/utils.py`, lineno: 57, name: 'op_execution_error_boundary', line: 'yield' },
    {
      filename: `${SITE}/dagster/_utils/__init__.py`,
      lineno: 392,
      name: 'iterate_with_context',
      line: 'next_output = next(iterator)',
    },
    {
      filename: `${plan}/compute_generator.py`,
      lineno: 137,
      name: '_coerce_op_compute_fn_to_iterator',
      line: 'result = invoke_compute_fn(',
    },
    {
      filename: `${plan}/compute_generator.py`,
      lineno: 117,
      name: 'invoke_compute_fn',
      line: 'return fn(context, **args_to_pass) if context_arg_provided else fn(**args_to_pass)',
    },
    { filename: file, lineno, name: fn, line },
  ];
}

function stepError(
  step: string,
  cause: WorldError['chain'][number],
  preamble: WorldError['preamble'],
): WorldError {
  return {
    chain: [
      {
        type: 'dagster._core.errors.DagsterExecutionStepExecutionError',
        message: `Error occurred while executing op "${step}":`,
        frames: dagsterFrames(),
      },
      cause,
    ],
    printed_traceback: false,
    preamble,
  };
}

/** `customer_ltv_assets.stg_customers`: the source table is gone from Snowflake. */
function snowflakeMissingTable(file: string): WorldError {
  const connector = `${SITE}/snowflake/connector`;
  return stepError(
    F.latestFailure.failedStep,
    {
      type: F.latestFailure.causeClass,
      message: F.latestFailure.causeMessage,
      frames: [
        ...userCallFrames(file, F.latestFailure.failedStep, 41, 'cursor.execute(STG_CUSTOMERS_SQL)'),
        {
          filename: `${connector}/cursor.py`,
          lineno: 1080,
          name: 'execute',
          line: 'Error.errorhandler_wrapper(self.connection, self, error_class, errvalue)',
        },
        {
          filename: `${connector}/errors.py`,
          lineno: 290,
          name: 'errorhandler_wrapper',
          line: 'handed_over = Error.hand_to_other_handler(',
        },
        {
          filename: `${connector}/errors.py`,
          lineno: 345,
          name: 'hand_to_other_handler',
          line: 'cursor.errorhandler(connection, cursor, error_class, error_value)',
        },
        {
          filename: `${connector}/errors.py`,
          lineno: 221,
          name: 'default_errorhandler',
          line: 'raise error_class(',
        },
      ],
    },
    [
      {
        level: 'info',
        logger: 'snowflake.connector.connection',
        event:
          'Snowflake Connector for Python Version: 3.12.3, Python Version: 3.11.9, Platform: Linux-5.15.0-1064-aws-x86_64-with-glibc2.36',
      },
      {
        level: 'info',
        logger: 'snowflake.connector.cursor',
        event:
          'query: [CREATE OR REPLACE TABLE ANALYTICS.STAGING.STG_CUSTOMERS AS SELECT customer_id, email, country, created_at FROM ANALYTICS.PUBLIC.CUSTOMERS...]',
      },
      {
        level: 'error',
        logger: 'snowflake.connector.cursor',
        event:
          "query failed: 002003 (42S02): Object 'ANALYTICS.PUBLIC.CUSTOMERS' does not exist or not authorized.",
      },
    ],
  );
}

/** `partner_api_ingest.fetch_partner_pages`: the partner API rate-limits every attempt. */
function partnerRateLimited(file: string): WorldError {
  return stepError(
    F.healthy.retriedStep,
    {
      type: 'requests.exceptions.HTTPError',
      message: '429 Client Error: Too Many Requests for url: https://api.partner.example/v3/orders?page=41',
      frames: [
        ...userCallFrames(file, F.healthy.retriedStep, 58, 'response.raise_for_status()'),
        {
          filename: `${SITE}/requests/models.py`,
          lineno: 1024,
          name: 'raise_for_status',
          line: 'raise HTTPError(http_error_msg, response=self)',
        },
      ],
    },
    [
      {
        level: 'warning',
        logger: 'partner_api',
        event: 'Rate limited by partner API (HTTP 429), Retry-After: 120 s; page 41 of 58',
      },
    ],
  );
}

/** `churn_scoring_job.score_customers`: a feature column was all NaN. */
function nanFeatures(file: string): WorldError {
  return stepError(
    F.recoveredFailure.failedStep,
    {
      type: 'ValueError',
      message: 'Input X contains NaN.',
      frames: [
        ...userCallFrames(
          file,
          F.recoveredFailure.failedStep,
          73,
          'scores = model.predict_proba(features)[:, 1]',
        ),
        {
          filename: `${SITE}/sklearn/utils/validation.py`,
          lineno: 147,
          name: '_assert_all_finite',
          line: 'raise ValueError(msg_err)',
        },
      ],
    },
    [
      {
        level: 'warning',
        logger: 'churn',
        event: "Feature 'days_since_last_order' is NaN for 18.2% of rows",
      },
    ],
  );
}

function locationLoadError(): string {
  return [
    'Traceback (most recent call last):',
    `  File "${SITE}/dagster/_core/code_pointer.py", line 135, in load_python_module`,
    '    return importlib.import_module(module_name)',
    `  File "${APP}/partner_integrations/definitions.py", line 4, in <module>`,
    '    from vendor_sdk.client import VendorClient',
    F.brokenLocation.error,
    '',
  ].join('\n');
}

function specs(now: number): JobSpec[] {
  const out: JobSpec[] = [];

  const ltv = job({
    id: F.latestFailure.job,
    location: F.latestFailure.location,
    module: 'assets/customer_ltv',
    owners: [F.latestFailure.owner, 'maria.lopez@example.com'],
    tags: ['customer', 'snowflake', 'tier=gold'],
    schedule: F.latestFailure.schedule,
    description:
      'Customer lifetime value assets: staged customers and orders, LTV model output, dashboard extract',
    steps: [
      ...F.latestFailure.succeededSteps,
      taskDef(F.latestFailure.failedStep, 'PythonOperator', {
        weight: 2,
        log_lines: F.latestFailure.stdoutLines,
      }),
      ...F.latestFailure.notExecutedSteps,
    ],
    now,
  });
  out.push({
    dag: ltv,
    plan: (_s, { latest, back, rng }) =>
      latest || back === 1
        ? {
            state: 'failed',
            durationMs: minutes(rng, 3, 4),
            failure: {
              task_id: F.latestFailure.failedStep,
              map_index: -1,
              error: snowflakeMissingTable(ltv.fileloc),
            },
          }
        : ok(minutes(rng, 9, 12)),
  });

  const features = job({
    id: F.runningNow.job,
    location: F.runningNow.location,
    module: 'jobs/feature_store',
    owners: [F.runningNow.owner],
    tags: ['ml', 'features'],
    schedule: '15 * * * *',
    description: 'Syncs offline features to the online feature store',
    steps: [...F.runningNow.succeededSteps, F.runningNow.runningStep, ...F.runningNow.waitingSteps],
    maxActiveRuns: 1,
    now,
  });
  out.push({
    dag: features,
    historyDays: 7,
    plan: (_s, { latest, rng }) =>
      latest
        ? { state: 'running', durationMs: 0, running_task: F.runningNow.runningStep }
        : ok(minutes(rng, 18, 26)),
  });

  const churn = job({
    id: F.recoveredFailure.job,
    location: F.recoveredFailure.location,
    module: 'jobs/churn',
    owners: [F.recoveredFailure.owner],
    tags: ['ml', 'churn'],
    schedule: '0 6 * * *',
    description: 'Scores every active customer with the churn model',
    steps: ['load_features', F.recoveredFailure.failedStep, 'publish_scores'],
    now,
  });
  out.push({
    dag: churn,
    plan: (_s, { back, rng }) =>
      back === F.recoveredFailure.failedDaysAgo
        ? {
            state: 'failed',
            durationMs: minutes(rng, 6, 7),
            failure: {
              task_id: F.recoveredFailure.failedStep,
              map_index: -1,
              error: nanFeatures(churn.fileloc),
            },
          }
        : ok(minutes(rng, 11, 14)),
  });

  const retrain = job({
    id: 'model_retrain_weekly',
    location: 'ml_platform',
    module: 'jobs/retrain',
    owners: ['ml-team'],
    tags: ['ml', 'training'],
    schedule: '0 4 * * 0',
    description: 'Retrains the churn and LTV models on the last 12 months',
    steps: [
      'build_training_set',
      taskDef('train_models', 'PythonOperator', { weight: 6 }),
      'register_models',
    ],
    now,
  });
  out.push({ dag: retrain, plan: (_s, { rng }) => ok(minutes(rng, 70, 95)) });

  const partner = job({
    id: F.healthy.job,
    location: F.healthy.location,
    module: 'jobs/partner_api',
    owners: [F.healthy.owner],
    tags: ['ingest', 'partner'],
    schedule: F.healthy.schedule,
    description: 'Pulls orders from the partner API into the raw zone',
    steps: [
      taskDef(F.healthy.retriedStep, 'PythonOperator', { retries: F.healthy.retries, weight: 3 }),
      'load_raw_orders',
    ],
    now,
  });
  out.push({
    dag: partner,
    plan: (_s, { back, rng }) =>
      back === F.healthy.failedDaysAgo * 12
        ? {
            state: 'failed',
            durationMs: minutes(rng, 9, 10),
            failure: {
              task_id: F.healthy.retriedStep,
              map_index: -1,
              error: partnerRateLimited(partner.fileloc),
            },
          }
        : ok(minutes(rng, 4, 7)),
  });

  const compaction = job({
    id: 'events_compaction',
    location: 'ingestion',
    module: 'jobs/compaction',
    owners: ['data-platform'],
    tags: ['maintenance', 'lake'],
    schedule: '0 1 * * *',
    description: 'Compacts yesterday’s event partitions into 512 MiB Parquet files',
    steps: [
      'list_small_files',
      taskDef('compact_partitions', 'PythonOperator', { weight: 4 }),
      'expire_snapshots',
    ],
    now,
  });
  out.push({
    dag: compaction,
    plan: (_s, { rng }) => ok(minutes(rng, 20, 28)),
    extraRuns: (rng) =>
      [35, 34, 33].map((daysAgo) =>
        backfillRun(
          compaction,
          now - daysAgo * DAY,
          now - 10 * DAY,
          ok(minutes(rng(daysAgo), 20, 25)),
          rng(daysAgo),
        ),
      ),
  });

  const legacy = job({
    id: F.paused.job,
    location: F.paused.location,
    module: 'jobs/legacy_export',
    owners: [F.paused.owner],
    tags: ['legacy', 'export'],
    schedule: '30 3 * * *',
    description: 'Nightly export of campaign data to the legacy S3 bucket (being retired)',
    steps: ['export_campaigns', 'upload_to_s3'],
    paused: true,
    pausedAt: now - (F.paused.lastRunDaysAgo - 0.5) * DAY,
    now,
  });
  out.push({
    dag: legacy,
    historyUntil: now - F.paused.lastRunDaysAgo * DAY,
    plan: (_s, { rng }) => ok(minutes(rng, 5, 8)),
  });

  const spend = job({
    id: 'marketing_spend_rollup',
    location: 'analytics',
    module: 'assets/marketing',
    owners: ['marketing-ops'],
    tags: ['marketing', 'snowflake'],
    schedule: '0 7 * * *',
    description: 'Daily spend per channel and campaign',
    steps: ['raw_ad_spend', 'spend_by_channel'],
    now,
  });
  out.push({
    dag: spend,
    plan: (_s, { rng }) => ok(minutes(rng, 6, 9)),
    extraRuns: (rng) => [
      manualRun(spend, now - 2 * DAY - 3 * HOUR, ok(8 * MINUTE), rng('m1'), {
        user: 'maria.lopez@example.com',
        conf: { ops: { spend_by_channel: { config: { full_refresh: true } } } },
      }),
    ],
  });

  const [first, second] = F.sharedJobName.ids;
  out.push({
    dag: job({
      id: first,
      location: 'analytics',
      module: 'jobs/refresh',
      owners: ['analytics'],
      tags: ['refresh'],
      schedule: '0 5 * * *',
      description: 'Refreshes the analytics marts',
      steps: ['refresh_marts'],
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 3, 5)),
  });
  out.push({
    dag: job({
      id: second,
      location: 'finance',
      module: 'jobs/refresh',
      owners: ['finance-eng'],
      tags: ['refresh', 'domain=finance'],
      schedule: '30 5 * * *',
      description: 'Refreshes the finance marts',
      steps: ['refresh_ledger_marts'],
      now,
    }),
    plan: (_s, { rng }) => ok(minutes(rng, 2, 4)),
  });

  const invoices = job({
    id: 'invoice_reconciliation',
    location: 'finance',
    module: 'jobs/invoices',
    owners: ['finance-eng'],
    tags: ['domain=finance', 'reconciliation'],
    schedule: '0 8 * * 1-5',
    description: 'Matches invoices against payments received',
    steps: ['load_invoices', 'match_payments', 'report_unmatched'],
    now,
  });
  out.push({ dag: invoices, plan: (_s, { rng }) => ok(minutes(rng, 4, 6)) });

  const vendor = job({
    id: F.brokenLocation.job,
    location: F.brokenLocation.location,
    module: 'definitions',
    owners: ['finance-eng'],
    tags: ['vendor'],
    schedule: '15 4 * * *',
    description: 'Syncs the vendor catalog',
    steps: ['fetch_vendor_catalog', 'load_vendor_catalog'],
    importError: locationLoadError(),
    now,
  });
  out.push({ dag: vendor, historyUntil: now - 4 * DAY, plan: (_s, { rng }) => ok(minutes(rng, 3, 5)) });
  return out;
}

/** Dagster run ids are UUIDs (version 4). */
function runUuid(rng: Rng): string {
  const variant = (8 + rng.int(0, 3)).toString(16);
  return `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${variant}${rng.hex(3)}-${rng.hex(12)}`;
}

export function createDagsterDemoWorld(options: DagsterDemoWorldOptions = {}): World {
  const now = (options.now ?? new Date()).getTime();
  const seed = options.seed ?? 7;
  const rngFor = (...keys: (string | number)[]) => Rng.for(seed, 'dagster', ...keys);
  const all = specs(now);
  const runs: NewWorldRun[] = [];
  for (const spec of all) {
    const id = spec.dag.dag_id;
    if (spec.plan) {
      const from = now - (spec.historyDays ?? F.historyDays) * DAY;
      const until = spec.historyUntil ?? now + 1;
      runs.push(...scheduledHistory(spec.dag, from, until, now, (slot) => rngFor(id, slot), spec.plan));
    }
    if (spec.extraRuns) runs.push(...spec.extraRuns((...keys) => rngFor(id, ...keys)));
  }
  for (const run of runs) run.run_id = runUuid(rngFor('run-id', run.dag_id, run.run_id));
  return new World({ now, dags: all.map((s) => s.dag), runs });
}
