export { createAirflowApp, startAirflowEmulator } from './server.js';
export type { AirflowEmulator, AirflowEmulatorOptions, RecordedRequest } from './server.js';
export { AIRFLOW_VERSION } from './routes/meta.js';
