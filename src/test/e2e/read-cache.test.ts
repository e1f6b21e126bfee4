import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useDemoSession } from '../demo-session.js';

describe('repeated identical questions', () => {
  const session = useDemoSession({ triggerConfig: { confirm: 'never' } });

  test('concurrent and repeated identical calls cost the orchestrator once; a trigger is seen at once', async () => {
    const emulator = session.world.emulators[0]!;
    await session.mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' }); // authenticate first
    emulator.resetRequests();
    const first = await session.mcp.call('list_failed_pipelines', { hours: 24 });
    const single = emulator.requests.length;
    assert.ok(single > 0);

    emulator.resetRequests();
    const burst = await Promise.all(
      [1, 2, 3, 4].map(() => session.mcp.call('list_failed_pipelines', { hours: 24 })),
    );
    const again = await session.mcp.call('list_failed_pipelines', { hours: 24 });
    const reused = emulator.requests.length;
    assert.equal(
      reused,
      0,
      `cached reads went upstream: ${JSON.stringify(emulator.requests.map((r) => r.path))}`,
    );
    for (const answer of [...burst, again]) {
      assert.deepEqual(
        (answer.structured as { failed_pipelines: unknown }).failed_pipelines,
        (first.structured as { failed_pipelines: unknown }).failed_pipelines,
      );
    }

    const before = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as {
      latest_run: { status: string };
    };
    assert.equal(before.latest_run.status, 'failed');
    const trigger = await session.mcp.call('trigger_pipeline', { pipeline_id: 'sync_inventory' });
    assert.equal(trigger.isError, false, trigger.text);
    const after = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as {
      latest_run: { status: string };
    };
    assert.equal(
      after.latest_run.status,
      'pending',
      'the new run shows without waiting for the cache to expire',
    );
  });
});
