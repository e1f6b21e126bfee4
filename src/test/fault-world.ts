import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAirflowEmulator } from '../emulators/airflow/index.js';
import { startDagsterEmulator } from '../emulators/dagster/index.js';
import { FaultPlan } from '../emulators/faults/index.js';
import { startPrefectEmulator } from '../emulators/prefect/index.js';
import {
  createAirflow2DemoWorld,
  createDagsterDemoWorld,
  createDemoWorld,
  createPrefectDemoWorld,
  type World,
} from '../emulators/world/index.js';

/**
 * The four demo orchestrators (Airflow 3, Airflow 2, Dagster, Prefect), each with a fault plan in front of
 * it, and a configuration file for the server with the resilience settings a test chooses.
 */

export const FAULT_TARGETS = ['airflow', 'airflow-legacy', 'dagster', 'prefect'] as const;
export type FaultTargetName = (typeof FAULT_TARGETS)[number];

export interface FaultTarget {
  name: FaultTargetName;
  url: string;
  faults: FaultPlan;
  world: World;
  /** Requests the emulator's API saw (faulted ones answered by the plan are not among them). */
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export interface FaultWorld {
  targets: FaultTarget[];
  target(name: FaultTargetName): FaultTarget;
  /** Clears every plan's rules, hits and arrivals. */
  reset(): void;
  /** Writes a config file; `orchestrator` fields are added to every orchestrator entry. */
  writeConfig(top?: Record<string, unknown>, orchestrator?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const AIRFLOW_USER = { username: 'fault', password: 'fault-password' };
const DAGSTER_TOKEN = 'fault-dagster-token';
const PREFECT_KEY = 'pnu_faultprefectkey000000000000000000';

export async function startFaultWorld(
  now = new Date(),
  worlds: Partial<Record<FaultTargetName, World>> = {},
): Promise<FaultWorld> {
  const targets = await Promise.all(FAULT_TARGETS.map((name) => startTarget(name, now, worlds[name])));
  const target = (name: FaultTargetName) => targets.find((t) => t.name === name) as FaultTarget;
  return {
    targets,
    target,
    reset() {
      for (const t of targets) {
        t.faults.clear();
        t.faults.hits.splice(0);
        t.faults.arrivals.splice(0);
      }
    },
    writeConfig(top = {}, orchestrator = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'pm-faults-'));
      const path = join(dir, 'config.json');
      const auth = (name: FaultTargetName) =>
        name === 'dagster'
          ? { token: DAGSTER_TOKEN }
          : name === 'prefect'
            ? { token: PREFECT_KEY }
            : { ...AIRFLOW_USER };
      const config = {
        ...top,
        orchestrators: targets.map((t) => ({
          name: t.name,
          type: t.name.startsWith('airflow') ? 'airflow' : t.name,
          url: t.url,
          ...(t.name === 'airflow-legacy' ? { api_version: 'v1' } : {}),
          auth: auth(t.name),
          ...orchestrator,
        })),
      };
      writeFileSync(path, JSON.stringify(config), { mode: 0o600 });
      return path;
    },
    close: async () => {
      await Promise.all(targets.map((t) => t.close()));
    },
  };
}

async function startTarget(name: FaultTargetName, now: Date, given: World | undefined): Promise<FaultTarget> {
  const faults = new FaultPlan();
  switch (name) {
    case 'airflow': {
      const world = given ?? createDemoWorld({ now });
      const e = await startAirflowEmulator({ world, users: [AIRFLOW_USER], httpFaults: faults });
      return { name, url: e.url, faults, world, requests: e.requests, close: () => e.close() };
    }
    case 'airflow-legacy': {
      const world = given ?? createAirflow2DemoWorld({ now });
      const e = await startAirflowEmulator({
        apiVersion: 'v1',
        world,
        users: [AIRFLOW_USER],
        httpFaults: faults,
      });
      return { name, url: e.url, faults, world, requests: e.requests, close: () => e.close() };
    }
    case 'dagster': {
      const world = given ?? createDagsterDemoWorld({ now });
      const e = await startDagsterEmulator({ world, cloudTokens: [DAGSTER_TOKEN], httpFaults: faults });
      return { name, url: e.url, faults, world, requests: e.requests, close: () => e.close() };
    }
    case 'prefect': {
      const world = given ?? createPrefectDemoWorld({ now });
      const e = await startPrefectEmulator({ world, apiKeys: [PREFECT_KEY], httpFaults: faults });
      return { name, url: e.url, faults, world, requests: e.requests, close: () => e.close() };
    }
  }
}
