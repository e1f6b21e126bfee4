export { PrefectAdapter, TRIGGER_TAG, type PrefectAdapterOptions } from './adapter.js';
export { PrefectClient, MAX_PAGE_LIMIT, type PrefectClientOptions } from './client.js';
export {
  STATE_TYPE_TABLE,
  STATE_NAME_NOTES,
  UNKNOWN_STATUS,
  describeSchedule,
  mapStateType,
  ownersAndTags,
  stateTypesFor,
  triggerKind,
  uiBaseOf,
  type StateNameRow,
  type StatusMappingRow,
} from './mapping.js';
export { readLogTail } from './log-tail.js';
