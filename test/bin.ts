/** The built single binary, which every process-level test runs (never tsx or node). */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const BIN = resolve('dist/v6agent');

export function requireBinary(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
}

export function v6agent(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): SpawnSyncReturns<string> {
  requireBinary();
  return spawnSync(BIN, args, { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? process.env, input: opts.input, timeout: 30_000 });
}
