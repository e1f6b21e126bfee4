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
import { LocalTriggerStore } from './local-store.js';
import { LockBusyError, type TriggerStore } from './store.js';

interface Guarded {
  service: ReturnType<typeof serviceOn>;
  emulator: Awaited<ReturnType<typeof startAirflowEmulator>>;
  auditPath: string;
}

/** The service over an Airflow emulator of the demo world, with its own audit file; both closed after `fn`. */
async function withGuard(
  options: { confirm?: 'always' | 'never'; store?: (auditPath: string) => TriggerStore },
  fn: (g: Guarded) => Promise<void>,
): Promise<void> {
  const emulator = await startAirflowEmulator({
    world: createDemoWorld(),
    users: [{ username: 'u', password: 'p' }],
  });
  const auditPath = join(mkdtempSync(join(tmpdir(), 'pm-guard-')), 'audit.jsonl');
  const service = serviceOn(emulator.url, auditPath, options.store?.(auditPath), options.confirm);
  try {
    await fn({ service, emulator, auditPath });
  } finally {
    await service.close();
    await emulator.close();
  }
}

function serviceOn(
  emulatorUrl: string,
  auditPath: string,
  store?: TriggerStore,
  confirm: 'always' | 'never' = 'never',
) {
  return buildService(
    {
      orchestrators: [
        orchestratorConfig({
          name: 'af',
          type: 'airflow',
          url: emulatorUrl,
          auth: { kind: 'basic', username: 'u', password: 'p' },
        }),
      ],
      triggers: {
        ...TRIGGER_DEFAULTS,
        enabled: true,
        confirm,
        cooldown_seconds: 0,
        max_per_hour_per_principal: 2,
        audit_log: auditPath,
      },
      source: 'test',
    },
    createLogger('silent'),
    undefined,
    store,
  );
}

test('the per-principal limit applies to the caller named by the transport, and the audit names them', async () => {
  await withGuard({}, async ({ service, auditPath }) => {
    const trigger = (pipeline_id: string, principal: string | null) =>
      service.triggerPipeline({ pipeline_id, conf: {}, principal }).then(
        (r) => r.status,
        (e: unknown) => {
          if (isMonitorError(e)) return e.message;
          throw e;
        },
      );
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
  });
});

test('a pipeline lock held too long by another write: refused with a hint, audited, nothing started', async () => {
  await withGuard(
    {
      // As the PostgreSQL store reports a lock_timeout while another replica holds the lock.
      store: (auditPath) =>
        new (class extends LocalTriggerStore {
          override withPipelineLock<T>(pipeline: string): Promise<T> {
            return Promise.reject(new LockBusyError(pipeline, 60_000));
          }
        })(auditPath),
    },
    async ({ service, emulator, auditPath }) => {
      await assert.rejects(
        service.triggerPipeline({ pipeline_id: 'daily_sales_etl', conf: {}, principal: 'alice' }),
        (error: Error) =>
          isMonitorError(error) &&
          error.kind === 'refused' &&
          /Another write to af:daily_sales_etl has been in progress for over 60 s/.test(error.message) &&
          /try again once it has finished/.test(error.hint ?? ''),
      );
      assert.deepEqual(
        new AuditLog(auditPath).read().map((e) => [e.decision, e.principal]),
        [['refused', 'alice']],
      );
      assert.equal(
        emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dagRuns')).length,
        0,
      );
    },
  );
});

test('a confirmation token is bound to the caller it was shown to: another principal cannot redeem it', async () => {
  await withGuard({ confirm: 'always' }, async ({ service, emulator }) => {
    const starts = () =>
      emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dagRuns')).length;
    const preview = await service.triggerPipeline({
      pipeline_id: 'daily_sales_etl',
      conf: {},
      principal: 'alice',
    });
    const token = preview.confirmation?.token;
    assert.ok(token, 'alice gets a preview with a token');
    await assert.rejects(
      service.triggerPipeline({
        pipeline_id: 'daily_sales_etl',
        conf: {},
        principal: 'mallory',
        confirmation_token: token,
      }),
      (error: Error) => isMonitorError(error) && /another caller/.test(error.message),
    );
    assert.equal(starts(), 0, "mallory's attempt started nothing");
    const confirmed = await service.triggerPipeline({
      pipeline_id: 'daily_sales_etl',
      conf: {},
      principal: 'alice',
      confirmation_token: token,
    });
    assert.equal(
      confirmed.status,
      'started',
      'the token still works for alice: the refusal did not use it up',
    );
    assert.equal(starts(), 1);
  });
});

test('a client that went away while the write was under way: progress fails, the run still starts and is audited', async () => {
  await withGuard({}, async ({ service, auditPath }) => {
    const result = await service.triggerPipeline({
      pipeline_id: 'daily_sales_etl',
      conf: {},
      progress: () => Promise.reject(new Error('Not connected')),
    });
    assert.equal(result.status, 'started');
    assert.deepEqual(
      new AuditLog(auditPath).read().map((e) => e.decision),
      ['intent', 'accepted'],
      'no intent is left open',
    );
  });
});
