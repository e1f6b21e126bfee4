import type { WorldError, WorldException, WorldFrame } from './types.js';

/** Realistic failures (exception chains with frames) that runs of the worlds can end with. */

const SITE = '/home/airflow/.local/lib/python3.12/site-packages';

/** The Airflow 3 task-runner frames between the worker and an operator's execute(). */
function runnerFrames(): WorldFrame[] {
  return [
    { filename: `${SITE}/airflow/sdk/execution_time/task_runner.py`, lineno: 1120, name: 'run' },
    { filename: `${SITE}/airflow/sdk/execution_time/task_runner.py`, lineno: 1527, name: '_execute_task' },
    { filename: `${SITE}/airflow/sdk/bases/operator.py`, lineno: 443, name: 'wrapper' },
  ];
}

function pythonOperatorFrames(dagFile: string, fn: string, lineno: number, line: string): WorldFrame[] {
  return [
    ...runnerFrames(),
    { filename: `${SITE}/airflow/providers/standard/operators/python.py`, lineno: 228, name: 'execute' },
    {
      filename: `${SITE}/airflow/providers/standard/operators/python.py`,
      lineno: 251,
      name: 'execute_callable',
    },
    { filename: `${SITE}/airflow/sdk/execution_time/callback_runner.py`, lineno: 97, name: 'run' },
    { filename: dagFile, lineno, name: fn, line },
  ];
}

/** `sync_inventory.fetch_inventory_snapshot`: the inventory service does not answer. */
export function inventoryTimeout(dagFile: string, fn: string): WorldError {
  const conn = '<urllib3.connection.HTTPConnection object at 0x7f3a2c1b5e50>';
  const timeout = `ConnectTimeoutError(${conn}, 'Connection to inventory.internal timed out. (connect timeout=30)')`;
  const cause: WorldException = {
    type: 'requests.exceptions.ConnectTimeout',
    message: `HTTPConnectionPool(host='inventory.internal', port=443): Max retries exceeded with url: /v2/snapshot?warehouse=all (Caused by ${timeout})`,
    frames: [
      {
        filename: dagFile,
        lineno: 44,
        name: fn,
        line: 'response = session.get(f"{INVENTORY_URL}/v2/snapshot", params=params, timeout=30)',
      },
      {
        filename: `${SITE}/requests/sessions.py`,
        lineno: 602,
        name: 'get',
        line: 'return self.request("GET", url, **kwargs)',
      },
      {
        filename: `${SITE}/requests/sessions.py`,
        lineno: 589,
        name: 'request',
        line: 'resp = self.send(prep, **send_kwargs)',
      },
      {
        filename: `${SITE}/requests/sessions.py`,
        lineno: 703,
        name: 'send',
        line: 'r = adapter.send(request, **kwargs)',
      },
      {
        filename: `${SITE}/requests/adapters.py`,
        lineno: 688,
        name: 'send',
        line: 'raise ConnectTimeout(e, request=request)',
      },
    ],
  };
  return {
    chain: [
      {
        type: 'airflow.exceptions.AirflowException',
        message: 'Connection timeout to inventory service',
        frames: pythonOperatorFrames(
          dagFile,
          fn,
          49,
          'raise AirflowException("Connection timeout to inventory service") from err',
        ),
      },
      cause,
    ],
    printed_traceback: true,
    preamble: [1, 0].map((left) => ({
      level: 'warning' as const,
      logger: 'urllib3.connectionpool',
      event: `Retrying (Retry(total=${left}, connect=${left}, read=3, redirect=None, status=None)) after connection broken by '${timeout}': /v2/snapshot?warehouse=all`,
    })),
  };
}

/** `marketing_attribution.fetch_weekend_spend`: the partner never exports weekend spend on time. */
export function emptyWeekendExport(dagFile: string, fn: string): WorldError {
  return {
    chain: [
      {
        type: 'ValueError',
        message: "Weekend spend export is empty (0 rows) for partner 'adnet'",
        frames: pythonOperatorFrames(
          dagFile,
          fn,
          61,
          'raise ValueError(f"Weekend spend export is empty (0 rows) for partner {partner!r}")',
        ),
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'airflow.task.hooks.airflow.providers.amazon.aws.hooks.s3.S3Hook',
        event: "Listing s3://partner-drops/adnet/spend/ with prefix 'weekend/'",
      },
      {
        level: 'warning',
        logger: 'marketing_attribution',
        event: 'Export s3://partner-drops/adnet/spend/weekend/spend.csv has a header and no rows',
      },
    ],
  };
}

export const DBT_ERROR_LINES = [
  'Database Error in model fct_orders (models/marts/fct_orders.sql)',
  '  002003 (42S02): SQL compilation error:',
  "  Object 'RAW.STRIPE.CHARGES' does not exist or not authorized.",
];

/** `dbt_nightly_models.dbt_run`: a source table was dropped in the warehouse. */
export function dbtMissingRelation(): WorldError {
  const hook = 'airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook';
  const out = (event: string) => ({ level: 'info' as const, logger: hook, event });
  return {
    chain: [
      {
        type: 'airflow.exceptions.AirflowException',
        message: 'Bash command failed. The command returned a non-zero exit code 1.',
        frames: [
          ...runnerFrames(),
          { filename: `${SITE}/airflow/providers/standard/operators/bash.py`, lineno: 233, name: 'execute' },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [
      out(
        '02:07:41  31 of 48 ERROR creating sql table model analytics.fct_orders ............ [ERROR in 2.14s]',
      ),
      out(
        '02:09:12  Finished running 41 table models, 7 view models in 0 hours 3 minutes and 31.07 seconds (211.07s).',
      ),
      out('02:09:12  Completed with 1 error and 0 warnings:'),
      ...DBT_ERROR_LINES.map((line) => out(`02:09:12  ${line}`)),
      out('02:09:12  Done. PASS=46 WARN=0 ERROR=1 SKIP=1 TOTAL=48'),
      out('Command exited with return code 1'),
    ],
  };
}

/** `finance_ledger_reconcile.reconcile_totals`: the ledger and payments disagree. */
export function ledgerMismatch(dagFile: string, fn: string): WorldError {
  return {
    chain: [
      {
        type: 'AssertionError',
        message: 'Ledger totals mismatch: general ledger 1,204,332.18 vs payments 1,204,310.04 (diff 22.14)',
        frames: pythonOperatorFrames(
          dagFile,
          fn,
          88,
          'assert abs(diff) < TOLERANCE, f"Ledger totals mismatch: {detail}"',
        ),
      },
    ],
    printed_traceback: false,
    preamble: [
      {
        level: 'info',
        logger: 'finance_ledger_reconcile',
        event: 'Loaded 18,402 ledger entries and 18,397 payment settlements',
      },
      {
        level: 'warning',
        logger: 'finance_ledger_reconcile',
        event: '5 settlements have no matching ledger entry (see reconcile_unmatched)',
      },
    ],
  };
}

/** `partition_reprocess.process_partition[n]`: one partition file is not valid Parquet. */
export function corruptParquet(dagFile: string, fn: string, mapIndex: number): WorldError {
  const path = `s3://lake-raw/events/part-${String(mapIndex).padStart(5, '0')}.parquet`;
  return {
    chain: [
      {
        type: 'pyarrow.lib.ArrowInvalid',
        message:
          'Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.',
        frames: [
          ...pythonOperatorFrames(dagFile, fn, 37, 'table = pq.read_table(path, filesystem=fs)'),
          { filename: `${SITE}/pyarrow/parquet/core.py`, lineno: 1843, name: 'read_table' },
          { filename: 'pyarrow/error.pxi', lineno: 92, name: 'pyarrow.lib.check_status' },
        ],
      },
    ],
    printed_traceback: false,
    preamble: [{ level: 'info', logger: 'partition_reprocess', event: `Reading ${path} (134.2 MiB)` }],
  };
}

/** A plausible failure for filler and scale-world runs. */
export function genericFailure(kind: number, dagFile: string, fn: string): WorldError {
  const catalog: WorldException[] = [
    {
      type: 'psycopg2.OperationalError',
      message:
        'server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n\tbefore or while processing the request.',
      frames: pythonOperatorFrames(dagFile, fn, 27, 'cursor.execute(sql)'),
    },
    {
      type: 'botocore.exceptions.ClientError',
      message: 'An error occurred (AccessDenied) when calling the PutObject operation: Access Denied',
      frames: pythonOperatorFrames(dagFile, fn, 33, 's3.put_object(Bucket=bucket, Key=key, Body=payload)'),
    },
    {
      type: 'KeyError',
      message: "'customer_id'",
      frames: pythonOperatorFrames(dagFile, fn, 58, 'ids = [row["customer_id"] for row in rows]'),
    },
  ];
  return {
    chain: [catalog[kind % catalog.length] as WorldException],
    printed_traceback: false,
    preamble: [],
  };
}

export function importErrorTrace(fileloc: string, module: string, line: string): string {
  return [
    'Traceback (most recent call last):',
    '  File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed',
    `  File "${fileloc}", line 9, in <module>`,
    `    ${line}`,
    `ModuleNotFoundError: No module named '${module}'`,
    '',
  ].join('\n');
}

/** `Type: message` of the exception a failure ends with, as Python prints it. */
export function errorHeadline(error: WorldError): string {
  const top = error.chain[0];
  return top ? `${top.type}: ${top.message}` : 'Unknown error';
}
