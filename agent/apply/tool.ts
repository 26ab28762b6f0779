/** Running a system tool for a live change: a failure is a warning and a `failed` result, never an exception. */
import { spawnSync } from 'node:child_process';
import type { Warnings } from '../errors.js';
import type { LiveResult } from './live.js';

export function runTool(what: string, argv: readonly string[], warnings: Warnings, timeoutMs = 30_000): LiveResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status === 0) return { what, from: undefined, to: argv.join(' '), status: 'changed' };
  const why = r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : (r.stderr.trim().split('\n').pop() ?? '') || `exit ${r.status}`;
  warnings.add(what, `${argv.join(' ')} failed: ${why}`);
  return { what, from: undefined, to: argv.join(' '), status: 'failed' };
}
