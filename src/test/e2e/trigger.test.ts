import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEMO_FACTS } from '../../emulators/world/index.js';
import { useDemoSession } from '../demo-session.js';

describe('trigger_pipeline', () => {
  const session = useDemoSession();

  test('starts one run, then refuses while it is queued', async () => {
    const emulator = session.world.emulators[0]!;
    const answer = await session.mcp.call('trigger_pipeline', {
      pipeline_id: 'sync_inventory',
      reason: 'test rerun',
    });
    assert.equal(answer.isError, false, answer.text);
    const run = (answer.structured as { run: Record<string, unknown> }).run;
    assert.equal(run.status, 'pending');
    assert.equal(run.trigger, 'manual');
    const posts = emulator.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/dags/sync_inventory/dagRuns'),
    );
    assert.equal(posts.length, 1);

    const again = await session.mcp.call('trigger_pipeline', { pipeline_id: 'sync_inventory' });
    assert.equal(again.isError, true);
    assert.match(again.text, /already has a queued run/);
    assert.match(again.text, new RegExp(String(run.run_id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as {
      latest_run: { run_id: string };
    };
    assert.equal(status.latest_run.run_id, run.run_id);
  });

  test('refuses a running pipeline', async () => {
    const answer = await session.mcp.call('trigger_pipeline', { pipeline_id: DEMO_FACTS.runningNow.dagId });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /already has a running run/);
  });

  test('refuses a paused pipeline and never unpauses it', async () => {
    const emulator = session.world.emulators[0]!;
    const answer = await session.mcp.call('trigger_pipeline', { pipeline_id: DEMO_FACTS.paused.dagId });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /paused/);
    assert.equal(emulator.requests.filter((r) => r.method === 'PATCH').length, 0);
    assert.equal(
      emulator.requests.filter((r) => r.method === 'POST' && r.path.includes(DEMO_FACTS.paused.dagId)).length,
      0,
    );
    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.paused.dagId }))
      .structured as {
      pipeline: { paused: boolean };
    };
    assert.equal(status.pipeline.paused, true);
  });
});

describe('with triggers disabled', () => {
  const session = useDemoSession({ triggers: false });
  test('trigger_pipeline is not even listed', async () => {
    const { tools } = await session.mcp.client.listTools();
    assert.equal(tools.length, 7);
    assert.ok(!tools.some((t) => t.name === 'trigger_pipeline'));
    assert.ok(tools.every((t) => t.annotations?.readOnlyHint === true));
  });
});
