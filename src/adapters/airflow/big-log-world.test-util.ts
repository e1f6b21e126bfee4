import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { startAirflowEmulator } from '../../emulators/airflow/index.js';
import { createScaleWorld, scaleDagId, scaleFailedIndexes, type World } from '../../emulators/world/index.js';

/**
 * A scale world whose failing DAG's tasks write about `logBytes` of log (as Airflow renders it, ~140 bytes a
 * line, as src/bench/big-log.ts sizes it). Run as a script, it serves that world from the Airflow 3 emulator
 * in its own process, so that a test measuring its own memory does not also count the server producing the
 * log. It prints `{"url": …}` on one line, then answers commands read from stdin, one a line, each with one
 * line of JSON: `requests` (the requests recorded since the last `reset`) and `reset`. It stops when its
 * stdin closes.
 */

export const BIG_LOG_USER = { username: 'big-log', password: 'Big-Log-pw-0' };

export function bigLogWorld(now: Date, logBytes: number): { world: World; dagId: string } {
  const world = createScaleWorld({ dags: 10, runsPerDag: 3, failedInLastDay: 2, now });
  const dagId = scaleDagId(scaleFailedIndexes(10, 2)[0] ?? 0);
  const dag = world.dag(dagId);
  if (!dag) throw new Error('no failing DAG');
  for (const task of dag.tasks) (task as { log_lines: number }).log_lines = Math.ceil(logBytes / 140);
  return { world, dagId };
}

async function main(): Promise<void> {
  const now = new Date(process.argv[2] ?? '');
  const logBytes = Number(process.argv[3]);
  const { world } = bigLogWorld(now, logBytes);
  const emulator = await startAirflowEmulator({ world, users: [BIG_LOG_USER] });
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  const commands = createInterface({ input: process.stdin });
  commands.on('line', (command) => {
    if (command === 'reset') emulator.resetRequests();
    const answer =
      command === 'requests' ? emulator.requests : command === 'reset' ? 'ok' : 'unknown command';
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  commands.on('close', () => void emulator.close().finally(() => process.exit(0)));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
