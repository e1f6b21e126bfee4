export {
  AirflowAdapter,
  LATEST_RUNS_MAX_PAGES,
  LATEST_RUNS_PAGE_SIZE,
  LATEST_RUNS_PER_DAG,
  LATEST_RUNS_WINDOW_MS,
  likeSubstring,
  type AirflowAdapterOptions,
} from './adapter.js';
export { AirflowClient, PAGE_SIZE, type AirflowClientOptions } from './client.js';
export { DIALECTS, detectDialect } from './detect.js';
export type { AirflowDialect, ApiVersion } from './dialect.js';
export {
  DAG_RUN_STATUS_TABLE,
  RUN_TYPE_TABLE,
  TASK_INSTANCE_STATUS_TABLE,
  UNKNOWN_STATUS,
  V1_DAG_RUN_STATUS_TABLE,
  V1_RUN_TYPE_TABLE,
  V1_STATUS,
  V1_TASK_INSTANCE_STATUS_TABLE,
  V2_STATUS,
  dagRunStatesFor,
  mapDagRunState,
  mapRunType,
  mapTaskInstanceState,
  type StatusMappingRow,
} from './mapping.js';
export { LogTail, readLogTail, tokenEndOfLog } from './log-reader.js';
export { renderLogEvent } from './v2/log-events.js';
export { V1_PREFIX } from './v1/dialect.js';
export { V2_PREFIX } from './v2/dialect.js';
