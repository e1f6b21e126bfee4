import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEMO_FACTS } from '../../emulators/world/index.js';
import { useDemoSession } from '../demo-session.js';

type Structured = {
  status: string;
  run: { run_id: string; status: string; trigger: string } | null;
  confirmation: { token: string } | null;
};

function audit(path: string): { decision: string; pipeline: string; run_id: string | null; id: string }[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { decision: string; pipeline: string; run_id: string | null; id: string });
  } catch {
    return [];
  }
}

const postsTo = (requests: { method: string; path: string }[], dag: string) =>
  requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/dags/${dag}/dagRuns`)).length;

describe('trigger_pipeline with confirmation (the default)', () => {
  const session = useDemoSession();

  test('a preview and a token first; the confirmed call starts exactly one run; then refused while it is queued', async () => {
    const airflow = session.world.emulator('airflow');
    const args = { pipeline_id: 'sync_inventory', reason: 'test rerun' };
    const preview = await session.mcp.call('trigger_pipeline', args);
    assert.equal(preview.isError, false, preview.text);
    const p = preview.structured as Structured;
    assert.equal(p.status, 'confirmation_required');
    assert.equal(p.run, null);
    assert.equal(postsTo(airflow.requests, 'sync_inventory'), 0, 'a preview starts nothing');

    const started = await session.mcp.call('trigger_pipeline', {
      ...args,
      confirmation_token: p.confirmation?.token,
    });
    assert.equal(started.isError, false, started.text);
    const s = started.structured as Structured;
    assert.equal(s.status, 'started');
    assert.equal(s.run?.status, 'pending');
    assert.equal(s.run?.trigger, 'manual');
    assert.equal(postsTo(airflow.requests, 'sync_inventory'), 1);

    const reused = await session.mcp.call('trigger_pipeline', {
      ...args,
      confirmation_token: p.confirmation?.token,
    });
    assert.equal(reused.isError, true);
    const again = await session.mcp.call('trigger_pipeline', args);
    assert.equal(again.isError, true);
    assert.match(again.text, /already has a queued run/);
    assert.match(again.text, /Hint: a trigger is allowed once that run has finished/);
    assert.match(again.text, new RegExp(String(s.run?.run_id)));
    assert.equal(postsTo(airflow.requests, 'sync_inventory'), 1);

    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as {
      latest_run: { run_id: string };
    };
    assert.equal(status.latest_run.run_id, s.run?.run_id);
    const log = audit(session.world.settings.triggers.audit_log).filter(
      (e) => e.pipeline === 'airflow:sync_inventory',
    );
    assert.equal(log.filter((e) => e.decision === 'intent').length, 1);
    assert.equal(log.filter((e) => e.decision === 'accepted').length, 1);
    assert.ok(log.filter((e) => e.decision === 'refused').length >= 2);
  });

  test('forged and mismatched tokens are refused and start nothing', async () => {
    const airflow = session.world.emulator('airflow');
    const args = { pipeline_id: 'daily_sales_etl' };
    const preview = (await session.mcp.call('trigger_pipeline', args)).structured as Structured;
    const token = preview.confirmation?.token ?? '';
    const forged = `${token.split('.')[0]}.AAAA${token.split('.')[1]?.slice(4)}`;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...args, confirmation_token: forged }, /not issued by this server/],
      [{ ...args, confirmation_token: 'garbage' }, /malformed/],
      [
        { ...args, conf: { full_refresh: true }, confirmation_token: token },
        /another pipeline, other parameters or another caller/,
      ],
      [
        { pipeline_id: 'customer_360_build', confirmation_token: token },
        /another pipeline, other parameters or another caller/,
      ],
    ];
    for (const [call, reason] of cases) {
      const answer = await session.mcp.call('trigger_pipeline', call);
      assert.equal(answer.isError, true, JSON.stringify(call));
      assert.match(answer.text, reason);
    }
    assert.equal(postsTo(airflow.requests, 'daily_sales_etl'), 0);
    assert.equal(postsTo(airflow.requests, 'customer_360_build'), 0);
  });

  test('refuses a running pipeline and a paused one, never unpausing it', async () => {
    const airflow = session.world.emulator('airflow');
    const running = await session.mcp.call('trigger_pipeline', { pipeline_id: DEMO_FACTS.runningNow.dagId });
    assert.equal(running.isError, true);
    assert.match(running.text, /already has a running run/);
    const paused = await session.mcp.call('trigger_pipeline', { pipeline_id: DEMO_FACTS.paused.dagId });
    assert.equal(paused.isError, true);
    assert.match(paused.text, /paused/);
    assert.equal(airflow.requests.filter((r) => r.method === 'PATCH').length, 0);
    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.paused.dagId }))
      .structured as {
      pipeline: { paused: boolean };
    };
    assert.equal(status.pipeline.paused, true);
  });
});

describe('trigger policy: lists, cooldown and hourly limits', () => {
  const session = useDemoSession({
    triggerConfig: {
      confirm: 'never',
      allow: ['airflow:*', 'prefect:*'],
      deny: ['airflow:finance_*'],
      cooldown_seconds: 3600,
      max_per_hour_per_pipeline: 5,
      max_per_hour: 2,
    },
  });

  test('each refusal says why and, where it is a matter of time, when a trigger would be allowed', async () => {
    const denied = await session.mcp.call('trigger_pipeline', { pipeline_id: 'finance_ledger_reconcile' });
    assert.match(denied.text, /triggers\.deny/);
    const notAllowed = await session.mcp.call('trigger_pipeline', { pipeline_id: 'partner_api_ingest' });
    assert.match(notAllowed.text, /not on the triggers\.allow list/);

    const first = await session.mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    assert.equal((first.structured as Structured).status, 'started', first.text);
    // Let the run finish so only the cooldown stands in the way.
    const cooldown = await session.mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    assert.equal(cooldown.isError, true);
    assert.match(cooldown.text, /already has a queued run|cooldown/);

    // Once that run is stopped, only the cooldown stands in the way.
    const run = (first.structured as Structured).run?.run_id;
    const stop = await session.mcp.call('cancel_run', { pipeline_id: 'daily_sales_etl', run_id: run });
    assert.equal((stop.structured as Structured).status, 'cancelled', stop.text);
    const cooled = await session.mcp.call('trigger_pipeline', { pipeline_id: 'daily_sales_etl' });
    assert.equal(cooled.isError, true);
    assert.match(cooled.text, /the cooldown is 3600 s/);
    assert.match(cooled.text, /allowed after \d{4}-\d\d-\d\dT/);

    const second = await session.mcp.call('trigger_pipeline', { pipeline_id: 'customer_360_build' });
    assert.equal((second.structured as Structured).status, 'started', second.text);
    const hourly = await session.mcp.call('trigger_pipeline', { pipeline_id: 'kpi_dashboard_refresh' });
    assert.equal(hourly.isError, true);
    assert.match(hourly.text, /2 triggers in the last hour across all pipelines \(limit 2\)/);
    assert.match(hourly.text, /allowed after \d{4}-\d\d-\d\dT/);
  });
});

describe('idempotency', () => {
  const session = useDemoSession({ triggerConfig: { confirm: 'never', cooldown_seconds: 0 } });

  test('50 concurrent identical calls start exactly one run; every call is audited', async () => {
    const airflow = session.world.emulator('airflow');
    const calls = await Promise.all(
      Array.from({ length: 50 }, () =>
        session.mcp.call('trigger_pipeline', { pipeline_id: 'web_sessions_sessionize' }),
      ),
    );
    assert.equal(calls.filter((c) => !c.isError).length, 1);
    assert.equal(postsTo(airflow.requests, 'web_sessions_sessionize'), 1);
    const log = audit(session.world.settings.triggers.audit_log).filter(
      (e) => e.pipeline === 'airflow:web_sessions_sessionize',
    );
    assert.equal(log.filter((e) => e.decision === 'intent').length, 1);
    assert.equal(log.filter((e) => e.decision === 'accepted').length, 1);
    assert.equal(log.filter((e) => e.decision === 'refused').length, 49);
  });

  test('a request replayed with the same idempotency key starts nothing new', async () => {
    const airflow = session.world.emulator('airflow');
    const args = { pipeline_id: 'seo_rank_tracker', idempotency_key: 'replay-key-0001' };
    const first = (await session.mcp.call('trigger_pipeline', args)).structured as Structured;
    assert.equal(first.status, 'started');
    // The client lost the answer and sends the same request again, after the run was started.
    const replay = await session.mcp.call('trigger_pipeline', args);
    assert.equal(replay.isError, true, 'the queued run blocks it');
    assert.equal(postsTo(airflow.requests, 'seo_rank_tracker'), 1);
  });
});

describe('rerun_failed_tasks and cancel_run', () => {
  const session = useDemoSession({ triggerConfig: { confirm: 'never', cooldown_seconds: 0 } });

  test('re-runs only the failed tasks of a failed run, once; refuses a run that did not fail', async () => {
    const status = (await session.mcp.call('get_pipeline_status', { pipeline_id: 'sync_inventory' }))
      .structured as {
      latest_run: { run_id: string };
    };
    const runId = status.latest_run.run_id;
    const rerun = await session.mcp.call('rerun_failed_tasks', {
      pipeline_id: 'sync_inventory',
      run_id: runId,
    });
    assert.equal(rerun.isError, false, rerun.text);
    const r = rerun.structured as Structured;
    assert.equal(r.status, 'started');
    assert.equal(r.run?.run_id, runId, 'Airflow clears the failed tasks of the same run');
    const clears = session.world
      .emulator('airflow')
      .requests.filter((q) => q.path.endsWith('/clearTaskInstances'));
    assert.equal(clears.length, 1);
    const again = await session.mcp.call('rerun_failed_tasks', {
      pipeline_id: 'sync_inventory',
      run_id: runId,
    });
    assert.equal(again.isError, true, 'the run is queued again, so a second re-run is refused');
    assert.equal(
      session.world.emulator('airflow').requests.filter((q) => q.path.endsWith('/clearTaskInstances')).length,
      1,
    );
  });

  test('cancels a running run and refuses to cancel a finished one; every write is audited', async () => {
    const running = (
      await session.mcp.call('get_pipeline_status', { pipeline_id: DEMO_FACTS.runningNow.dagId })
    ).structured as {
      latest_run: { run_id: string };
    };
    const cancel = await session.mcp.call('cancel_run', {
      pipeline_id: DEMO_FACTS.runningNow.dagId,
      run_id: running.latest_run.run_id,
    });
    assert.equal(cancel.isError, false, cancel.text);
    assert.equal((cancel.structured as Structured).status, 'cancelled');
    const again = await session.mcp.call('cancel_run', {
      pipeline_id: DEMO_FACTS.runningNow.dagId,
      run_id: running.latest_run.run_id,
    });
    assert.equal(again.isError, true);
    const log = audit(session.world.settings.triggers.audit_log);
    assert.ok(
      log.some((e) => e.decision === 'accepted' && e.pipeline === `airflow:${DEMO_FACTS.runningNow.dagId}`),
    );
  });
});

describe('progress while waiting for the orchestrator', () => {
  const session = useDemoSession({ triggerConfig: { confirm: 'never', cooldown_seconds: 0 } });

  test('sends MCP progress notifications and returns after the wait bound with the run still queued', async () => {
    const messages: string[] = [];
    const result = await session.mcp.client.callTool(
      { name: 'trigger_pipeline', arguments: { pipeline_id: 'fx_rates_sync', wait_seconds: 3 } },
      { onprogress: (p) => void messages.push(String(p.message)) },
    );
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    const out = result.structuredContent as Structured & { message: string };
    assert.equal(out.status, 'started');
    assert.match(out.message, /not finished after waiting 3 s/);
    assert.ok(
      messages.some((m) => /asking airflow to start/.test(m)),
      messages.join(' | '),
    );
    assert.ok(
      messages.some((m) => /accepted/.test(m)),
      messages.join(' | '),
    );
    assert.ok(messages.filter((m) => / is queued$/.test(m)).length >= 1, messages.join(' | '));
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
