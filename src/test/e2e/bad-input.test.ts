import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { useDemoSession } from '../demo-session.js';

describe('bad input gets a clear tool error and no upstream call', () => {
  const session = useDemoSession();
  before(async () => {
    await session.mcp.call('list_all_pipelines', { limit: 1 }); // authenticate once, so later counts are pure
  });

  const hostileIds = [
    '..',
    '../../etc/passwd',
    '%2e%2e',
    '%2e%2e%2fadmin',
    'dag\u0000id',
    'dag\u202eid',
    'dag\u200bid',
    'dag\nid',
    'x'.repeat(260),
  ];

  for (const id of hostileIds) {
    test(`pipeline_id ${JSON.stringify(id.slice(0, 20))} is refused before any request`, async () => {
      const emulator = session.world.emulators[0]!;
      const before = emulator.requests.length;
      const answer = await session.mcp.call('get_pipeline_status', { pipeline_id: id });
      assert.equal(answer.isError, true);
      assert.match(answer.text, /pipeline_id|Invalid/);
      assert.equal(emulator.requests.length, before, 'no upstream request');
    });
  }

  test('hostile run and task ids are refused before any request', async () => {
    const emulator = session.world.emulators[0]!;
    const before = emulator.requests.length;
    const a = await session.mcp.call('get_run_details', {
      pipeline_id: 'sync_inventory',
      run_id: '../../dags',
    });
    const b = await session.mcp.call('get_task_logs', {
      pipeline_id: 'sync_inventory',
      run_id: 'r1',
      task_id: '%2e%2e',
    });
    assert.equal(a.isError, true);
    assert.equal(b.isError, true);
    assert.equal(emulator.requests.length, before);
  });

  for (const hours of [0, -1, 100000]) {
    test(`hours=${hours} is refused`, async () => {
      const emulator = session.world.emulators[0]!;
      const before = emulator.requests.length;
      const answer = await session.mcp.call('list_failed_pipelines', { hours });
      assert.equal(answer.isError, true);
      assert.match(answer.text, /hours/);
      assert.equal(emulator.requests.length, before);
    });
  }

  test('wrong types are refused', async () => {
    for (const [tool, args] of [
      ['list_failed_pipelines', { hours: '24' }],
      ['get_pipeline_status', { pipeline_id: 42 }],
      ['get_pipeline_history', { pipeline_id: 'daily_sales_etl', limit: 1.5 }],
      ['list_all_pipelines', { limit: 10000 }],
      ['get_pipeline_status', {}],
    ] as const) {
      const answer = await session.mcp.call(tool, args as Record<string, unknown>);
      assert.equal(answer.isError, true, `${tool} ${JSON.stringify(args)}`);
    }
  });

  test('an unknown id names close matches and points to list_all_pipelines', async () => {
    const answer = await session.mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etI' });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /daily_sales_etl/);
    assert.match(answer.text, /list_all_pipelines/);
    assert.match(
      (await session.mcp.call('get_pipeline_status', { pipeline_id: 'daily sales etl' })).text,
      /daily_sales_etl/,
    );
  });

  test('an unknown orchestrator filter is a tool error naming the configured ones', async () => {
    const answer = await session.mcp.call('list_failed_pipelines', { orchestrator: 'nope' });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /configured orchestrators: airflow/);
  });

  test('a cursor from other filters is refused', async () => {
    const first = (await session.mcp.call('list_all_pipelines', { limit: 5 })).structured as Record<
      string,
      unknown
    >;
    const answer = await session.mcp.call('list_all_pipelines', {
      limit: 5,
      owner: 'analytics',
      cursor: first.next_cursor,
    });
    assert.equal(answer.isError, true);
    assert.match(answer.text, /cursor/);
  });
});
