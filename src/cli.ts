#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startDemoWorld } from './app/demo-world.js';
import { buildService, openTriggerStore } from './app/build-service.js';
import { createLogger } from './app/logger.js';
import { serveOverStdio } from './app/serve-stdio.js';
import { VERSION } from './app/version.js';
import { renderAudit } from './app/render-audit.js';
import { ConfigError } from './config/config-error.js';
import { loadSettings } from './config/load.js';

const USAGE = `pipeline-monitor-mcp ${VERSION} — MCP server for Airflow, Dagster and Prefect pipelines

Usage:
  pipeline-monitor-mcp [--config FILE]   serve MCP over stdio (config: FILE, $PIPELINE_MONITOR_CONFIG, or AIRFLOW_URL…)
  pipeline-monitor-mcp --demo            serve MCP over stdio against a built-in demo world
  pipeline-monitor-mcp demo              ask the demo questions through a real MCP client and print the answers
  pipeline-monitor-mcp audit [--limit N] print the recent trigger audit log entries
Options:
  --read-only                            never register write tools, whatever the configuration says
  pipeline-monitor-mcp --version | --help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      demo: { type: 'boolean' },
      'read-only': { type: 'boolean' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return write(USAGE);
  if (values.version) return write(`${VERSION}\n`);
  if (positionals[0] === 'demo') {
    // Loaded only here: the demo brings an MCP client the server itself never needs.
    const { runDemo } = await import('./app/demo.js');
    await runDemo();
    return 0;
  }
  if (positionals[0] === 'audit') {
    const settings = loadSettings(values.config, process.env);
    // The audit of the shared state when replicas share one (state.postgres_url), else the local file.
    const store = await openTriggerStore(settings, createLogger(), true);
    try {
      process.stdout.write(await renderAudit(store, Number(values.limit ?? 50)));
    } finally {
      await store.close();
    }
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    return 2;
  }

  const logger = createLogger();
  const demo = values.demo ? await startDemoWorld() : null;
  const loaded = demo ? demo.settings : loadSettings(values.config, process.env);
  // --read-only wins over any configuration.
  const settings = values['read-only']
    ? { ...loaded, triggers: { ...loaded.triggers, enabled: false } }
    : loaded;
  for (const o of settings.orchestrators.filter((o) => !o.tls.verify)) {
    logger.warn(
      { orchestrator: o.name },
      'TLS certificate verification is OFF for this orchestrator (tls.verify: false)',
    );
  }
  const store = await openTriggerStore(settings, logger);
  const service = buildService(settings, logger, undefined, store);
  logger.info(
    {
      orchestrators: settings.orchestrators.map((o) => `${o.name} (${o.type})`),
      triggers: settings.triggers.enabled,
      source: settings.source,
      ...(settings.triggers.enabled ? { trigger_state: store.location } : {}),
    },
    'pipeline-monitor-mcp serving on stdio',
  );
  service.reconcileTriggers().then(
    (n) =>
      n > 0 && logger.warn({ reconciled: n }, 'recorded the outcome of triggers interrupted by a restart'),
    (error: unknown) => logger.error({ err: error }, 'trigger reconciliation failed'),
  );
  await serveOverStdio(service, logger);
  await service.close();
  await demo?.close();
  return 0;
}

function write(text: string): number {
  process.stdout.write(text);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof ConfigError ||
      (error instanceof Error && error.name === 'TypeError' && 'code' in error)
    ) {
      process.stderr.write(`pipeline-monitor-mcp: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `pipeline-monitor-mcp: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
