import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoEnvironment, startDemoWorld } from '../../app/demo-world.js';
import { connectCli } from '../mcp-harness.js';

for (const [era, modern] of [
  ['2025-era (server→client elicitation)', false],
  ['2026-07-28 (input_required round)', true],
] as const) {
  for (const answer of ['accept', 'decline'] as const) {
    test(`${era}: a client with a form asks its user; the user ${answer}s`, async () => {
      const world = await startDemoWorld({ orchestrators: ['airflow'] });
      const asked: string[] = [];
      const mcp = await connectCli(
        demoEnvironment(world),
        [],
        (client) => {
          client.setRequestHandler('elicitation/create', async (request) => {
            asked.push(String((request.params as { message?: string }).message));
            return answer === 'accept'
              ? { action: 'accept', content: { confirm: true } }
              : { action: 'decline' };
          });
        },
        modern,
      );
      try {
        const airflow = world.emulator('airflow');
        const result = await mcp.call('trigger_pipeline', {
          pipeline_id: 'daily_sales_etl',
          reason: 'elicitation test',
        });
        assert.equal(asked.length, 1, 'the user was asked once');
        assert.match(asked[0] ?? '', /daily_sales_etl/);
        const posts = airflow.requests.filter(
          (r) => r.method === 'POST' && r.path.endsWith('/dags/daily_sales_etl/dagRuns'),
        );
        if (answer === 'accept') {
          assert.equal(result.isError, false, result.text);
          assert.equal((result.structured as { status: string }).status, 'started');
          assert.equal(posts.length, 1);
        } else {
          assert.equal(result.isError, true);
          assert.match(result.text, /declined/);
          assert.equal(posts.length, 0);
        }
      } finally {
        await mcp.close();
        await world.close();
      }
    });
  }
}
