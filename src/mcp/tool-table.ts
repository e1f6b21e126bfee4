import type * as z from 'zod';
import type { ToolDefinition } from './tool-definition.js';

export const TABLE_START = '<!-- tools:start (generated from src/mcp/tools by `npm run docs`) -->';
export const TABLE_END = '<!-- tools:end -->';

/** The README's tool table, generated from the tool definitions so it cannot drift. */
export function renderToolTable(tools: readonly ToolDefinition[]): string {
  const rows = tools.map((tool) => {
    const shape = tool.input.shape as Record<string, z.ZodType>;
    const params = Object.entries(shape)
      .map(([name, schema]) => (schema.safeParse(undefined).success ? `${name}?` : name))
      .join(', ');
    const kind = tool.annotations.readOnlyHint ? 'read' : 'write (only when `triggers.enabled`)';
    return `| \`${tool.name}\` | ${params} | ${kind} | ${tool.description.replace(/\|/g, '\\|')} |`;
  });
  return [
    TABLE_START,
    '| tool | parameters | kind | what it does |',
    '|---|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n');
}

export function replaceToolTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('README has no tool table markers');
  return readme.slice(0, start) + table + readme.slice(end + TABLE_END.length);
}
