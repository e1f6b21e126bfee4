#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { buildService, openTriggerStore } from './app/build-service.js';
import { createLogger } from './app/logger.js';
import { serveOverStdio } from './app/serve-stdio.js';
import { VERSION } from './app/version.js';
import { renderAudit } from './app/render-audit.js';
import { ConfigError } from './config/config-error.js';
import { loadSettings } from './config/load.js';
import { HTTP_DEFAULTS } from './config/settings.js';
import { parseListenAddress } from './mcp/http/listen-address.js';
import { MIN_TOKEN_LENGTH, sha256Hex } from './mcp/http/static-tokens.js';

const USAGE = `pipeline-monitor-mcp ${VERSION} — MCP server for Airflow, Dagster and Prefect pipelines

Usage:
  pipeline-monitor-mcp [--config FILE]   serve MCP over stdio (config: FILE, $PIPELINE_MONITOR_CONFIG, or AIRFLOW_URL…)
  pipeline-monitor-mcp --http [HOST:]PORT serve MCP over streamable HTTP at /mcp (default host 127.0.0.1)
  pipeline-monitor-mcp --demo            serve MCP over stdio against a built-in demo world
  pipeline-monitor-mcp demo              ask the demo questions through a real MCP client and print the answers
  pipeline-monitor-mcp audit [--limit N] print the recent trigger audit log entries
  pipeline-monitor-mcp hash-token        print the SHA-256 of a token read from stdin (for auth.tokens)
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
      http: { type: 'string' },
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
  if (positionals[0] === 'hash-token') return hashToken();
  if (positionals.length > 0) {
    process.stderr.write(`unknown command: ${positionals.join(' ')}\n\n${USAGE}`);
    return 2;
  }

  // Checked before anything starts, so that a bad address is a configuration error (exit 2).
  const address = values.http === undefined ? null : parseListenAddress(values.http);
  const logger = createLogger();
  // The demo emulators and the HTTP stack are loaded only when asked for: stdio starts without them.
  const demo = values.demo ? await (await import('./app/demo-world.js')).startDemoWorld() : null;
  try {
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
    if (address) {
      const listen = { host: address.host ?? (settings.http ?? HTTP_DEFAULTS).host, port: address.port };
      const { assertListenable, serveOverHttp } = await import('./app/serve-http.js');
      assertListenable(listen, settings);
      const store = await openTriggerStore(settings, logger);
      const service = buildService(settings, logger, undefined, store);
      reconcile(service, logger);
      try {
        await serveOverHttp(service, settings, listen, logger);
      } finally {
        // An upstream call still running past the drain timeout must not hold the exit (closing waits for it).
        setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
        await service.close();
      }
      return 0;
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
    reconcile(service, logger);
    await serveOverStdio(service, logger);
    await service.close();
    return 0;
  } finally {
    await demo?.close();
  }
}

function reconcile(service: ReturnType<typeof buildService>, logger: ReturnType<typeof createLogger>): void {
  service.reconcileTriggers().then(
    (n) =>
      n > 0 && logger.warn({ reconciled: n }, 'recorded the outcome of triggers interrupted by a restart'),
    (error: unknown) => logger.error({ err: error }, 'trigger reconciliation failed'),
  );
}

/** `printf %s "$TOKEN" | pipeline-monitor-mcp hash-token`: the value for auth.tokens[].sha256. */
async function hashToken(): Promise<number> {
  if (process.stdin.isTTY) process.stderr.write('Paste the token, then press Ctrl-D.\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const token = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    process.stderr.write(
      `pipeline-monitor-mcp: a token needs at least ${MIN_TOKEN_LENGTH} characters and no whitespace; make one with \`openssl rand -base64 32\`\n`,
    );
    return 2;
  }
  return write(`${sha256Hex(token)}\n`);
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
