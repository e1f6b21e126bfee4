import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest directory above this (compiled) file that holds a package.json. */
export function repoRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Where the shared API contracts are expected: `<repo root>/../shared/specs`, or the directory named by
 * PIPELINE_MONITOR_SPECS_DIR when set (e.g. to check that tests skip cleanly without them).
 */
export function expectedSpecsDir(): string {
  const override = process.env.PIPELINE_MONITOR_SPECS_DIR;
  if (override) return resolve(override);
  const root = repoRoot() ?? process.cwd();
  return resolve(root, '..', 'shared', 'specs');
}

/** The shared API contracts directory, or null when it is absent (tests then skip, saying so). */
export function sharedSpecsDir(): string | null {
  const dir = expectedSpecsDir();
  return existsSync(dir) ? dir : null;
}

/** The message for `t.skip()` when the contracts are absent. */
export function specsMissingMessage(): string {
  return `${expectedSpecsDir()} not found: contract validation skipped`;
}
