import type { Hono } from 'hono';
import { pythonIsoTime } from '../../../world/index.js';
import type { Env } from '../../context.js';
import { AIRFLOW_V1_VERSION } from '../errors.js';
import { queryV1 } from '../query.js';
import { jsonV1 } from '../serializers.js';

/** `/version` and `/health`: public. Airflow 2.10 without a standalone DAG processor reports it as null. */
export function metaRoutesV1(app: Hono<Env>): void {
  app.get('/api/v1/version', (c) => {
    queryV1(c, []).done();
    return jsonV1({ version: AIRFLOW_V1_VERSION, git_version: null });
  });

  app.get('/api/v1/health', (c) => {
    queryV1(c, []).done();
    const beat = pythonIsoTime(Date.now() - 3_000);
    return jsonV1({
      metadatabase: { status: 'healthy' },
      scheduler: { status: 'healthy', latest_scheduler_heartbeat: beat },
      triggerer: { status: 'healthy', latest_triggerer_heartbeat: beat },
      dag_processor: { status: null, latest_dag_processor_heartbeat: null },
    });
  });
}
