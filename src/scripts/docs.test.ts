import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { normalizeMarkdown } from '../test/markdown.js';
import { renderStatusMapping } from './status-mapping-doc.js';

test('docs/STATUS-MAPPING.md matches the adapters’ mapping tables (npm run docs)', () => {
  const doc = readFileSync(new URL('../../docs/STATUS-MAPPING.md', import.meta.url), 'utf8');
  assert.deepEqual(normalizeMarkdown(doc), normalizeMarkdown(renderStatusMapping()));
});
