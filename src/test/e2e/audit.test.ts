import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { CLI_PATH, connectCli } from '../mcp-harness.js';

async function withServer(auditLog: string, body: (config: string, posts: () => number) => Promise<void>) {
  const emulator = await startAirflowEmulator({
    world: createDemoWorld(),
    users: [{ username: 'u', password: 'audit-pass' }],
  });
  const dir = mkdtempSync(join(tmpdir(), 'pm-audit-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `orchestrators:\n  - { name: af, type: airflow, url: "${emulator.url}", auth: { username: u, password: audit-pass } }\ntriggers: { enabled: true, confirm: never, audit_log: "${auditLog}" }\n`,
  );
  try {
    await body(
      config,
      () => emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dagRuns')).length,
    );
  } finally {
    await emulator.close();
  }
}

test('a trigger is refused when its intent cannot be written to the audit log', async () => {
  const blocker = join(mkdtempSync(join(tmpdir(), 'pm-audit-')), 'a-file');
  writeFileSync(blocker, 'not a directory');
  await withServer(join(blocker, 'audit.jsonl'), async (config, posts) => {
    const mcp = await connectCli({}, ['--config', config]);
    try {
      const answer = await mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
      assert.equal(answer.isError, true);
      assert.match(answer.text, /audit log cannot be (read or )?written/);
      assert.equal(posts(), 0, 'nothing was started');
    } finally {
      await mcp.close();
    }
  });
});

test('`pipeline-monitor-mcp audit` prints the recent entries readably', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'pm-audit-')), 'audit.jsonl');
  await withServer(log, async (config) => {
    const mcp = await connectCli({}, ['--config', config]);
    try {
      await mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl', reason: 'audit command test' });
      await mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    } finally {
      await mcp.close();
    }
    const out = spawnSync(process.execPath, [CLI_PATH, 'audit', '--config', config], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /intent\s+af:daily_sales_etl/);
    assert.match(out.stdout, /accepted\s+af:daily_sales_etl\s+run=mcp__/);
    assert.match(out.stdout, /refused\s+af:daily_sales_etl .*already has a queued run/);
    assert.doesNotMatch(out.stdout, /audit-pass/);
  });
});
