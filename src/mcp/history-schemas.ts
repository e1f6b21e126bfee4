import * as z from 'zod';

const num = z.number().nullable();

export const trendSchema = z.object({
  direction: z.enum(['slower', 'faster', 'stable']),
  reason: z.string(),
  runs: z.number(),
  window_days: num,
  slope_seconds_per_day: num,
  fitted_first_seconds: num,
  fitted_last_seconds: num,
  change_percent: num,
  p_value: num,
});

export const anomalySchema = z
  .object({
    run_id: z.string(),
    status: z.enum(['success', 'failed']),
    duration_seconds: z.number(),
    baseline_median_seconds: z.number(),
    robust_z: z.number(),
    is_outlier: z.boolean(),
    direction: z.enum(['slower', 'faster']).nullable(),
  })
  .nullable();

export const patternSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('weekday'),
    weekday: z.string(),
    failures: z.number(),
    runs: z.number(),
    failure_rate: z.number(),
    other_days_failure_rate: z.number(),
  }),
  z.object({
    kind: z.literal('hour'),
    hour: z.number(),
    failures: z.number(),
    runs: z.number(),
    failure_rate: z.number(),
    other_hours_failure_rate: z.number(),
  }),
]);

export const analysisSchema = z.object({
  window: z.object({ first_run_at: z.string().nullable(), last_run_at: z.string().nullable(), days: num }),
  counts: z.object({
    runs: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    cancelled: z.number(),
    active: z.number(),
    unknown: z.number(),
  }),
  success_rate: num.describe('succeeded / (succeeded + failed) over the window'),
  duration: z.object({
    runs: z.number(),
    median_seconds: num,
    p95_seconds: num,
    mad_seconds: num,
    min_seconds: num,
    max_seconds: num,
    trend: trendSchema,
  }),
  latest_anomaly: anomalySchema,
  patterns: z
    .array(patternSchema)
    .describe('Strong, supported failure patterns only (e.g. fails every Monday)'),
  flakiness: z.object({
    flaky: z.boolean(),
    reason: z.string(),
    failure_rate: num,
    fail_then_pass: z.number(),
  }),
  streak: z
    .object({
      status: z.enum(['failing', 'passing']),
      runs: z.number(),
      since: z.string(),
      last_success_at: z.string().nullable(),
    })
    .nullable(),
  recovery: z.object({
    incidents: z.number(),
    median_seconds: num,
    longest_seconds: num,
    open_since: z.string().nullable(),
  }),
  summary: z.array(z.string()).describe('At most 5 plain-English findings'),
});

export const freshnessSchema = z.object({
  status: z.enum(['on_time', 'late', 'missing', 'long_running', 'unknown']),
  summary: z.string(),
  expected_at: z.string().nullable(),
  minutes_late: num,
  missed_runs: num,
  running: z
    .object({
      run_id: z.string(),
      started_at: z.string(),
      elapsed_seconds: z.number(),
      typical_duration_seconds: num,
      exceeded: z.boolean(),
    })
    .nullable(),
});
