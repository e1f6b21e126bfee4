import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

export interface ServerSession {
  client: Client;
  pid: number;
  call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The real server, spawned from the built CLI, behind a real MCP client. */
export async function startServer(env: Record<string, string>): Promise<ServerSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? '', PIPELINE_MONITOR_LOG_LEVEL: 'warn', ...env },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'pipeline-monitor-bench', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (pid === null) throw new Error('server did not start');
  return {
    client,
    pid,
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args }, { timeout: 600_000 });
      if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
      return result as Record<string, unknown>;
    },
    close: () => client.close(),
  };
}
