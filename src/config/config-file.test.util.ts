import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'pm-config-'));

/** Writes a configuration file for a test (a fresh name unless one is given) and returns its path. */
export function configFile(text: string, name = `${Math.random().toString(36).slice(2)}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
