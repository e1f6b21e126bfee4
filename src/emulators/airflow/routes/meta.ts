import type { Hono } from 'hono';
import { apiTime } from '../../world/index.js';
import type { Env } from '../context.js';

export const AIRFLOW_VERSION = '3.2.1';

/** `/version` and `/monitor/health`: public, no authentication (as in Airflow). */
export function metaRoutes(app: Hono<Env>): void {
  app.get('/api/v2/version', (c) => c.json({ version: AIRFLOW_VERSION, git_version: null }));

  app.get('/api/v2/monitor/health', (c) => {
    const beat = apiTime(Date.now() - 3_000);
    return c.json({
      metadatabase: { status: 'healthy' },
      scheduler: { status: 'healthy', latest_scheduler_heartbeat: beat },
      triggerer: { status: 'healthy', latest_triggerer_heartbeat: beat },
      dag_processor: { status: 'healthy', latest_dag_processor_heartbeat: beat },
    });
  });
}
