import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../cli.js', import.meta.url));

export interface ToolAnswer {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | undefined;
}

export interface McpSession {
  client: Client;
  /** The server process. */
  pid: number | null;
  stderr: () => string;
  call(name: string, args?: Record<string, unknown>): Promise<ToolAnswer>;
  close(): Promise<void>;
}

/** Spawns the built CLI as a real stdio MCP server and connects a real MCP client to it. */
export async function connectCli(
  env: Record<string, string>,
  args: string[] = [],
  prepare?: (client: Client) => void,
  /** Speak the 2026-07-28 protocol instead of the default 2025-era handshake. */
  modern = false,
): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, ...args],
    env: { PATH: process.env.PATH ?? '', PIPELINE_MONITOR_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client(
    { name: 'e2e-test', version: '1.0.0' },
    {
      ...(prepare ? { capabilities: { elicitation: { form: {} } } } : {}),
      ...(modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  prepare?.(client);
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => stderr,
    call: (name, args = {}) => callTool(client, name, args),
    close: () => client.close(),
  };
}

/** Calls a tool and reads its answer: error flag, text and structured content. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolAnswer> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
  return {
    isError: result.isError === true,
    text,
    structured: result.structuredContent as Record<string, unknown> | undefined,
  };
}
