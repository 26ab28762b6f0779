/**
 * Stopping what a lab started. Every process in a lab namespace is ours by
 * construction, so we stop exactly those, by PID (never by name pattern),
 * then delete the namespace.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Every lab namespace name starts with this, then the creating PID in base 36. */
export const NAME_PREFIX = 'v6l';

function pidsIn(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A zombie has exited; it only waits for its parent to reap it. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

export function killNamespace(ns: string): void {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 2000;
    while (pidsIn(ns).some(alive) && Date.now() < deadline) execFileSync('sleep', ['0.05']);
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // never created
  }
}

/** Namespaces left by an earlier run that was killed outright (its PID is in the name). */
export function sweepStaleLabs(): void {
  let names: string[] = [];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${NAME_PREFIX}([0-9a-z]+)x[0-9a-z]+[rgs]$`).exec(name);
    if (!m) continue;
    const pid = parseInt(m[1]!, 36);
    if (pid !== process.pid && !existsSync(`/proc/${pid}`)) killNamespace(name);
  }
}
