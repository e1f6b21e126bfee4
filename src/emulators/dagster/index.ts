export { CLOUD_TOKEN_HEADER, createDagsterApp, startDagsterEmulator } from './server.js';
export type { DagsterEmulator, DagsterEmulatorOptions, DagsterFault, RecordedRequest } from './server.js';
export {
  DEFAULT_LOCATION,
  DEFAULT_REPOSITORY,
  defaultPlacement,
  stepKeyOf,
  type JobPlacement,
} from './model.js';
export { dagsterSubsetSchema, dagsterSubsetSdl, type DagsterSchemaVariant } from './schema.js';
export { fileKeyOf } from './events.js';
