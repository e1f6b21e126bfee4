export { createAirflowApp, startAirflowEmulator } from './server.js';
export type {
  AirflowApiVersion,
  AirflowEmulator,
  AirflowEmulatorOptions,
  RecordedRequest,
} from './server.js';
export type { AirflowUser } from './context.js';
export type { FaultRequest, FaultResponse, Faults, Latency, RequestInfo } from './hooks.js';
export { AIRFLOW_VERSION } from './routes/meta.js';
export { AIRFLOW_V1_VERSION } from './v1/errors.js';
export { createAirflowV1App } from './v1/app.js';
