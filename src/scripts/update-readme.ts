import { readFileSync, writeFileSync } from 'node:fs';
import { renderToolTable, replaceToolTable } from '../mcp/tool-table.js';
import { TOOLS } from '../mcp/tools/index.js';
import { renderStatusMapping } from './status-mapping-doc.js';

// Regenerates the generated parts of the docs: `npm run docs`.
const readme = new URL('../../README.md', import.meta.url);
writeFileSync(readme, replaceToolTable(readFileSync(readme, 'utf8'), renderToolTable(TOOLS)));
writeFileSync(new URL('../../docs/STATUS-MAPPING.md', import.meta.url), renderStatusMapping());
