import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED_OUT = /(\.test\.ts|\.test[-.]util\.ts|\.test\.helper\.ts)$|^src\/(test|bench|scripts)\//;

function sources(dir: string, rel = 'src'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name), `${rel}/${e.name}`)
      : e.name.endsWith('.ts')
        ? [`${rel}/${e.name}`]
        : [],
  );
}

test('every package the shipped code imports is a runtime dependency (an installed package must run)', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const missing = new Set<string>();
  for (const file of sources(join(root, 'src')).filter((f) => !SHIPPED_OUT.test(f))) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)(?!\s+type\b)[^'"]*?from\s+'([^'.][^']*)'/gm)) {
      const spec = m[1] as string;
      const name = spec.startsWith('@')
        ? spec.split('/').slice(0, 2).join('/')
        : (spec.split('/')[0] as string);
      if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
      if (!(name in pkg.dependencies)) missing.add(`${name} (${file})`);
    }
  }
  assert.deepEqual([...missing], []);
});
