import type { OrchestratorAdapter } from '../core/adapter.js';
import type { OrchestratorConfig } from '../core/config.js';
import { MonitorError } from '../core/errors.js';
import { AirflowAdapter } from './airflow/index.js';

/** One adapter per configured orchestrator, chosen by its type. */
export function createAdapter(config: OrchestratorConfig): OrchestratorAdapter {
  switch (config.type) {
    case 'airflow':
      return new AirflowAdapter(config);
    case 'dagster':
    case 'prefect':
      throw new MonitorError('unsupported', `${config.name}: ${config.type} is not supported yet.`, {
        orchestrator: config.name,
        hint: 'only Airflow 3 orchestrators can be configured for now',
      });
    default: {
      const unknown: never = config.type;
      throw new MonitorError(
        'invalid_input',
        `${config.name}: unknown orchestrator type ${String(unknown)}.`,
        {
          orchestrator: config.name,
        },
      );
    }
  }
}

export { AirflowAdapter } from './airflow/index.js';
