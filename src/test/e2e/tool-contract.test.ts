import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderToolTable, TABLE_END, TABLE_START } from '../../mcp/tool-table.js';
import { TOOLS } from '../../mcp/tools/index.js';
import { normalizeMarkdown } from '../markdown.js';
import { useDemoSession } from '../demo-session.js';

const SNAPSHOT = new URL('../../../test/snapshots/tools-list.json', import.meta.url);
const README = new URL('../../../README.md', import.meta.url);

const session = useDemoSession();

test('tool names, schemas and annotations match the snapshot (UPDATE_SNAPSHOTS=1 to accept a change)', async () => {
  const { tools } = await session.mcp.client.listTools();
  const actual = `${JSON.stringify(tools, null, 2)}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, actual);
  assert.equal(actual, readFileSync(SNAPSHOT, 'utf8'));
  for (const tool of tools) {
    assert.ok(tool.outputSchema, `${tool.name} declares an outputSchema`);
    assert.equal(typeof tool.annotations?.readOnlyHint, 'boolean', `${tool.name} says whether it writes`);
  }
});

test('the README tool table is generated from the tool definitions (npm run docs)', () => {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  assert.ok(start >= 0 && end > start, 'README has the tool table markers');
  assert.deepEqual(
    normalizeMarkdown(readme.slice(start, end + TABLE_END.length)),
    normalizeMarkdown(renderToolTable(TOOLS)),
  );
});
