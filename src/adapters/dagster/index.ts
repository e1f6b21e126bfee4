export { DagsterAdapter, NOTE_TAG, REQUEST_TAG, type DagsterAdapterOptions } from './adapter.js';
export { CLOUD_TOKEN_HEADER, DagsterClient, DagsterQueryRejected, GRAPHQL_PATH } from './client.js';
export type { DagsterClientOptions } from './client.js';
export {
  CAPTURED_LOGS,
  DAGSTER_DOCUMENTS,
  LAUNCH_RUN,
  RUN,
  RUN_EVENTS,
  RUNS,
  WORKSPACE,
  WORKSPACE_WITHOUT_OWNERS,
  type DagsterDocument,
} from './documents.js';
export {
  CODE_LOCATION_PREFIX,
  DEFAULT_REPOSITORY,
  RUN_STATUS_TABLE,
  STEP_STATUS_TABLE,
  TRIGGER_TAG_TABLE,
  UNKNOWN_STATUS,
  mapRunStatus,
  mapStepStatus,
  parseQualifiedJobId,
  qualifiedJobId,
  runStatusesFor,
  triggerOf,
  type JobAddress,
  type StatusMappingRow,
} from './mapping.js';
