import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { fileURLToPath } from 'node:url';
import { demoEnvironment, startDemoWorld } from './demo-world.js';

interface Question {
  ask: string;
  tool: string;
  args: Record<string, unknown>;
}

export const DEMO_QUESTIONS: Question[] = [
  { ask: 'What pipelines failed in the last 24 hours?', tool: 'list_failed_pipelines', args: { hours: 24 } },
  {
    ask: "What's the status of the daily sales ETL?",
    tool: 'get_pipeline_status',
    args: { pipeline_id: 'daily_sales_etl' },
  },
  {
    ask: 'Trigger a rerun of sync_inventory',
    tool: 'trigger_pipeline',
    args: { pipeline_id: 'sync_inventory', reason: 'rerun after the inventory service timeout (demo)' },
  },
  {
    ask: 'List all pipelines owned by the data-platform team',
    tool: 'list_all_pipelines',
    args: { owner: 'data-platform' },
  },
  { ask: 'What needs my attention this morning?', tool: 'get_health_summary', args: {} },
  {
    ask: 'How long did the daily sales ETL take?',
    tool: 'get_pipeline_history',
    args: { pipeline_id: 'daily_sales_etl', limit: 7 },
  },
];

/**
 * Starts the demo orchestrators, spawns this CLI as a real MCP server over stdio against them,
 * and asks the demo questions through a real MCP client. Writes the answers to `out`.
 */
export async function runDemo(out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const world = await startDemoWorld();
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env: {
      ...(process.env as Record<string, string>),
      ...demoEnvironment(world),
      PIPELINE_MONITOR_LOG_LEVEL: 'warn',
    },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'pipeline-monitor-demo', version: '1.0.0' });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    const where = world.settings.orchestrators.map(
      (o) => `${o.name} (${o.type}${o.type === 'airflow' ? (o.api_version === 'v1' ? ' 2' : ' 3') : ''})`,
    );
    out.write(
      `pipeline-monitor-mcp demo: seeded orchestrators on 127.0.0.1 — ${where.join(', ')}; ${tools.length} tools.\n`,
    );
    const ask = async (tool: string, args: Record<string, unknown>, label?: string) => {
      const result = await client.callTool({ name: tool, arguments: args });
      const text = (result.content as { type: string; text?: string }[])
        .map((c) => (c.type === 'text' ? (c.text ?? '') : ''))
        .join('\n');
      const shown = { ...args, ...(args.confirmation_token ? { confirmation_token: '…' } : {}) };
      out.write(
        `${label ?? ''}   → ${tool}(${JSON.stringify(shown)})${result.isError ? ' [refused or failed]' : ''}\n`,
      );
      out.write(`${text.replace(/^/gm, '   ')}\n`);
      return result.structuredContent as Record<string, unknown> | undefined;
    };
    for (const q of DEMO_QUESTIONS) {
      out.write(`\n❓ ${q.ask}\n`);
      const first = await ask(q.tool, q.args);
      const confirmation = first?.confirmation as { token: string } | null | undefined;
      if (q.tool === 'trigger_pipeline' && confirmation) {
        await ask(
          q.tool,
          { ...q.args, confirmation_token: confirmation.token },
          '   (the user confirms the preview)\n',
        );
        await ask(q.tool, q.args, '   (asked again while that run is queued)\n');
      }
    }
  } finally {
    await client.close().catch(() => undefined);
    await world.close();
  }
}
