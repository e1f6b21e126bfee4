import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRIGGER_DEFAULTS, type Settings } from '../config/settings.js';
import { orchestratorConfig, type OrchestratorConfig } from '../core/config.js';
import { startAirflowEmulator } from '../emulators/airflow/index.js';
import { startDagsterEmulator } from '../emulators/dagster/index.js';
import { startPrefectEmulator } from '../emulators/prefect/index.js';
import {
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
} from '../emulators/world/index.js';

/** The orchestrators of the demo world, by their configured names. */
export const DEMO_ORCHESTRATORS = ['airflow', 'airflow-legacy', 'dagster', 'prefect'] as const;
export type DemoOrchestrator = (typeof DEMO_ORCHESTRATORS)[number];

const AIRFLOW_USER = { username: 'demo', password: 'demo-password' };
const AIRFLOW2_USER = { username: 'legacy', password: 'legacy-password' };
const DAGSTER_TOKEN = 'demo-dagster-cloud-token';
const PREFECT_KEY = 'pnu_demoprefectapikey0000000000000000';

export interface DemoEmulator {
  name: DemoOrchestrator;
  url: string;
  requests: { method: string; path: string }[];
  resetRequests(): void;
  close(): Promise<void>;
}

export interface DemoWorld {
  settings: Settings;
  /** In the order of `orchestrators`; the Airflow 3 one first by default. */
  emulators: DemoEmulator[];
  emulator(name: DemoOrchestrator): DemoEmulator;
  close(): Promise<void>;
}

export interface DemoWorldOptions {
  now?: Date;
  orchestrators?: readonly DemoOrchestrator[];
}

/**
 * Starts the seeded demo orchestrators on 127.0.0.1 — Airflow 3, Airflow 2, Dagster and Prefect, each with
 * its own pipelines — and settings that point at them, triggers enabled.
 */
export async function startDemoWorld(options: DemoWorldOptions = {}): Promise<DemoWorld> {
  const now = options.now ?? new Date();
  const wanted = options.orchestrators ?? DEMO_ORCHESTRATORS;
  const started = await Promise.all(wanted.map((name) => startOne(name, now)));
  const emulators = started.map((s) => s.emulator);
  return {
    settings: {
      orchestrators: started.map((s) => s.config),
      triggers: {
        ...TRIGGER_DEFAULTS,
        enabled: true,
        audit_log: join(mkdtempSync(join(tmpdir(), 'pipeline-monitor-demo-audit-')), 'audit.jsonl'),
      },
      source: 'demo world',
    },
    emulators,
    emulator(name) {
      const found = emulators.find((e) => e.name === name);
      if (!found) throw new Error(`the demo world has no ${name}`);
      return found;
    },
    close: async () => {
      await Promise.all(emulators.map((e) => e.close()));
    },
  };
}

async function startOne(
  name: DemoOrchestrator,
  now: Date,
): Promise<{ emulator: DemoEmulator; config: OrchestratorConfig }> {
  const base = { name, timeout_ms: 10_000 };
  switch (name) {
    case 'airflow': {
      const e = await startAirflowEmulator({
        world: createDemoWorld({ now }),
        users: [AIRFLOW_USER],
        latencyMs: 5,
      });
      const config = orchestratorConfig({
        ...base,
        type: 'airflow',
        url: e.url,
        auth: { kind: 'basic', ...AIRFLOW_USER },
      });
      return { emulator: { name, ...pick(e) }, config };
    }
    case 'airflow-legacy': {
      const e = await startAirflowEmulator({
        apiVersion: 'v1',
        world: createAirflow2DemoWorld({ now }),
        users: [AIRFLOW2_USER],
        latencyMs: 5,
      });
      const config = orchestratorConfig({
        ...base,
        type: 'airflow',
        url: e.url,
        api_version: 'v1',
        auth: { kind: 'basic', ...AIRFLOW2_USER },
      });
      return { emulator: { name, ...pick(e) }, config };
    }
    case 'dagster': {
      const e = await startDagsterEmulator({
        world: createDagsterDemoWorld({ now }),
        cloudTokens: [DAGSTER_TOKEN],
        latencyMs: 5,
      });
      const config = orchestratorConfig({
        ...base,
        type: 'dagster',
        url: e.url,
        auth: { kind: 'token', token: DAGSTER_TOKEN },
      });
      return { emulator: { name, ...pick(e) }, config };
    }
    case 'prefect': {
      const e = await startPrefectEmulator({
        world: createPrefectDemoWorld({ now }),
        apiKeys: [PREFECT_KEY],
        latencyMs: 5,
      });
      const config = orchestratorConfig({
        ...base,
        type: 'prefect',
        url: e.url,
        auth: { kind: 'token', token: PREFECT_KEY },
      });
      return { emulator: { name, ...pick(e) }, config };
    }
  }
}

function pick(e: Omit<DemoEmulator, 'name'>): Omit<DemoEmulator, 'name'> {
  return { url: e.url, requests: e.requests, resetRequests: () => e.resetRequests(), close: () => e.close() };
}

/** Environment for a child server process: the demo settings as a config file it reads. */
export interface DemoEnvironmentOptions {
  triggers?: boolean;
  /** Overrides of the `triggers:` configuration (snake_case keys as in the config file). */
  triggerConfig?: Record<string, unknown>;
}

export function demoEnvironment(
  world: DemoWorld,
  options: DemoEnvironmentOptions = {},
): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-monitor-demo-'));
  const path = join(dir, 'config.json');
  const config = {
    orchestrators: world.settings.orchestrators.map((o) => ({
      name: o.name,
      type: o.type,
      url: o.url,
      ...(o.type === 'airflow' ? { api_version: o.api_version } : {}),
      auth:
        o.auth.kind === 'basic'
          ? { username: o.auth.username, password: o.auth.password }
          : o.auth.kind === 'token'
            ? { token: o.auth.token }
            : undefined,
      timeout_seconds: o.timeout_ms / 1000,
    })),
    triggers: {
      enabled: options.triggers ?? world.settings.triggers.enabled,
      audit_log: world.settings.triggers.audit_log,
      ...options.triggerConfig,
    },
  };
  writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
  return { PIPELINE_MONITOR_CONFIG: path };
}
