import type { OrchestratorAdapter } from '../core/adapter.js';
import type { OrchestratorConfig } from '../core/config.js';
import { AirflowAdapter } from './airflow/index.js';
import { DagsterAdapter } from './dagster/index.js';
import { PrefectAdapter } from './prefect/index.js';

/** One adapter per configured orchestrator, chosen by its type. */
export function createAdapter(config: OrchestratorConfig): OrchestratorAdapter {
  switch (config.type) {
    case 'airflow':
      return new AirflowAdapter(config);
    case 'dagster':
      return new DagsterAdapter(config);
    case 'prefect':
      return new PrefectAdapter(config);
  }
}

export { AirflowAdapter } from './airflow/index.js';
export { DagsterAdapter } from './dagster/index.js';
export { PrefectAdapter } from './prefect/index.js';
