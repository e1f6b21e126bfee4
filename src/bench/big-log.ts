import { startBenchServer, startScenario } from './scenario.js';
import { currentRssMiB, peakRssMiB, timed, tokens } from './stats.js';

const TARGET_BYTES = 50 * 1024 * 1024;

/** get_task_logs with default arguments on a failed task whose log is about 50 MB. */
export async function measureBigLog(rttMs: number) {
  const scenario = await startScenario(100, 10, rttMs);
  try {
    const dag = scenario.world.dag(scenario.failingDag);
    if (!dag) throw new Error('no failing DAG');
    // Every line of operator output is ~140 bytes as the API renders it; make the failed task's log ~50 MB.
    for (const task of dag.tasks) (task as { log_lines: number }).log_lines = Math.ceil(TARGET_BYTES / 140);
    const server = await startBenchServer(scenario, 0);
    try {
      const status = await server.call('get_pipeline_status', { pipeline_id: scenario.failingDag });
      const runId = (status.structuredContent as { latest_run: { run_id: string } }).latest_run.run_id;
      const before = currentRssMiB(server.pid);
      scenario.emulator.resetRequests();
      const call = await timed(() =>
        server.call('get_task_logs', { pipeline_id: scenario.failingDag, run_id: runId }),
      );
      const structured = call.value.structuredContent as { bytes_read: number; truncated: boolean };
      return {
        log_bytes_read: structured.bytes_read,
        truncated: structured.truncated,
        tokens: tokens({ content: call.value.content, structuredContent: call.value.structuredContent }),
        requests: scenario.emulator.requests.length,
        wall_ms: call.ms,
        rss_growth_mib: peakRssMiB(server.pid) - before,
      };
    } finally {
      await server.close();
    }
  } finally {
    await scenario.close();
  }
}
