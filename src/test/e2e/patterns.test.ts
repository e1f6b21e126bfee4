import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AIRFLOW2_DEMO_FACTS, DEMO_FACTS } from '../../emulators/world/index.js';
import { useDemoSession } from '../demo-session.js';

type Row = Record<string, unknown>;
const rows = (value: unknown) => value as Row[];

interface Analysis {
  patterns: Row[];
  flakiness: { flaky: boolean; reason: string; failure_rate: number | null; fail_then_pass: number };
  duration: { trend: { direction: string; reason: string } };
  summary: string[];
}

/** "Why it failed… history patterns": the planted patterns found through the real server, and no others. */
describe('history patterns and shared causes through the built CLI, against the demo world', () => {
  const session = useDemoSession();

  const history = async (pipelineId: string) => {
    const answer = await session.mcp.call('get_pipeline_history', { pipeline_id: pipelineId });
    assert.equal(answer.isError, false, answer.text);
    return { text: answer.text, analysis: (answer.structured as { analysis: Analysis }).analysis };
  };

  test(`${DEMO_FACTS.flaky.dagId} is flaky, with no weekday or hour pattern`, async () => {
    const { text, analysis } = await history(DEMO_FACTS.flaky.dagId);
    assert.equal(analysis.flakiness.flaky, true, analysis.flakiness.reason);
    assert.deepEqual(analysis.patterns, [], analysis.summary.join(' | '));
    assert.equal(analysis.duration.trend.direction, 'stable', analysis.duration.trend.reason);
    assert.ok(analysis.flakiness.fail_then_pass >= 3);
    assert.match(text, /Flaky/);
  });

  test(`the healthy ${DEMO_FACTS.healthy.dagId}: no pattern, not flaky`, async () => {
    const { analysis } = await history(DEMO_FACTS.healthy.dagId);
    assert.deepEqual(analysis.patterns, []);
    assert.equal(analysis.flakiness.flaky, false);
    assert.equal(analysis.flakiness.failure_rate, 0);
    assert.equal(analysis.duration.trend.direction, 'stable', analysis.duration.trend.reason);
  });

  test('the Monday failures are a pattern, not flakiness', async () => {
    const { analysis } = await history(DEMO_FACTS.mondayFailure.dagId);
    assert.deepEqual(
      analysis.patterns.map((p) => [p.kind, p.weekday]),
      [['weekday', 'Monday']],
    );
    assert.equal(analysis.flakiness.flaky, false);
  });

  test('one cause (the rotated warehouse password) groups the failures of several legacy DAGs', async () => {
    const answer = await session.mcp.call('list_failed_pipelines', { hours: 24, digests: 20 });
    assert.equal(answer.isError, false, answer.text);
    const out = answer.structured as Row;
    const shared = AIRFLOW2_DEMO_FACTS.sharedCause;
    const expected = shared.dagIds.map((d) => `airflow-legacy:${d}`);
    const causes = rows(out.causes).filter((c) =>
      expected.some((id) => (c.pipelines as string[]).includes(id)),
    );
    assert.equal(causes.length, 1, JSON.stringify(causes, null, 1));
    const [cause] = causes;
    assert.ok(cause);
    assert.equal(cause.class, shared.errorClass);
    assert.ok(shared.errorType.endsWith(`.${String(cause.exception_type)}`), String(cause.exception_type));
    for (const id of expected) assert.ok((cause.pipelines as string[]).includes(id), id);
    assert.ok(Number(cause.failures) >= shared.dagIds.length);
    assert.ok(String(cause.error_line).includes(shared.errorFragment), String(cause.error_line));
    // Every failure of those DAGs points at that cause, whichever task failed.
    const index = rows(out.causes).indexOf(cause);
    const mine = rows(out.failures).filter(
      (f) =>
        f.orchestrator === 'airflow-legacy' && (shared.dagIds as readonly unknown[]).includes(f.pipeline_id),
    );
    assert.equal(mine.length, shared.dagIds.length);
    for (const f of mine) {
      assert.equal(f.cause, index, String(f.pipeline_id));
      assert.equal(f.error_class, 'auth', String(f.pipeline_id));
    }
    assert.deepEqual(new Set(mine.flatMap((f) => f.failed_tasks as string[])), new Set(shared.failedTasks));
  });
});
