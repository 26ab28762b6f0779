/**
 * After files are written: what each network stack needs so that what is on
 * disk is what it will use. One module, one function per situation, dispatched
 * by stack.
 */
import { spawnSync } from 'node:child_process';
import type { Warnings } from '../errors.js';
import type { Stack } from '../plan/types.js';
import type { LiveResult } from './live.js';
import type { FileResult } from './write.js';

/** Run a tool; a failure is a warning and a `failed` result, never an exception. */
export function runTool(what: string, argv: readonly string[], warnings: Warnings, timeoutMs = 30_000): LiveResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs });
  if (r.status === 0) return { what, from: undefined, to: argv.join(' '), status: 'changed' };
  const why = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr.trim().split('\n')[0] ?? '') || `exit ${r.status}`;
  warnings.add(what, `${argv.join(' ')} failed: ${why}`);
  return { what, from: undefined, to: argv.join(' '), status: 'failed' };
}

const changedUnder = (files: readonly FileResult[], dir: string): boolean => files.some((f) => f.status !== 'unchanged' && f.path.startsWith(dir));

/**
 * At boot, before any network manager: netplan's generator ran before us, so a
 * changed /etc/netplan must be generated again for networkd/NetworkManager to
 * read it when they start. The other stacks read their files when they start.
 */
export function afterWrite(stack: Stack, files: readonly FileResult[], warnings: Warnings): LiveResult[] {
  if (stack === 'netplan' && changedUnder(files, '/etc/netplan/')) return [runTool('netplan', ['netplan', 'generate'], warnings)];
  return [];
}
