import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { naiveFailedInLastDay } from './baseline/naive-client.js';
import { measureBigLog } from './big-log.js';
import { measureColdStart } from './cold-start.js';
import { measureLoad } from './load.js';
import { BENCH_USER, startBenchServer, startScenario } from './scenario.js';
import { median, peakRssMiB, percentile, timed, tokens, TOKENIZER } from './stats.js';
import { renderTable } from './table.js';
import { target, type Target } from './targets.js';

// `npm run bench [-- --rtt-ms 20 --scales 100,1000,10000 --repeats 5]`: prints figures, writes bench/results.json.
const { values } = parseArgs({
  options: {
    'rtt-ms': { type: 'string', default: '20' },
    scales: { type: 'string', default: '100,1000,10000' },
    repeats: { type: 'string', default: '5' },
    'total-runs': { type: 'string', default: '1000000' },
    out: { type: 'string', default: 'bench/results.json' },
    'load-clients': { type: 'string', default: '32' },
    'load-calls': { type: 'string', default: '32' },
  },
});
const rttMs = Number(values['rtt-ms']);
const scales = (values.scales ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const repeats = Math.max(1, Number(values.repeats));
const totalRuns = Number(values['total-runs']);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface ToolFigure {
  scale: number;
  tool: string;
  requests: number;
  wall_ms_median: number;
  wall_ms_p95: number;
  tokens: number;
}

const figures: ToolFigure[] = [];
const baselines: { scale: number; requests: number; wall_ms: number; tokens: number; failed_seen: number }[] =
  [];
const scaleFacts: {
  scale: number;
  runs: number;
  failures: number;
  peak_rss_mib: number;
  cache_reuse_requests: number;
}[] = [];
const targets: Target[] = [];
const largest = Math.max(...scales);

for (const scale of scales) {
  const runsPerDag = Math.max(10, Math.min(100, Math.floor(totalRuns / scales.reduce((a, b) => a + b, 0))));
  log(`scale ${scale}: building ${scale} DAGs × ${runsPerDag} runs …`);
  const scenario = await startScenario(scale, runsPerDag, rttMs);
  const server = await startBenchServer(scenario, 0);
  try {
    const first = await server.call('list_failed_pipelines', { hours: 24, limit: 50 });
    const failure = (first.structuredContent as { failures: { pipeline_id: string; run_id: string }[] })
      .failures[0];
    if (!failure) throw new Error('the scale world has no failure');
    const calls: [string, Record<string, unknown>, string?][] = [
      ['list_failed_pipelines', { hours: 24 }],
      ['list_failed_pipelines', { hours: 24, digests: 0 }, 'list_failed_pipelines digests=0'],
      ['list_all_pipelines', {}],
      ['get_pipeline_status', { pipeline_id: failure.pipeline_id }],
      ['get_pipeline_history', { pipeline_id: failure.pipeline_id }],
      ['get_run_details', { pipeline_id: failure.pipeline_id, run_id: failure.run_id }],
      ['get_task_logs', { pipeline_id: failure.pipeline_id, run_id: failure.run_id }],
    ];
    for (const [tool, args, label] of calls) {
      scenario.emulator.resetRequests();
      const result = await server.call(tool, args);
      const requests = scenario.emulator.requests.length;
      const walls: number[] = [];
      for (let i = 0; i < repeats; i++) walls.push((await timed(() => server.call(tool, args))).ms);
      figures.push({
        scale,
        tool: label ?? tool,
        requests,
        wall_ms_median: median(walls),
        wall_ms_p95: percentile(walls, 0.95),
        tokens: tokens({ content: result.content, structuredContent: result.structuredContent }),
      });
    }
    const peak = peakRssMiB(server.pid);
    await server.close();

    const cached = await startBenchServer(scenario, null);
    await cached.call('list_failed_pipelines', { hours: 24, limit: 50 });
    scenario.emulator.resetRequests();
    await cached.call('list_failed_pipelines', { hours: 24, limit: 50 });
    const reuse = scenario.emulator.requests.length;
    await cached.close();
    scaleFacts.push({
      scale,
      runs: scenario.runs,
      failures: scenario.failures,
      peak_rss_mib: peak,
      cache_reuse_requests: reuse,
    });

    log(`scale ${scale}: naive baseline …`);
    const naive = await timed(() => naiveFailedInLastDay(scenario.emulator.url, BENCH_USER));
    baselines.push({
      scale,
      requests: naive.value.requests,
      wall_ms: naive.ms,
      tokens: tokens(naive.value.answer),
      failed_seen: naive.value.failed,
    });

    if (scale === largest) {
      const ours = figures.find((f) => f.scale === scale && f.tool === 'list_failed_pipelines');
      const base = baselines[baselines.length - 1];
      if (ours && base) {
        const sweep = figures.find((f) => f.scale === scale && f.tool === 'list_failed_pipelines digests=0');
        targets.push(
          target(
            `list_failed_pipelines requests at ${scale} (ceil(${scenario.failures}/100)+2)`,
            ours.requests,
            Math.ceil(scenario.failures / 100) + 2,
            'req',
          ),
          target(
            `  … the sweep alone (digests=0, no log reads)`,
            sweep?.requests ?? NaN,
            Math.ceil(scenario.failures / 100) + 2,
            'req',
          ),
          target('  … fewer requests than the baseline', base.requests / ours.requests, 20, '×', true),
          target('  … less wall time than the baseline', base.wall_ms / ours.wall_ms_median, 10, '×', true),
          target('  … answer size', ours.tokens, 4000, 'tokens'),
          target(`peak RSS at ${scale} pipelines`, peak, 150, 'MiB'),
        );
      }
    }
  } finally {
    await scenario.close();
  }
}

log('cold start …');
const cold = await measureColdStart(repeats);
targets.push(target('cold start (spawn → first tools/list)', cold.median_ms, 400, 'ms'));
log('50 MB log …');
const big = await measureBigLog(rttMs);
targets.push(
  target('get_task_logs on a 50 MB log: answer', big.tokens, 2000, 'tokens'),
  target('  … server RSS growth', big.rss_growth_mib, 64, 'MiB'),
);
const loadClients = Number(values['load-clients']);
const loadCalls = Number(values['load-calls']);
log(`load: ${loadClients} clients × ${loadCalls} calls over HTTP, three rounds …`);
const load = await measureLoad(loadClients, loadCalls);
targets.push(
  target(`load ${loadClients}×${loadCalls}: failed calls`, load.errors, 0, 'calls'),
  target('  … tool errors', load.tool_errors, 0, 'calls'),
  // The load generator and the four emulators share the machine's cores with the server: latency here is
  // mostly queueing for CPU; the server's own CPU time per call is the figure that tracks its cost.
  target('  … p99 latency', load.p99_ms, 3000, 'ms'),
  target('  … server CPU per call', load.server_cpu_ms_per_call, 40, 'ms'),
  target('  … RSS growth in the last round', load.rss_growth_last_round_mib, 32, 'MiB'),
);

const out = process.stdout;
out.write(`\npipeline-monitor-mcp benchmark — RTT ${rttMs} ms per upstream request, tokens: ${TOKENIZER}\n`);
out.write(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n\n`,
);
out.write(
  renderTable(
    ['scale', 'tool', 'requests', 'median ms', 'p95 ms', 'tokens'],
    figures.map((f) => [
      f.scale,
      f.tool,
      f.requests,
      f.wall_ms_median.toFixed(0),
      f.wall_ms_p95.toFixed(0),
      f.tokens,
    ]),
  ) + '\n\n',
);
out.write(
  renderTable(
    [
      'scale',
      'runs',
      'failures',
      'ours: req',
      'naive: req',
      'ratio',
      'ours: ms',
      'naive: ms',
      'ratio',
      'ours: tok',
      'naive: tok',
      'peak RSS MiB',
      'repeat req',
    ],
    scaleFacts.map((s) => {
      const ours = figures.find((f) => f.scale === s.scale && f.tool === 'list_failed_pipelines');
      const base = baselines.find((b) => b.scale === s.scale);
      return [
        s.scale,
        s.runs,
        s.failures,
        ours?.requests ?? '-',
        base?.requests ?? '-',
        ours && base ? `${(base.requests / ours.requests).toFixed(1)}×` : '-',
        ours?.wall_ms_median.toFixed(0) ?? '-',
        base?.wall_ms.toFixed(0) ?? '-',
        ours && base ? `${(base.wall_ms / ours.wall_ms_median).toFixed(1)}×` : '-',
        ours?.tokens ?? '-',
        base?.tokens ?? '-',
        s.peak_rss_mib.toFixed(0),
        s.cache_reuse_requests,
      ];
    }),
  ) + '\n\n',
);
out.write(`cold start: median ${cold.median_ms.toFixed(0)} ms, p95 ${cold.p95_ms.toFixed(0)} ms\n`);
out.write(
  `50 MB log: ${big.tokens} tokens, ${big.requests} requests, ${big.wall_ms.toFixed(0)} ms, RSS +${big.rss_growth_mib.toFixed(0)} MiB\n\n`,
);
out.write(
  `load: ${load.calls} calls from ${load.clients} clients, ${load.errors} failed, ${load.tool_errors} tool errors, p50 ${load.p50_ms.toFixed(0)} ms, p99 ${load.p99_ms.toFixed(0)} ms, max ${load.max_ms.toFixed(0)} ms, ${load.calls_per_second.toFixed(0)} calls/s, server CPU ${load.server_cpu_ms_per_call.toFixed(1)} ms per call; RSS ${[load.rss_before_mib, ...load.rss_after_rounds_mib].map((m) => m.toFixed(0)).join(' → ')} MiB\n` +
    renderTable(
      ['tool under load', 'calls', 'p50 ms', 'p99 ms'],
      Object.entries(load.by_tool).map(([tool, f]) => [
        tool,
        f.calls,
        f.p50_ms.toFixed(0),
        f.p99_ms.toFixed(0),
      ]),
    ) +
    '\n\n',
);
out.write(
  renderTable(
    ['target', 'limit', 'measured', 'met'],
    targets.map((t) => [t.name, t.limit, t.measured, t.met ? 'yes' : 'NO']),
  ) + '\n',
);

writeFileSync(
  values.out ?? 'bench/results.json',
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30) },
      node: process.version,
      tokenizer: TOKENIZER,
      rtt_ms: rttMs,
      repeats,
      scales: scaleFacts,
      tools: figures,
      baseline: baselines,
      cold_start: cold,
      big_log: big,
      load,
      targets,
    },
    null,
    2,
  )}\n`,
);
