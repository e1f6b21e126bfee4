import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_PATH, connectCli } from '../mcp-harness.js';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI_PATH, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    input: '',
    timeout: 20_000,
  });
}

test('--version and --help print to stdout and exit 0', () => {
  const version = run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--config FILE/);
});

test('bad configuration exits non-zero, names the key, never prints the secret, keeps stdout clean', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-cli-'));
  const config = join(dir, 'bad.yaml');
  writeFileSync(
    config,
    'orchestrators:\n  - { name: p, type: airflow, url: not-a-url, auth: { username: u, password: Hunter2-Secret } }\n',
  );
  const result = run(['--config', config]);
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /orchestrators\[0\]\.url/);
  assert.doesNotMatch(result.stderr, /Hunter2-Secret/);
});

test('no configuration at all explains the options', () => {
  const result = run([]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /AIRFLOW_URL/);
  assert.match(result.stderr, /--demo/);
});

test('unknown flags and commands are refused', () => {
  assert.equal(run(['--nope']).status, 2);
  assert.equal(run(['frobnicate']).status, 2);
});

test('`demo` answers the five questions through a real MCP client', () => {
  const result = run(['demo']);
  assert.equal(result.status, 0, result.stderr);
  const out = result.stdout;
  for (const q of [
    'What pipelines failed in the last 24 hours?',
    "What's the status of the daily sales ETL?",
    'Trigger a rerun of sync_inventory',
    'List all pipelines owned by the data-platform team',
    'How long did the daily sales ETL take?',
  ]) {
    assert.ok(out.includes(q), q);
  }
  assert.match(out, /Connection timeout to inventory service/);
  assert.match(out, /Started mcp__/);
  assert.doesNotMatch(out, /\[tool error\]/);
});

test('--demo serves MCP over stdio against the built-in world', async () => {
  const mcp = await connectCli({}, ['--demo']);
  try {
    const answer = await mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
    assert.equal(answer.isError, false, answer.text);
    assert.match(answer.text, /success/);
    const { tools } = await mcp.client.listTools();
    assert.ok(
      tools.some((t) => t.name === 'trigger_pipeline'),
      'the demo enables triggers',
    );
  } finally {
    await mcp.close();
  }
});
