import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildService } from '../../app/build-service.js';
import { createLogger } from '../../app/logger.js';
import { TRIGGER_DEFAULTS } from '../../config/settings.js';
import { orchestratorConfig } from '../../core/config.js';
import { isMonitorError } from '../../core/errors.js';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { AuditLog } from './audit-log.js';

test('the per-principal limit applies to the caller named by the transport, and the audit names them', async () => {
  const emulator = await startAirflowEmulator({
    world: createDemoWorld(),
    users: [{ username: 'u', password: 'p' }],
  });
  const auditPath = join(mkdtempSync(join(tmpdir(), 'pm-principal-')), 'audit.jsonl');
  const service = buildService(
    {
      orchestrators: [
        orchestratorConfig({
          name: 'af',
          type: 'airflow',
          url: emulator.url,
          auth: { kind: 'basic', username: 'u', password: 'p' },
        }),
      ],
      triggers: {
        ...TRIGGER_DEFAULTS,
        enabled: true,
        confirm: 'never',
        cooldown_seconds: 0,
        max_per_hour_per_principal: 2,
        audit_log: auditPath,
      },
      source: 'test',
    },
    createLogger('silent'),
  );
  const trigger = (pipeline_id: string, principal: string | null) =>
    service.triggerPipeline({ pipeline_id, conf: {}, principal }).then(
      (r) => r.status,
      (e: unknown) => {
        if (isMonitorError(e)) return e.message;
        throw e;
      },
    );
  try {
    assert.equal(await trigger('daily_sales_etl', 'alice'), 'started');
    assert.equal(await trigger('customer_360_build', 'alice'), 'started');
    assert.match(
      await trigger('kpi_dashboard_refresh', 'alice'),
      /alice triggered 2 runs in the last hour \(limit 2 per caller\)/,
    );
    assert.equal(await trigger('kpi_dashboard_refresh', 'bob'), 'started');
    assert.equal(await trigger('seo_rank_tracker', null), 'started', 'stdio has no principal');
    const entries = new AuditLog(auditPath).read();
    assert.deepEqual(
      entries.filter((e) => e.decision !== 'intent').map((e) => [e.decision, e.principal]),
      [
        ['accepted', 'alice'],
        ['accepted', 'alice'],
        ['refused', 'alice'],
        ['accepted', 'bob'],
        ['accepted', null],
      ],
    );
  } finally {
    await service.close();
    await emulator.close();
  }
});
