import { startAirflowEmulator, type AirflowEmulator } from '../emulators/airflow/index.js';
import { createScaleWorld, scaleDagId, scaleFailedIndexes, type World } from '../emulators/world/index.js';
import { startServer, type ServerSession } from './server-session.js';

export const BENCH_USER = { username: 'bench', password: 'bench-password' };

export interface Scenario {
  scale: number;
  runs: number;
  failures: number;
  world: World;
  emulator: AirflowEmulator;
  /** A DAG whose latest run failed in the last 24 h. */
  failingDag: string;
  close(): Promise<void>;
}

/** A scale world behind the Airflow 3 emulator with a fixed round-trip time per request. */
export async function startScenario(scale: number, runsPerDag: number, rttMs: number): Promise<Scenario> {
  const failures = Math.max(2, Math.round(scale * 0.02));
  const world = createScaleWorld({ dags: scale, runsPerDag, failedInLastDay: failures });
  const emulator = await startAirflowEmulator({ world, users: [BENCH_USER], latencyMs: rttMs });
  const failingDag = scaleDagId(scaleFailedIndexes(scale, failures)[0] ?? 0);
  return {
    scale,
    runs: world.runs.length,
    failures,
    world,
    emulator,
    failingDag,
    close: () => emulator.close(),
  };
}

export function serverEnv(emulator: AirflowEmulator, cacheTtlMs: number | null): Record<string, string> {
  return {
    AIRFLOW_URL: emulator.url,
    AIRFLOW_USERNAME: BENCH_USER.username,
    AIRFLOW_PASSWORD: BENCH_USER.password,
    ...(cacheTtlMs === null ? {} : { PIPELINE_MONITOR_CACHE_TTL_MS: String(cacheTtlMs) }),
  };
}

export async function startBenchServer(
  scenario: Scenario,
  cacheTtlMs: number | null,
): Promise<ServerSession> {
  return startServer(serverEnv(scenario.emulator, cacheTtlMs));
}
