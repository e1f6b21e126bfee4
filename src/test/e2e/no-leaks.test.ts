import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { demoEnvironment, startDemoWorld } from '../../app/demo-world.js';
import { connectCli } from '../mcp-harness.js';

test('secrets reach neither tool output, nor the server’s own logs, nor the audit log', async () => {
  const world = await startDemoWorld({ orchestrators: ['airflow'] });
  const secret = 'Hunter2-Very-Secret-Value';
  const mcp = await connectCli({
    ...demoEnvironment(world, { triggerConfig: { confirm: 'never' } }),
    PIPELINE_MONITOR_LOG_LEVEL: 'debug',
  });
  try {
    const outputs: string[] = [];
    const ask = async (tool: string, args: Record<string, unknown>) => {
      const answer = await mcp.call(tool, args);
      outputs.push(answer.text, JSON.stringify(answer.structured ?? {}));
    };
    await ask('list_failed_pipelines', { hours: 48, digests: 20 });
    await ask('get_pipeline_status', { pipeline_id: 'sync_inventory' });
    await ask('trigger_pipeline', {
      pipeline_id: 'daily_sales_etl',
      reason: `rerun; db url postgres://etl:${secret}@db:5432/x, api_key=${secret}`,
      conf: { password: secret, note: `token=${secret}` },
    });
    await ask('get_pipeline_status', { pipeline_id: 'nope_does_not_exist' });
    const airflow = world.settings.orchestrators[0];
    const configured = airflow?.auth.kind === 'basic' ? airflow.auth.password : '';
    const audit = readFileSync(world.settings.triggers.audit_log, 'utf8');
    for (const [where, text] of [
      ['tool output', outputs.join('\n')],
      ['server logs', mcp.stderr()],
      ['audit log', audit],
    ] as const) {
      assert.ok(!text.includes(secret), `${where} leaks the secret`);
      assert.ok(!configured || !text.includes(configured), `${where} leaks the configured password`);
    }
    assert.match(audit, /\[REDACTED\]/);
  } finally {
    await mcp.close();
    await world.close();
  }
});
