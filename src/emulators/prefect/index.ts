export { createPrefectApp, startPrefectEmulator, CLOUD_ACCOUNT_ID, CLOUD_WORKSPACE_ID } from './server.js';
export type { PrefectEmulator, PrefectEmulatorOptions, PrefectFault, RecordedRequest } from './server.js';
export { PrefectWorld, LATE_AFTER_MS } from './translate.js';
export { DEFAULT_LIMIT, SERVER_API_VERSION } from './routes.js';
export { STATE_TYPES, type StateType } from './validation.js';
