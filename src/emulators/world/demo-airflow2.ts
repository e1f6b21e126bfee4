import type { PlanContext, RunPlan } from './builders.js';
import { makeDag, makeRun, scheduledHistory, taskDef } from './builders.js';
import { cronTimesBetween, parseCron } from './cron.js';
import { genericFailure } from './failures.js';
import { Rng } from './random.js';
import { DAY, HOUR, MINUTE, pythonIsoTime } from './time.js';
import type { NewWorldRun, TriggeredBy, WorldDag, WorldError, WorldFrame } from './types.js';
import { World } from './world.js';

/**
 * A "legacy" Airflow 2.10 deployment of another team (finance, HR and IT back-office jobs), meant to be
 * served by the Airflow emulator in `/api/v1` mode, with 30 days of history and the facts of
 * AIRFLOW2_DEMO_FACTS planted in it. Its DAG ids clash with no other demo world's. Deterministic for a `now`
 * and seed.
 *
 * Airflow 2 flavour:
 * - cron DAGs use Airflow 2's default CronDataIntervalTimetable: a run fires at the end of its data interval
 *   and its logical (execution) date is the interval's start, one schedule period before it ran
 *   (`scheduled__<start of the interval>`); `next_dagrun` is the logical date of the next run;
 * - manual runs have a logical date (the trigger instant) and a `manual__<isoformat>` run id;
 * - failures raise through Airflow 2's task runner (`taskinstance.py`), with provider operators of 2.10.
 */

export interface Airflow2DemoWorldOptions {
  /** Defaults to the current time. */
  now?: Date;
  seed?: number;
}

const SFTP_REMOTE = '/outbound/acme/settlements.csv';
const SFTP_LOCAL = '/tmp/sftp_partner_drop/settlements.csv';
const SSH_BANNER = 'Error reading SSH protocol banner';
const PG_TIMEOUT =
  'could not connect to server: Connection timed out\n\tIs the server running on host "pg-restore-scratch.internal" (10.42.7.19) and accepting\n\tTCP/IP connections on port 5432?\n';

const SNOWFLAKE_AUTH =
  '250001 (08001): Failed to connect to DB: acme.snowflakecomputing.com:443. Incorrect username or password was specified.';

export const AIRFLOW2_DEMO_FACTS = {
  /** What the deployment runs (the emulator in `/api/v1` mode answers with its own 2.10.x version). */
  airflowMajor: 2,
  /** Every DAG is active and visible; none has an import error. */
  dagCount: 12,
  historyDays: 30,
  owners: ['airflow', 'data-platform', 'finance-eng', 'hr-systems', 'it-ops'],

  /** Every run of the last 30 days succeeded; daily, the latest one ran within the last 24 h. */
  healthy: {
    dagId: 'erp_gl_extract',
    owner: 'finance-eng',
    schedule: '0 2 * * *',
    tags: ['erp', 'finance', 'gl'],
    tasks: ['extract_gl_journal', 'extract_gl_balances', 'load_gl_staging', 'publish_gl_snapshot'],
  },

  /**
   * Every 4 hours; the latest run failed (within the last 24 h, whatever `now` is): the partner's SFTP server
   * accepted the TCP connection but never sent its SSH banner, on all three tries. No run is queued or running.
   */
  latestFailure: {
    dagId: 'sftp_partner_drop',
    owner: 'data-platform',
    schedule: '0 */4 * * *',
    failedTask: 'download_partner_files',
    /** retries=2: three tries, all failed; Airflow 2 reports max_tries=2. */
    failedTry: 3,
    maxTries: 2,
    succeededTasks: ['wait_for_partner_manifest'],
    downstreamTasks: ['validate_checksums', 'load_partner_staging', 'archive_remote_files'],
    errorType: 'airflow.exceptions.AirflowException',
    error: `Error while transferring from ${SFTP_REMOTE} to ${SFTP_LOCAL}, error: ${SSH_BANNER}`,
    causeType: 'paramiko.ssh_exception.SSHException',
    causeMessage: SSH_BANNER,
    connectionId: 'sftp_partner_acme',
  },

  /** Every 2 hours; the latest run is running: earlier tasks succeeded, one is running, the rest wait. */
  runningNow: {
    dagId: 'hr_workday_sync',
    owner: 'hr-systems',
    schedule: '0 */2 * * *',
    succeededTasks: ['fetch_workers', 'fetch_positions'],
    runningTask: 'build_org_hierarchy',
    waitingTasks: ['load_hr_tables', 'notify_hris_team'],
  },

  /** Paused (replaced by the new billing platform); its last run ended about 15 days ago. */
  paused: { dagId: 'legacy_billing_export', owner: 'finance-eng', lastRunDaysAgo: 15 },

  /**
   * Failed 3 days ago (the scratch database for the restore check timed out), succeeded on every run since:
   * not a failure of the last 24 h.
   */
  recoveredFailure: {
    dagId: 'nightly_backup_verify',
    owner: 'data-platform',
    failedDaysAgo: 3,
    failedTask: 'check_restored_counts',
    errorType: 'psycopg2.OperationalError',
    error: 'could not connect to server: Connection timed out',
  },

  /** Manual only; a dynamically mapped task (`.expand()`), one instance per invoice batch; every run succeeded. */
  mapped: {
    dagId: 'vendor_invoice_ocr',
    owner: 'finance-eng',
    mappedTask: 'ocr_invoice_batch',
    mapCount: 24,
    manualRuns: 3,
  },

  /** Two owners in one DAG: Airflow 2's API answers `["hr-systems", " finance-eng"]` (split on "," alone). */
  multiOwner: { dagId: 'hr_headcount_report', owners: ['hr-systems', 'finance-eng'] },

  /** No `owner` in its default_args: Airflow's default owner. */
  defaultOwner: { dagId: 'pg_partition_rotate', owner: 'airflow' },

  /** Exactly these DAGs have the owner data-platform. */
  dataPlatformDags: ['nightly_backup_verify', 'sftp_partner_drop'],
  /** Exactly these DAGs have the owner finance-eng (one of them shared with hr-systems). */
  financeEngDags: [
    'erp_gl_extract',
    'expense_report_rollup',
    'hr_headcount_report',
    'legacy_billing_export',
    'vendor_invoice_ocr',
  ],

  /**
   * One cause breaking several pipelines: the warehouse service user's password was rotated and these DAGs'
   * Snowflake connection still has the old one. The latest run of each failed within the last 24 h (whatever
   * `now` is, more than 6 h before it), in a different task and at a different time, with the same error;
   * earlier runs succeeded. Both DAGs have no schedule: their source systems trigger them (daily, twice a day).
   */
  sharedCause: {
    dagIds: ['payroll_journal_load', 'it_asset_inventory_load'],
    /** Triggered through the REST API by the source systems; the failed runs ended this many hours ago. */
    failedHoursAgo: [9.3, 13.6],
    failedTasks: ['copy_into_payroll_journal', 'merge_asset_inventory'],
    connectionId: 'snowflake_warehouse',
    errorType: 'snowflake.connector.errors.DatabaseError',
    error: SNOWFLAKE_AUTH,
    errorFragment: 'Incorrect username or password',
    errorClass: 'auth',
  },

  /** DAGs with a run that failed within the last 24 h, whatever `now` is (sorted). */
  failedInLast24h: ['it_asset_inventory_load', 'payroll_journal_load', 'sftp_partner_drop'],
} as const;

const F = AIRFLOW2_DEMO_FACTS;
const SITE = '/home/airflow/.local/lib/python3.12/site-packages';

/** Airflow 2's task runner, from the worker down to an operator's execute(). */
function runnerFrames(): WorldFrame[] {
  return [
    {
      filename: `${SITE}/airflow/models/taskinstance.py`,
      lineno: 465,
      name: '_execute_task',
      line: 'result = _execute_callable(context=context, **execute_callable_kwargs)',
    },
    {
      filename: `${SITE}/airflow/models/taskinstance.py`,
      lineno: 432,
      name: '_execute_callable',
      line: 'return execute_callable(context=context, **execute_callable_kwargs)',
    },
    {
      filename: `${SITE}/airflow/models/baseoperator.py`,
      lineno: 401,
      name: 'wrapper',
      line: 'return func(self, *args, **kwargs)',
    },
  ];
}

/** `sftp_partner_drop.download_partner_files`: the SFTP server never sends its SSH banner. */
function sftpBannerTimeout(): WorldError {
  const sftpOperator = `${SITE}/airflow/providers/sftp/operators/sftp.py`;
  return {
    chain: [
      {
        type: F.latestFailure.errorType,
        message: F.latestFailure.error,
        frames: [
          ...runnerFrames(),
          {
            filename: sftpOperator,
            lineno: 191,
            name: 'execute',
            line: 'raise AirflowException(f"Error while transferring {file_msg}, error: {e}")',
          },
        ],
      },
      {
        type: F.latestFailure.causeType,
        message: F.latestFailure.causeMessage,
        frames: [
          {
            filename: sftpOperator,
            lineno: 178,
            name: 'execute',
            line: 'self.sftp_hook.retrieve_file(_remote_filepath, _local_filepath, prefetch=self.prefetch)',
          },
          {
            filename: `${SITE}/airflow/providers/sftp/hooks/sftp.py`,
            lineno: 263,
            name: 'retrieve_file',
            line: 'conn = self.get_conn()',
          },
          {
            filename: `${SITE}/airflow/providers/sftp/hooks/sftp.py`,
            lineno: 103,
            name: 'get_conn',
            line: 'self.conn = super().get_conn().open_sftp()',
          },
          {
            filename: `${SITE}/airflow/providers/ssh/hooks/ssh.py`,
            lineno: 338,
            name: 'get_conn',
            line: 'client.connect(**connect_kwargs)',
          },
          {
            filename: `${SITE}/paramiko/client.py`,
            lineno: 451,
            name: 'connect',
            line: 't.start_client(timeout=timeout)',
          },
          { filename: `${SITE}/paramiko/transport.py`, lineno: 773, name: 'start_client', line: 'raise e' },
          {
            filename: `${SITE}/paramiko/transport.py`,
            lineno: 2185,
            name: 'run',
            line: 'self._check_banner()',
          },
          {
            filename: `${SITE}/paramiko/transport.py`,
            lineno: 2373,
            name: '_check_banner',
            line: 'raise SSHException(',
          },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'airflow.hooks.base',
        event: `Using connection ID '${F.latestFailure.connectionId}' for task execution.`,
      },
      {
        level: 'warning',
        logger: 'airflow.providers.ssh.hooks.ssh.SSHHook',
        event: "No Host Key Verification. This won't protect against Man-In-The-Middle attacks",
      },
      { level: 'error', logger: 'paramiko.transport', event: `Exception (client): ${SSH_BANNER}` },
    ],
  };
}

/** `nightly_backup_verify.check_restored_counts`: the scratch PostgreSQL the backup is restored to times out. */
function scratchDatabaseTimeout(): WorldError {
  const sql = `${SITE}/airflow/providers/common/sql`;
  return {
    chain: [
      {
        type: F.recoveredFailure.errorType,
        message: PG_TIMEOUT,
        frames: [
          ...runnerFrames(),
          { filename: `${sql}/operators/sql.py`, lineno: 288, name: 'execute', line: 'output = hook.run(' },
          {
            filename: `${sql}/hooks/sql.py`,
            lineno: 444,
            name: 'run',
            line: 'with self._create_autocommit_connection(autocommit) as conn:',
          },
          {
            filename: '/usr/local/lib/python3.12/contextlib.py',
            lineno: 137,
            name: '__enter__',
            line: 'return next(self.gen)',
          },
          {
            filename: `${sql}/hooks/sql.py`,
            lineno: 574,
            name: '_create_autocommit_connection',
            line: 'with closing(self.get_conn()) as conn:',
          },
          {
            filename: `${SITE}/airflow/providers/postgres/hooks/postgres.py`,
            lineno: 175,
            name: 'get_conn',
            line: 'self.conn = psycopg2.connect(**conn_args)',
          },
          {
            filename: `${SITE}/psycopg2/__init__.py`,
            lineno: 122,
            name: 'connect',
            line: 'conn = _connect(dsn, connection_factory=connection_factory, **kwasync)',
          },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'airflow.task.operators.airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator',
        event: 'Executing: SELECT relname, n_live_tup FROM pg_stat_user_tables ORDER BY relname',
      },
      {
        level: 'info',
        logger: 'airflow.hooks.base',
        event: "Using connection ID 'pg_restore_scratch' for task execution.",
      },
    ],
  };
}

/**
 * The shared cause of AIRFLOW2_DEMO_FACTS.sharedCause: Snowflake refuses the login of the rotated service user,
 * whichever task of whichever DAG opens the connection.
 */
function snowflakeLoginRefused(): WorldError {
  const sql = `${SITE}/airflow/providers/common/sql`;
  const connector = `${SITE}/snowflake/connector`;
  return {
    chain: [
      {
        type: F.sharedCause.errorType,
        message: F.sharedCause.error,
        frames: [
          ...runnerFrames(),
          { filename: `${sql}/operators/sql.py`, lineno: 288, name: 'execute', line: 'output = hook.run(' },
          {
            filename: `${SITE}/airflow/providers/snowflake/hooks/snowflake.py`,
            lineno: 391,
            name: 'run',
            line: 'with closing(self.get_conn()) as conn:',
          },
          {
            filename: `${SITE}/airflow/providers/snowflake/hooks/snowflake.py`,
            lineno: 303,
            name: 'get_conn',
            line: 'conn = connector.connect(**conn_config)',
          },
          {
            filename: `${connector}/__init__.py`,
            lineno: 55,
            name: 'Connect',
            line: 'return SnowflakeConnection(**kwargs)',
          },
          {
            filename: `${connector}/connection.py`,
            lineno: 476,
            name: '__init__',
            line: 'self.connect(**kwargs)',
          },
          {
            filename: `${connector}/connection.py`,
            lineno: 799,
            name: 'connect',
            line: 'self.__open_connection()',
          },
          {
            filename: `${connector}/connection.py`,
            lineno: 1137,
            name: '__open_connection',
            line: 'self.authenticate_with_retry(self.auth_class)',
          },
          {
            filename: `${connector}/errors.py`,
            lineno: 290,
            name: 'errorhandler_wrapper',
            line: 'handed_over = Error.hand_to_other_handler(',
          },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'airflow.hooks.base',
        event: `Using connection ID '${F.sharedCause.connectionId}' for task execution.`,
      },
      {
        level: 'info',
        logger: 'snowflake.connector.connection',
        event:
          'Snowflake Connector for Python Version: 3.12.1, Python Version: 3.12.7, Platform: Linux-5.15.0-x86_64-with-glibc2.36',
      },
    ],
  };
}

interface Spec {
  dag: WorldDag;
  historyDays?: number;
  historyUntil?: number;
  plan?: (slot: number, ctx: PlanContext) => RunPlan;
  extraRuns?: (rngFor: (...keys: (string | number)[]) => Rng) => NewWorldRun[];
}

const minutes = (rng: Rng, min: number, max: number) => rng.float(min, max) * MINUTE;
const ok = (durationMs: number): RunPlan => ({ state: 'success', durationMs });
const sql = 'SQLExecuteQueryOperator';

/** An ordinary daily-ish DAG that always succeeds in [min, max] minutes. */
function steady(
  now: number,
  dagId: string,
  owners: string[],
  schedule: string,
  tags: string[],
  description: string,
  [min, max]: [number, number],
  tasks: WorldDag['tasks'],
): Spec {
  const dag = makeDag({ dag_id: dagId, owners, tags, schedule, description, tasks, now });
  return { dag, plan: (_s, { rng }) => ok(minutes(rng, min, max)) };
}

function specs(now: number): Spec[] {
  const out: Spec[] = [];

  out.push(
    steady(
      now,
      F.healthy.dagId,
      [F.healthy.owner],
      F.healthy.schedule,
      ['gl', 'erp', 'finance'],
      'Extracts the general-ledger journal and balances from the ERP (Oracle) into the finance staging schema',
      [18, 22],
      [
        taskDef('extract_gl_journal', sql, { weight: 3, retries: 2 }),
        taskDef('extract_gl_balances', sql, { weight: 2, retries: 2 }),
        taskDef('load_gl_staging', sql, { weight: 2 }),
        taskDef('publish_gl_snapshot'),
      ],
    ),
  );

  const sftp = makeDag({
    dag_id: F.latestFailure.dagId,
    owners: [F.latestFailure.owner],
    tags: ['sftp', 'partner', 'ingest'],
    schedule: F.latestFailure.schedule,
    description: 'Picks up the settlement files ACME drops on its SFTP server and loads them into staging',
    tasks: [
      taskDef('wait_for_partner_manifest', 'SFTPSensor', { weight: 1 }),
      // A connection failure logs nothing of its own before the error.
      taskDef(F.latestFailure.failedTask, 'SFTPOperator', {
        retries: F.latestFailure.maxTries,
        weight: 2,
        log_lines: 0,
      }),
      taskDef('validate_checksums'),
      taskDef('load_partner_staging', sql, { weight: 2 }),
      taskDef('archive_remote_files', 'SFTPOperator'),
    ],
    now,
  });
  out.push({
    dag: sftp,
    plan: (_s, { latest, rng }) =>
      latest
        ? {
            state: 'failed',
            durationMs: minutes(rng, 11, 13),
            failure: { task_id: F.latestFailure.failedTask, map_index: -1, error: sftpBannerTimeout() },
          }
        : ok(minutes(rng, 4, 7)),
  });

  const hr = makeDag({
    dag_id: F.runningNow.dagId,
    owners: [F.runningNow.owner],
    tags: ['hr', 'workday'],
    schedule: F.runningNow.schedule,
    description: 'Syncs workers and positions from Workday and rebuilds the org hierarchy',
    tasks: [
      taskDef('fetch_workers', 'HttpOperator', { retries: 3 }),
      taskDef('fetch_positions', 'HttpOperator', { retries: 3 }),
      taskDef(F.runningNow.runningTask, 'PythonOperator', { weight: 3 }),
      taskDef('load_hr_tables', sql, { weight: 2 }),
      taskDef('notify_hris_team', 'EmailOperator'),
    ],
    max_active_runs: 1,
    now,
  });
  out.push({
    dag: hr,
    historyDays: 7,
    plan: (_s, { latest, rng }) =>
      latest
        ? { state: 'running', durationMs: 0, running_task: F.runningNow.runningTask }
        : ok(minutes(rng, 22, 31)),
  });

  const billing = makeDag({
    dag_id: F.paused.dagId,
    owners: [F.paused.owner],
    tags: ['billing', 'legacy'],
    schedule: '0 5 * * *',
    description: 'Nightly invoice export to the old billing system (replaced by the billing platform)',
    tasks: [taskDef('export_invoices', sql), taskDef('upload_to_billing_ftp', 'FTPFileTransmitOperator')],
    paused: true,
    pausedAt: now - (F.paused.lastRunDaysAgo - 0.5) * DAY,
    now,
  });
  out.push({
    dag: billing,
    historyUntil: now - F.paused.lastRunDaysAgo * DAY,
    plan: (_s, { rng }) => ok(minutes(rng, 6, 9)),
  });

  const backup = makeDag({
    dag_id: F.recoveredFailure.dagId,
    owners: [F.recoveredFailure.owner],
    tags: ['backup', 'postgres', 'maintenance'],
    schedule: '30 3 * * *',
    description: 'Restores last night’s ERP database backup to a scratch server and checks the row counts',
    tasks: [
      taskDef('find_latest_backup', 'S3ListOperator'),
      taskDef('restore_to_scratch', 'BashOperator', { weight: 6 }),
      taskDef(F.recoveredFailure.failedTask, sql, { retries: 1, weight: 2 }),
      taskDef('report_backup_status', 'EmailOperator'),
    ],
    now,
  });
  out.push({
    dag: backup,
    plan: (_s, { back, rng }) =>
      back === F.recoveredFailure.failedDaysAgo
        ? {
            state: 'failed',
            durationMs: minutes(rng, 48, 52),
            failure: {
              task_id: F.recoveredFailure.failedTask,
              map_index: -1,
              error: scratchDatabaseTimeout(),
            },
          }
        : ok(minutes(rng, 38, 44)),
  });

  const ocr = makeDag({
    dag_id: F.mapped.dagId,
    owners: [F.mapped.owner],
    tags: ['ap', 'invoices', 'ocr'],
    schedule: null,
    description: 'OCRs the scanned vendor invoices AP uploaded, one mapped task per batch, and posts them',
    tasks: [
      taskDef('list_invoice_batches', '_PythonDecoratedOperator'),
      taskDef(F.mapped.mappedTask, '_PythonDecoratedOperator', {
        map_count: F.mapped.mapCount,
        retries: 1,
        weight: 6,
        log_lines: 6,
      }),
      taskDef('post_to_ap_ledger', '_PythonDecoratedOperator'),
    ],
    max_active_runs: 1,
    now,
  });
  out.push({
    dag: ocr,
    extraRuns: (rngFor) =>
      [
        [13 * DAY + 4 * HOUR, 31],
        [6 * DAY + 3 * HOUR, 34],
        [2 * DAY + 5 * HOUR, 29],
      ].map(([ago = 0, mins = 30], i) =>
        airflow2ManualRun(ocr, now - ago, ok(mins * MINUTE), rngFor('m', i), {
          user: 'k.nakamura',
          conf: { batch_prefix: `ap-scans/${pythonIsoTime(now - ago).slice(0, 10)}/` },
        }),
      ),
  });

  out.push(
    steady(
      now,
      'expense_report_rollup',
      ['finance-eng'],
      '0 7 * * 1-5',
      ['expenses', 'finance'],
      'Rolls up approved expense reports per cost center for the controllers',
      [5, 8],
      [
        taskDef('extract_expense_reports', sql),
        taskDef('rollup_by_cost_center'),
        taskDef('email_controllers', 'EmailOperator'),
      ],
    ),
  );
  out.push(
    steady(
      now,
      F.multiOwner.dagId,
      [...F.multiOwner.owners],
      '0 8 * * 1',
      ['hr', 'reporting'],
      'Weekly headcount and open-positions report for HR and finance',
      [9, 13],
      [
        taskDef('compute_headcount', sql, { weight: 2 }),
        taskDef('render_report'),
        taskDef('email_report', 'EmailOperator'),
      ],
    ),
  );

  const ad = makeDag({
    dag_id: 'ad_users_snapshot',
    owners: ['it-ops'],
    tags: ['ldap', 'it'],
    schedule: '15 6 * * *',
    description: 'Snapshots Active Directory users and groups for the access reviews',
    tasks: [taskDef('dump_ad_users', 'PythonOperator', { retries: 1 }), taskDef('load_ad_users', sql)],
    now,
  });
  out.push({
    dag: ad,
    // One failure long ago (more than 8 days), which never changes the planted recent facts.
    plan: (_s, { back, rng }) =>
      back === 12
        ? {
            state: 'failed',
            durationMs: minutes(rng, 1, 2),
            failure: {
              task_id: 'load_ad_users',
              map_index: -1,
              error: genericFailure(0, ad.fileloc, 'load_ad_users'),
            },
          }
        : ok(minutes(rng, 2, 4)),
  });

  // The shared cause: each DAG's latest run failed on the rotated warehouse password (earlier ones succeeded).
  const payroll = makeDag({
    dag_id: F.sharedCause.dagIds[0],
    owners: ['hr-systems'],
    tags: ['hr', 'payroll', 'snowflake'],
    schedule: null,
    description: 'Copies the payroll journal exported by the payroll provider into the warehouse',
    tasks: [
      taskDef('export_payroll_journal', 'HttpOperator', { retries: 2 }),
      taskDef('stage_payroll_files', 'S3CopyObjectOperator'),
      taskDef(F.sharedCause.failedTasks[0], 'SnowflakeOperator', { weight: 2 }),
      taskDef('notify_payroll_team', 'EmailOperator'),
    ],
    now,
  });
  const assets = makeDag({
    dag_id: F.sharedCause.dagIds[1],
    owners: ['it-ops'],
    tags: ['it', 'assets', 'snowflake'],
    schedule: null,
    description: 'Loads laptops, servers and licences from the IT asset manager into the warehouse',
    tasks: [
      taskDef('fetch_asset_inventory', 'HttpOperator', { retries: 1 }),
      taskDef(F.sharedCause.failedTasks[1], 'SnowflakeOperator', { weight: 2 }),
      taskDef('refresh_asset_views', 'SnowflakeOperator'),
    ],
    now,
  });
  for (const [i, dag, everyMs, [min, max]] of [
    [0, payroll, DAY, [6, 9]],
    [1, assets, 12 * HOUR, [3, 5]],
  ] as const) {
    const failedTask = F.sharedCause.failedTasks[i];
    const failedAgo = F.sharedCause.failedHoursAgo[i] * HOUR;
    out.push({
      dag,
      extraRuns: (rngFor) =>
        Array.from({ length: Math.floor((F.historyDays * DAY - failedAgo) / everyMs) }, (_, k) => {
          const rng = rngFor('t', k);
          const plan: RunPlan =
            k === 0
              ? {
                  state: 'failed',
                  durationMs: minutes(rng, min / 2, min),
                  failure: { task_id: failedTask, map_index: -1, error: snowflakeLoginRefused() },
                }
              : ok(minutes(rng, min, max));
          // Ends `failedAgo` before now: started that long plus its duration and the queueing before.
          const at = now - failedAgo - k * everyMs - plan.durationMs - 20 * 1000;
          return airflow2ManualRun(dag, at, plan, rng, {
            user: 'svc_source_systems',
            triggered_by: 'rest_api',
          });
        }).reverse(),
    });
  }

  out.push(
    steady(
      now,
      F.defaultOwner.dagId,
      [F.defaultOwner.owner],
      '0 4 * * 0',
      ['postgres', 'maintenance'],
      'Creates next month’s partitions and drops the expired ones on the ERP replica',
      [12, 16],
      [taskDef('create_partitions', sql), taskDef('drop_expired_partitions', sql)],
    ),
  );
  return out;
}

/** A manual run as Airflow 2 creates it: its logical date is the trigger instant, `manual__<isoformat>` its id. */
function airflow2ManualRun(
  dag: WorldDag,
  at: number,
  plan: RunPlan,
  rng: Rng,
  options: { user: string; conf?: Record<string, unknown>; triggered_by?: TriggeredBy },
): NewWorldRun {
  return makeRun(
    dag,
    plan,
    {
      run_type: 'manual',
      run_id: `manual__${pythonIsoTime(at)}`,
      logical_date: at,
      run_after: at,
      triggered_by: options.triggered_by ?? 'ui',
      triggering_user_name: options.user,
      ...(options.conf === undefined ? {} : { conf: options.conf }),
    },
    rng,
  );
}

/**
 * CronDataIntervalTimetable: the run that fired at a slot covers [previous slot, slot); its logical date and
 * run id are the previous slot's. `next_dagrun` becomes the logical date of the next run: the fire time of
 * the latest one.
 */
function toDataIntervals(dag: WorldDag, runs: NewWorldRun[], from: number, now: number): void {
  if (dag.schedule === null) return;
  const cron = parseCron(dag.schedule);
  // A week and a half back covers the longest period of these schedules (weekly).
  const slots = cronTimesBetween(cron, from - 10 * DAY, now + 1);
  const previous = new Map<number, number>();
  for (let i = 1; i < slots.length; i++) previous.set(slots[i] as number, slots[i - 1] as number);
  for (const run of runs) {
    if (run.run_type !== 'scheduled') continue;
    const start = previous.get(run.run_after);
    if (start === undefined) continue;
    run.logical_date = start;
    run.data_interval_start = start;
    run.data_interval_end = run.run_after;
    run.run_id = `scheduled__${pythonIsoTime(start)}`;
  }
  // The next run to be created covers the interval that began when the latest one fired.
  let lastFired: number | null = null;
  for (const run of runs) {
    if (run.run_type === 'scheduled' && (lastFired === null || run.run_after > lastFired))
      lastFired = run.run_after;
  }
  if (lastFired !== null) dag.next_dagrun = lastFired;
}

/** The Airflow 2 demo world. Deterministic for a given `now` and `seed`. */
export function createAirflow2DemoWorld(options: Airflow2DemoWorldOptions = {}): World {
  const now = (options.now ?? new Date()).getTime();
  const seed = options.seed ?? 42;
  const rngFor = (...keys: (string | number)[]) => Rng.for(seed, 'airflow2', ...keys);
  const all = specs(now);
  const runs: NewWorldRun[] = [];
  for (const spec of all) {
    const id = spec.dag.dag_id;
    const from = now - (spec.historyDays ?? F.historyDays) * DAY;
    const dagRuns: NewWorldRun[] = [];
    if (spec.plan) {
      const until = spec.historyUntil ?? now + 1;
      dagRuns.push(...scheduledHistory(spec.dag, from, until, now, (slot) => rngFor(id, slot), spec.plan));
    }
    if (spec.extraRuns) dagRuns.push(...spec.extraRuns((...keys) => rngFor(id, ...keys)));
    toDataIntervals(spec.dag, dagRuns, from, now);
    runs.push(...dagRuns);
  }
  return new World({ now, dags: all.map((s) => s.dag), runs });
}
