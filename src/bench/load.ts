import { randomBytes } from 'node:crypto';
import { demoEnvironment, startDemoWorld } from '../app/demo-world.js';
import { sha256Hex } from '../mcp/http/static-tokens.js';
import { connectHttp, extendConfig, startHttpCli, type HttpSession } from '../test/http-harness.js';
import { cpuMs, currentRssMiB, percentile } from './stats.js';

export interface LoadFigures {
  clients: number;
  calls_per_client: number;
  calls: number;
  errors: number;
  /** Tool results with isError (a clear error, not a failed request). */
  tool_errors: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  calls_per_second: number;
  rss_before_mib: number;
  /** The server's RSS after each round. */
  rss_after_rounds_mib: number[];
  /**
   * Growth during the last round. The first rounds grow V8's heap to what the concurrency needs; a leak
   * keeps growing after that.
   */
  rss_growth_last_round_mib: number;
  /** CPU time the server spent, per call. */
  server_cpu_ms_per_call: number;
  by_tool: Record<string, { calls: number; p50_ms: number; p99_ms: number }>;
}

/**
 * N concurrent MCP clients × M tool calls each against one HTTP server (the built CLI with `--http`) over the
 * demo emulators, with the read cache off so every call reaches the orchestrators. Each client is its own
 * principal with its own static token, as on a team server. Several rounds, so that RSS growth after
 * warm-up (a leak) is visible apart from the heap growing to what the concurrency needs.
 */
export async function measureLoad(clients: number, callsPerClient: number, rounds = 3): Promise<LoadFigures> {
  const world = await startDemoWorld();
  const tokens = Array.from({ length: clients + 1 }, () => randomBytes(24).toString('base64url'));
  const env = extendConfig(demoEnvironment(world, { triggers: false }), {
    auth: {
      tokens: tokens.map((token, i) => ({
        name: `user${i}`,
        sha256: sha256Hex(token),
        scopes: ['pipelines:read'],
      })),
    },
  });
  const server = await startHttpCli({ ...env, PIPELINE_MONITOR_CACHE_TTL_MS: '0' }).catch(
    async (error: unknown) => {
      await world.close();
      throw error;
    },
  );
  try {
    const pid = server.child.pid as number;
    const probe = await connectHttp(server.url, { token: tokens[clients] as string });
    const calls = await callMix(probe);
    await probe.close();
    const rssBefore = currentRssMiB(pid);
    const cpuBefore = cpuMs(pid);
    const results: Awaited<ReturnType<typeof round>>[] = [];
    const rss: number[] = [];
    for (let r = 0; r < rounds; r++) {
      results.push(await round(server.url, tokens, callsPerClient, calls));
      rss.push(currentRssMiB(pid));
    }
    const cpu = cpuMs(pid) - cpuBefore;
    const samples = results.flatMap((r) => r.latencies);
    const latencies = samples.map((s) => s.ms);
    const byTool: LoadFigures['by_tool'] = {};
    for (const name of new Set(samples.map((s) => s.tool))) {
      const mine = samples.filter((s) => s.tool === name).map((s) => s.ms);
      byTool[name] = { calls: mine.length, p50_ms: percentile(mine, 0.5), p99_ms: percentile(mine, 0.99) };
    }
    return {
      clients,
      calls_per_client: callsPerClient,
      calls: latencies.length,
      errors: results.reduce((n, r) => n + r.errors, 0),
      tool_errors: results.reduce((n, r) => n + r.toolErrors, 0),
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      max_ms: Math.max(...latencies),
      calls_per_second: latencies.length / (results.reduce((ms, r) => ms + r.wallMs, 0) / 1000),
      rss_before_mib: rssBefore,
      rss_after_rounds_mib: rss,
      rss_growth_last_round_mib: (rss[rss.length - 1] ?? NaN) - (rss[rss.length - 2] ?? rssBefore),
      server_cpu_ms_per_call: cpu / latencies.length,
      by_tool: byTool,
    };
  } finally {
    await server.stop();
    await world.close();
  }
}

type Call = [string, Record<string, unknown>];

/** Every read tool, with ids taken from the demo world's own failures. */
async function callMix(session: HttpSession): Promise<Call[]> {
  const failed = await session.call('list_failed_pipelines', { hours: 72 });
  const failure = (failed.structured as { failures?: { pipeline_id: string; run_id: string }[] })
    .failures?.[0];
  if (!failure) throw new Error('the demo world has no failure to look at');
  const target = { pipeline_id: failure.pipeline_id };
  return [
    ['list_failed_pipelines', { hours: 24 }],
    ['list_all_pipelines', {}],
    ['get_pipeline_status', target],
    ['get_pipeline_history', target],
    ['get_run_details', { ...target, run_id: failure.run_id }],
    ['get_task_logs', { ...target, run_id: failure.run_id }],
    ['get_health_summary', {}],
  ];
}

async function round(
  url: string,
  tokens: string[],
  callsPerClient: number,
  calls: Call[],
): Promise<{
  latencies: { tool: string; ms: number }[];
  errors: number;
  toolErrors: number;
  wallMs: number;
}> {
  const latencies: { tool: string; ms: number }[] = [];
  let errors = 0;
  let toolErrors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: tokens.length - 1 }, async (_, c) => {
      let session: HttpSession;
      try {
        session = await connectHttp(url, { token: tokens[c] as string });
      } catch {
        errors += callsPerClient;
        return;
      }
      try {
        for (let i = 0; i < callsPerClient; i++) {
          const [name, args] = calls[(c + i) % calls.length] as Call;
          const t0 = performance.now();
          try {
            if ((await session.call(name, args)).isError) toolErrors++;
          } catch {
            errors++;
          }
          latencies.push({ tool: name, ms: performance.now() - t0 });
        }
      } finally {
        await session.close();
      }
    }),
  );
  return { latencies, errors, toolErrors, wallMs: performance.now() - started };
}
