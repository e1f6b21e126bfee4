import { after, before } from 'node:test';
import {
  demoEnvironment,
  startDemoWorld,
  type DemoEnvironmentOptions,
  type DemoWorld,
} from '../app/demo-world.js';
import { connectCli, type McpSession } from './mcp-harness.js';

export interface DemoSession {
  world: DemoWorld;
  mcp: McpSession;
}

/**
 * For a test file or suite: the demo world on 127.0.0.1 and the built CLI connected to it over stdio,
 * started before the tests and closed after. Read the fields inside tests, not at definition time.
 */
export function useDemoSession(options: DemoEnvironmentOptions = {}): DemoSession {
  const session = {} as DemoSession;
  before(async () => {
    session.world = await startDemoWorld();
    session.mcp = await connectCli(demoEnvironment(session.world, options));
  });
  after(async () => {
    await session.mcp?.close();
    await session.world?.close();
  });
  return session;
}
