import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CLI } from './server-session.js';
import { median, percentile } from './stats.js';

/** Time from spawning the CLI to the first tools/list answered, over `repeats` fresh processes. */
export async function measureColdStart(
  repeats: number,
): Promise<{ median_ms: number; p95_ms: number; samples: number[] }> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      // Nothing listens there: startup must not need the orchestrator.
      env: {
        PATH: process.env.PATH ?? '',
        AIRFLOW_URL: 'http://127.0.0.1:9',
        PIPELINE_MONITOR_LOG_LEVEL: 'warn',
      },
      stderr: 'inherit',
    });
    const client = new Client({ name: 'cold-start', version: '1.0.0' });
    await client.connect(transport);
    await client.listTools();
    samples.push(performance.now() - start);
    await client.close();
  }
  return { median_ms: median(samples), p95_ms: percentile(samples, 0.95), samples };
}
