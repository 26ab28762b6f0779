/**
 * Whether the arm64 and package tests can run here. Missing Debian packages
 * are installed by build/prereqs.sh when root; under CI=true anything still
 * missing fails the run, elsewhere the file is skipped with one line saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Needs {
  commands: readonly string[];
  files?: readonly string[];
  root?: boolean;
}

function missing(needs: Needs): string[] {
  const commands = needs.commands.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0);
  return [...commands, ...(needs.files ?? []).filter((f) => !existsSync(f))];
}

function unavailable(needs: Needs): string | undefined {
  if (needs.root && process.getuid?.() !== 0) return 'needs root (dpkg and rpm install into a temp root as root:root)';
  if (missing(needs).length > 0 && process.getuid?.() === 0) {
    try {
      execFileSync('bash', ['build/prereqs.sh'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
    } catch (e) {
      return `installing Debian packages failed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const still = missing(needs);
  return still.length > 0 ? `missing ${still.join(', ')} (build/prereqs.sh installs them as root)` : undefined;
}

/** Decide once per file: run, skip with a line (developer machine), or fail (CI). */
export function gate(what: string, needs: Needs): { run: boolean } {
  const reason = unavailable(needs);
  if (!reason) return { run: true };
  if (process.env.CI === 'true') throw new Error(`${what}: prerequisites missing under CI: ${reason}`);
  console.log(`${what} skipped: ${reason}`);
  return { run: false };
}
