/**
 * Facts planted in the demo world (`createDemoWorld`), for tests and demos to assert.
 * "Now" is the `now` the world was built with; everything below holds for any `now` and seed.
 */

export const DEMO_OWNERS = ['data-platform', 'analytics', 'finance-eng', 'ml-team', 'marketing-ops'] as const;

export const DEMO_FACTS = {
  /** Visible (non-stale) DAGs: at least this many. */
  minDags: 30,
  historyDays: 30,

  /** Every run of the last 30 days succeeded; the latest one ended within the last 24 h (today once it is past ~02:30 UTC). */
  healthy: {
    dagId: 'daily_sales_etl',
    owner: 'data-platform',
    schedule: '0 2 * * *',
    tags: ['etl', 'sales'],
    tasks: ['extract_orders', 'extract_payments', 'transform_sales', 'load_warehouse', 'publish_report'],
    minDurationMinutes: 25,
    maxDurationMinutes: 30,
  },

  /** The latest run failed within the last 24 h: the first task timed out on both tries. No run is queued or running. */
  latestFailure: {
    dagId: 'sync_inventory',
    owner: 'data-platform',
    schedule: '0 */6 * * *',
    failedTask: 'fetch_inventory_snapshot',
    /** try 2 of 2: retries=1, so max_tries=1. */
    failedTry: 2,
    maxTries: 1,
    downstreamTasks: ['validate_snapshot', 'upsert_inventory', 'refresh_inventory_cache'],
    errorType: 'AirflowException',
    error: 'Connection timeout to inventory service',
    causeType: 'requests.exceptions.ConnectTimeout',
    causeMessage: "HTTPConnectionPool(host='inventory.internal', port=443): Max retries exceeded",
    /** Last line of try 1's log (try 2's says FAILED instead). */
    retryMarker: 'Marking task as UP_FOR_RETRY',
    failedMarker: 'Marking task as FAILED',
  },

  /** Daily; fails on every run whose logical date is a Monday (UTC), always the same way; succeeds otherwise. */
  mondayFailure: {
    dagId: 'marketing_attribution',
    owner: 'marketing-ops',
    schedule: '0 6 * * *',
    failedTask: 'fetch_weekend_spend',
    errorType: 'ValueError',
    error: "Weekend spend export is empty (0 rows) for partner 'adnet'",
  },

  /** Always succeeds; duration rises steadily from about 20 to about 55 minutes over the 30 days. */
  slowingDown: {
    dagId: 'customer_360_build',
    owner: 'analytics',
    firstDurationMinutes: 20,
    lastDurationMinutes: 55,
  },

  /**
   * Every 4 hours; flaky: about 2 runs in 9 fail with a transient serialization conflict, on every weekday and
   * at every hour of its schedule, never two runs in a row (each failure is followed by a success). Only runs
   * that ended more than a day ago failed: the latest run succeeded and no failure is within the last 24 h.
   */
  flaky: {
    dagId: 'ab_test_metrics_refresh',
    owner: 'analytics',
    schedule: '0 */4 * * *',
    failedTask: 'refresh_metric_tables',
    errorType: 'psycopg2.errors.SerializationFailure',
    error: 'could not serialize access due to concurrent update',
    /** Of every block of `blockRuns` consecutive slots, exactly `failuresPerBlock` fail (bar the last day). */
    blockRuns: 9,
    failuresPerBlock: 2,
    /** No run scheduled within this many hours before now failed. */
    quietHours: 26,
  },

  /** The latest run is running: earlier tasks succeeded, one is running, the rest have no state yet. */
  runningNow: {
    dagId: 'ml_feature_refresh',
    owner: 'ml-team',
    succeededTasks: ['extract_events', 'compute_user_features'],
    runningTask: 'compute_item_features',
    waitingTasks: ['validate_features', 'publish_to_feature_store'],
  },

  /** Paused; its last run ended 12 days ago. */
  paused: {
    dagId: 'legacy_crm_export',
    owner: 'marketing-ops',
    lastRunDaysAgo: 12,
  },

  /** Listed with has_import_errors=true (it loaded before) and in /importErrors. */
  importError: {
    dagId: 'broken_vendor_sync',
    owner: 'finance-eng',
    filename: 'broken_vendor_sync.py',
    error: "ModuleNotFoundError: No module named 'vendor_sdk'",
  },

  /** Also failed within the last 24 h (latest run), for a different reason (a warehouse/SQL error in dbt). */
  secondRecentFailure: {
    dagId: 'dbt_nightly_models',
    owner: 'analytics',
    failedTask: 'dbt_run',
    errorType: 'AirflowException',
    error: 'Bash command failed. The command returned a non-zero exit code 1.',
    /** In the task's log output, before the exception. */
    logDetail: "Object 'RAW.STRIPE.CHARGES' does not exist or not authorized.",
  },

  /** Failed 3 days ago, succeeded on every run since: not a failure of the last 24 h. */
  recoveredFailure: {
    dagId: 'finance_ledger_reconcile',
    owner: 'finance-eng',
    failedDaysAgo: 3,
    failedTask: 'reconcile_totals',
    errorType: 'AssertionError',
    error: 'Ledger totals mismatch: general ledger 1,204,332.18 vs payments 1,204,310.04 (diff 22.14)',
  },

  /** Manual DAG whose latest run (about 30 h ago) failed: one of 150 mapped instances, on both tries. */
  oldFailure: {
    dagId: 'partition_reprocess',
    owner: 'data-platform',
    failedHoursAgo: 30,
    mappedTask: 'process_partition',
    mapCount: 150,
    failedMapIndex: 137,
    failedTry: 2,
    errorType: 'ArrowInvalid',
    error:
      'Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.',
  },

  /** Hidden from `GET /dags` unless exclude_stale=false. */
  staleDag: 'old_reporting_v1',

  /** Among others (exactly these in the demo world). */
  dataPlatformDags: [
    'clickstream_hourly_ingest',
    'daily_sales_etl',
    'kafka_topic_compaction_audit',
    'partition_reprocess',
    's3_landing_cleanup',
    'sync_inventory',
    'warehouse_vacuum',
  ],

  /**
   * Latest runs that failed within the last 24 h, whatever `now` is. `marketing_attribution` joins them when its
   * latest run is a Monday's (Mondays after 06:00 UTC and Tuesdays before 06:00 UTC).
   */
  failedInLast24h: ['dbt_nightly_models', 'sync_inventory'],
} as const;
