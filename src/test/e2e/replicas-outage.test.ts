import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createDemoWorld } from '../../emulators/world/index.js';
import { startProxy } from '../../state/postgres/tcp-proxy.test.util.js';
import {
  dropSchema,
  freshSchema,
  SKIP_WITHOUT_PG,
  TEST_PG_URL,
} from '../../state/postgres/test-database.test.util.js';
import { CLI_PATH, connectCli } from '../mcp-harness.js';

describe('PostgreSQL state unreachable', () => {
  const schema = freshSchema('outage');
  const dir = mkdtempSync(join(tmpdir(), 'pm-outage-'));
  let emulator: Awaited<ReturnType<typeof startAirflowEmulator>>;
  const password = TEST_PG_URL ? decodeURIComponent(new URL(TEST_PG_URL).password) : '';

  /** A config file whose state URL comes from $PM_URL, as an operator would keep the secret out of it. */
  const writeConfig = (name: string, state: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `orchestrators:\n  - { name: af, type: airflow, url: "${emulator.url}", auth: { username: u, password: outage-pass } }\n` +
        `triggers: { enabled: true, audit_log: "${join(dir, 'unused.jsonl')}" }\n${state}`,
    );
    return path;
  };

  before(async () => {
    emulator = await startAirflowEmulator({
      world: createDemoWorld(),
      users: [{ username: 'u', password: 'outage-pass' }],
    });
  });

  after(async () => {
    await emulator?.close();
    await dropSchema(schema);
  });

  test('at startup: exit 2 with a clear message that never shows the URL or its password', () => {
    const config = writeConfig('down.yaml', `state: { postgres_url: "\${PM_URL}", schema: ${schema} }\n`);
    const url = 'postgres://monitor:pg-secret-Xy7@127.0.0.1:1/pipeline_monitor';
    const out = spawnSync(process.execPath, [CLI_PATH, '--config', config], {
      encoding: 'utf8',
      input: '',
      env: { PATH: process.env.PATH ?? '', PM_URL: url },
      timeout: 30_000,
    });
    assert.equal(out.status, 2, out.stderr);
    assert.match(out.stderr, /state\.postgres_url: PostgreSQL cannot be used: .*ECONNREFUSED/);
    assert.doesNotMatch(out.stderr + out.stdout, /pg-secret-Xy7|monitor:/);

    const bad = writeConfig('bad.yaml', 'state: { postgres_url: "mysql://root:pg-secret-Xy7@db/x" }\n');
    const invalid = spawnSync(process.execPath, [CLI_PATH, '--config', bad], { encoding: 'utf8', input: '' });
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /state\.postgres_url: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.doesNotMatch(invalid.stderr, /pg-secret-Xy7/);
  });

  test('a read-only server does not need the database', async () => {
    const config = writeConfig('down-ro.yaml', `state: { postgres_url: "\${PM_URL}" }\n`);
    const mcp = await connectCli({ PM_URL: 'postgres://m:pw-1234@127.0.0.1:1/x' }, [
      '--config',
      config,
      '--read-only',
    ]);
    try {
      const answer = await mcp.call('list_all_pipelines', { limit: 2 });
      assert.equal(answer.isError, false, answer.text);
    } finally {
      await mcp.close();
    }
  });

  test(
    'later: writes are refused with a hint, reads keep working, nothing leaks',
    { skip: SKIP_WITHOUT_PG },
    async () => {
      const target = new URL(TEST_PG_URL);
      const proxy = await startProxy(target.hostname, Number(target.port));
      const url = new URL(TEST_PG_URL);
      url.port = String(proxy.port);
      const config = writeConfig(
        'proxied.yaml',
        `state: { postgres_url: "\${PM_URL}", schema: ${schema} }\n`,
      );
      const mcp = await connectCli({ PM_URL: url.toString(), PIPELINE_MONITOR_LOG_LEVEL: 'info' }, [
        '--config',
        config,
      ]);
      try {
        const preview = await mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
        assert.equal(preview.isError, false, preview.text);
        const token = (preview.structured as { confirmation: { token: string } }).confirmation.token;

        await proxy.cut();
        const refused = await mcp.call('trigger_pipeline', {
          pipeline_id: 'daily_sales_etl',
          confirmation_token: token,
        });
        assert.equal(refused.isError, true);
        assert.match(
          refused.text,
          /shared trigger state \(PostgreSQL\) cannot be read or written, so nothing was started/,
        );
        assert.match(refused.text, /Hint: .*state\.postgres_url.*reads still work/);
        assert.equal(
          emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dagRuns')).length,
          0,
          'nothing was started',
        );
        const read = await mcp.call('get_pipeline_status', { pipeline_id: 'daily_sales_etl' });
        assert.equal(read.isError, false, read.text);
        assert.match(mcp.stderr(), /trigger state unavailable/);
        assert.ok(!mcp.stderr().includes(password), 'the password is never logged');
        assert.ok(!mcp.stderr().includes(url.toString()));
      } finally {
        await mcp.close();
      }
    },
  );
});
