/** Pure analyses of run histories (patterns, trends, flakiness) and of freshness against a schedule. */
export { analyzeHistory, HISTORY_THRESHOLDS } from './analyze.js';
export type {
  AnalyzeHistoryOptions,
  DurationAnalysis,
  DurationTrend,
  FailurePattern,
  Flakiness,
  HistoryAnalysis,
  HistoryCounts,
  HourPattern,
  LatestAnomaly,
  Recovery,
  Streak,
  WeekdayPattern,
} from './analyze.js';
export { assessFreshness, FRESHNESS_THRESHOLDS } from './freshness.js';
export type { Freshness, FreshnessInput, FreshnessStatus, RunningCheck } from './freshness.js';
export type { Weekday } from './format.js';
export { parseSchedule } from './schedule.js';
export type { ParsedSchedule } from './schedule.js';
