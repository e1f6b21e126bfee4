import type { RunPlan } from './builders.js';
import { assetTriggeredRun, backfillRun, makeDag, manualRun, taskDef } from './builders.js';
import { cronTimesBetween, parseCron } from './cron.js';
import type { DemoDagSpec } from './demo-dags.js';
import { genericFailure } from './failures.js';
import type { Rng } from './random.js';
import { DAY, MINUTE, SECOND } from './time.js';
import type { NewWorldRun } from './types.js';

/**
 * Ordinary DAGs around the planted ones. They only ever failed more than 8 days ago, so they never
 * change the planted facts about recent failures.
 */
type Filler = [
  dagId: string,
  owners: string[],
  schedule: string | null,
  tags: string[],
  description: string,
  minutes: [number, number],
  tasks: string[],
];

const FILLERS: Filler[] = [
  [
    's3_landing_cleanup',
    ['data-platform'],
    '15 0 * * *',
    ['maintenance', 's3'],
    'Deletes landing-zone files older than 14 days',
    [3, 6],
    ['list_expired_objects', 'delete_objects'],
  ],
  [
    'kafka_topic_compaction_audit',
    ['data-platform'],
    '0 */12 * * *',
    ['kafka', 'audit'],
    'Checks retention and compaction settings of every Kafka topic',
    [2, 4],
    ['list_topics', 'check_configs', 'report_drift'],
  ],
  [
    'clickstream_hourly_ingest',
    ['data-platform'],
    '5 * * * *',
    ['clickstream', 'ingest'],
    'Loads the last hour of clickstream events',
    [6, 11],
    ['wait_for_partition', 'load_events', 'update_watermark'],
  ],
  [
    'product_usage_rollup',
    ['analytics'],
    '0 3 * * *',
    ['product', 'rollup'],
    'Daily product usage rollups per account',
    [14, 19],
    ['aggregate_usage', 'write_rollups'],
  ],
  [
    'web_sessions_sessionize',
    ['analytics'],
    '20 */2 * * *',
    ['web', 'sessions'],
    'Sessionizes web events every two hours',
    [9, 14],
    ['extract_events', 'sessionize', 'load_sessions'],
  ],
  [
    'cohort_retention_weekly',
    ['analytics'],
    '0 8 * * 1',
    ['cohorts', 'retention'],
    'Weekly retention cohorts',
    [22, 30],
    ['build_cohorts', 'compute_retention', 'publish_dashboard'],
  ],
  [
    'ab_test_results',
    ['analytics', 'marketing-ops'],
    '0 9 * * *',
    ['experiments'],
    'Computes A/B test results for running experiments',
    [7, 12],
    ['collect_assignments', 'compute_metrics', 'publish_results'],
  ],
  [
    'revenue_recognition',
    ['finance-eng'],
    '0 6 * * *',
    ['finance', 'revenue'],
    'Recognizes revenue for closed invoices (ASC 606)',
    [11, 16],
    ['load_invoices', 'allocate_revenue', 'post_journal'],
  ],
  [
    'fx_rates_sync',
    ['finance-eng'],
    '0 */4 * * *',
    ['finance', 'fx'],
    'Syncs FX rates from the ECB feed',
    [1, 3],
    ['fetch_rates', 'store_rates'],
  ],
  [
    'invoice_aging_report',
    ['finance-eng'],
    '0 8 * * 1-5',
    ['finance', 'reporting'],
    'Accounts-receivable aging report for finance ops',
    [4, 7],
    ['compute_aging', 'email_report'],
  ],
  [
    'tax_export_monthly',
    ['finance-eng'],
    '0 4 1 * *',
    ['finance', 'tax'],
    'Monthly tax export for the accountants',
    [25, 35],
    ['collect_transactions', 'build_export', 'upload_export'],
  ],
  [
    'model_drift_monitor',
    ['ml-team'],
    '0 */2 * * *',
    ['ml', 'monitoring'],
    'Monitors feature and prediction drift of production models',
    [4, 8],
    ['sample_predictions', 'compute_drift', 'alert_on_drift'],
  ],
  [
    'churn_model_training',
    ['ml-team'],
    '0 5 * * 0',
    ['ml', 'training'],
    'Weekly retraining of the churn model',
    [70, 95],
    ['build_training_set', 'train_model', 'evaluate_model', 'register_model'],
  ],
  [
    'recommendations_batch_score',
    ['ml-team'],
    '0 1 * * *',
    ['ml', 'recommendations'],
    'Scores nightly recommendations for every active user',
    [30, 42],
    ['load_model', 'score_users', 'write_recommendations'],
  ],
  [
    'embedding_backfill',
    ['ml-team'],
    null,
    ['ml', 'embeddings'],
    'Recomputes document embeddings on demand',
    [50, 65],
    ['list_documents', 'embed_documents', 'upsert_vectors'],
  ],
  [
    'email_campaign_sync',
    ['marketing-ops'],
    '0 */6 * * *',
    ['marketing', 'email'],
    'Syncs campaign sends, opens and clicks from the email platform',
    [3, 6],
    ['fetch_campaign_events', 'load_campaign_events'],
  ],
  [
    'crm_contacts_dedupe',
    ['marketing-ops'],
    '30 2 * * *',
    ['crm', 'quality'],
    'Finds and merges duplicate CRM contacts',
    [10, 15],
    ['find_duplicates', 'merge_contacts'],
  ],
  [
    'social_metrics_pull',
    ['marketing-ops'],
    '0 10 * * *',
    ['marketing', 'social'],
    'Pulls follower and engagement metrics from social networks',
    [2, 5],
    ['pull_metrics', 'store_metrics'],
  ],
  [
    'seo_rank_tracker',
    ['marketing-ops'],
    '0 11 * * 1',
    ['marketing', 'seo'],
    'Weekly keyword rank tracking',
    [15, 20],
    ['fetch_rankings', 'store_rankings'],
  ],
];

function historyDaysFor(schedule: string): number {
  const hours = schedule.split(/\s+/)[1] ?? '*';
  if (hours === '*') return 3;
  return hours.startsWith('*/') ? 7 : 30;
}

export function fillerDags(now: number): DemoDagSpec[] {
  const specs: DemoDagSpec[] = FILLERS.map(
    ([dagId, owners, schedule, tags, description, [min, max], tasks]) => {
      const dag = makeDag({
        dag_id: dagId,
        owners,
        tags,
        schedule,
        description,
        tasks: tasks.map((t, i) =>
          taskDef(t, /^(load|write|store)_/.test(t) ? 'SQLExecuteQueryOperator' : 'PythonOperator', {
            retries: i === 0 ? 1 : 0,
          }),
        ),
        now,
      });
      return {
        dag,
        ...(schedule === null ? {} : { historyDays: historyDaysFor(schedule) }),
        plan: (slot, { rng }): RunPlan => {
          const durationMs = rng.float(min, max) * MINUTE;
          if (slot < now - 8 * DAY && rng.chance(0.05)) {
            const task = rng.pick(tasks);
            return {
              state: 'failed',
              durationMs: durationMs / 2,
              failure: {
                task_id: task,
                map_index: -1,
                error: genericFailure(rng.int(0, 9), dag.fileloc, task),
              },
            };
          }
          return { state: 'success', durationMs };
        },
      };
    },
  );

  const kpi = makeDag({
    dag_id: 'kpi_dashboard_refresh',
    owners: ['analytics'],
    tags: ['reporting', 'kpi'],
    schedule: null,
    assetTriggered: true,
    description: 'Refreshes the KPI dashboard when the usage rollups are updated',
    tasks: [taskDef('refresh_extracts'), taskDef('warm_cache')],
    now,
  });
  specs.push({ dag: kpi });

  const embedding = specs.find((s) => s.dag.dag_id === 'embedding_backfill');
  if (embedding) {
    const dag = embedding.dag;
    embedding.extraRuns = (rngFor) => [
      manualRun(
        dag,
        now - 6 * DAY - 3 * 3600 * SECOND,
        { state: 'success', durationMs: 58 * MINUTE },
        rngFor('e1'),
        { user: 'maria.chen', conf: { model: 'text-embedding-v3' } },
      ),
      manualRun(
        dag,
        now - 2 * DAY - 7 * 3600 * SECOND,
        { state: 'success', durationMs: 61 * MINUTE },
        rngFor('e2'),
        { user: 'maria.chen', conf: { model: 'text-embedding-v3', only_changed: true } },
      ),
    ];
  }
  const revenue = specs.find((s) => s.dag.dag_id === 'revenue_recognition');
  if (revenue?.dag.schedule) {
    const dag = revenue.dag;
    const slots = cronTimesBetween(parseCron(revenue.dag.schedule), now - 42 * DAY, now - 39 * DAY);
    revenue.extraRuns = (rngFor) =>
      slots.map((slot, i) =>
        backfillRun(
          dag,
          slot,
          now - 20 * DAY + i * 15 * MINUTE,
          { state: 'success', durationMs: 13 * MINUTE },
          rngFor('b', i),
        ),
      );
  }
  return specs;
}

/** kpi_dashboard_refresh runs each time product_usage_rollup succeeds (its output asset is updated). */
export function assetTriggeredRuns(
  spec: DemoDagSpec,
  upstream: readonly NewWorldRun[],
  now: number,
  rngFor: (...k: (string | number)[]) => Rng,
): NewWorldRun[] {
  const runs: NewWorldRun[] = [];
  for (const up of upstream) {
    if (up.state !== 'success' || up.end_date === null) continue;
    const rng = rngFor('asset', up.run_id);
    const at = up.end_date + rng.int(5, 40) * SECOND;
    const durationMs = rng.float(2, 4) * MINUTE;
    if (at + durationMs + 20 * SECOND > now) continue;
    runs.push(assetTriggeredRun(spec.dag, at, { state: 'success', durationMs }, rng));
  }
  return runs;
}
