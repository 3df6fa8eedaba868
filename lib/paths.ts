import * as path from 'node:path';

/**
 * The repository root: the folder holding `package-lock.json`, `lambdas/` and
 * `state-machines/`. Derived from this file's location so no machine-specific
 * path is ever written down.
 */
export const repoRoot = path.resolve(__dirname, '..');

/** Resolves a path from the declaration (relative to the repository root). */
export function fromRepoRoot(relativePath: string): string {
  return path.join(repoRoot, relativePath);
}
