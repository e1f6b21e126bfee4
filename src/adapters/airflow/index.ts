export { AirflowAdapter, likeSubstring, type AirflowAdapterOptions } from './adapter.js';
export { AirflowClient, API_PREFIX, PAGE_SIZE, type AirflowClientOptions } from './client.js';
export {
  DAG_RUN_STATUS_TABLE,
  RUN_TYPE_TABLE,
  TASK_INSTANCE_STATUS_TABLE,
  UNKNOWN_STATUS,
  dagRunStatesFor,
  mapDagRunState,
  mapRunType,
  mapTaskInstanceState,
  type StatusMappingRow,
} from './mapping.js';
export { LogTail, readLogTail, renderLogEvent, tokenEndOfLog } from './log-reader.js';
