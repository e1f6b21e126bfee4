import { startAirflowEmulator, type AirflowEmulator } from '../emulators/airflow/index.js';
import { createDemoWorld } from '../emulators/world/index.js';
import type { Settings } from '../config/settings.js';
import { orchestratorConfig } from '../core/config.js';

export const DEMO_ORCHESTRATOR = 'demo-airflow';
const DEMO_USER = { username: 'demo', password: 'demo-password' };

export interface DemoWorld {
  settings: Settings;
  emulators: AirflowEmulator[];
  close(): Promise<void>;
}

/** Starts the seeded demo orchestrators on 127.0.0.1 and settings that point at them, triggers enabled. */
export async function startDemoWorld(now = new Date()): Promise<DemoWorld> {
  const airflow = await startAirflowEmulator({
    world: createDemoWorld({ now }),
    users: [DEMO_USER],
    latencyMs: 5,
  });
  const settings: Settings = {
    orchestrators: [
      orchestratorConfig({
        name: DEMO_ORCHESTRATOR,
        type: 'airflow',
        url: airflow.url,
        auth: { kind: 'basic', ...DEMO_USER },
        timeout_ms: 10_000,
      }),
    ],
    triggers: { enabled: true },
    source: 'demo world',
  };
  return { settings, emulators: [airflow], close: () => airflow.close() };
}

/** The same settings as environment variables, for a child process. */
export function demoEnvironment(world: DemoWorld): Record<string, string> {
  const airflow = world.settings.orchestrators[0];
  if (!airflow || airflow.auth.kind !== 'basic') throw new Error('demo world has no Airflow');
  return {
    AIRFLOW_URL: airflow.url,
    AIRFLOW_USERNAME: airflow.auth.username,
    AIRFLOW_PASSWORD: airflow.auth.password,
    PIPELINE_MONITOR_ENABLE_TRIGGERS: 'true',
  };
}
