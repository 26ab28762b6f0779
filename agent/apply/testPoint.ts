/**
 * TEST-ONLY hooks at the phases of a commit, so tests can prove what a crash
 * or a race at that point leaves behind. Unset (always, outside tests) they
 * cost one environment lookup.
 *   V6AGENT_TEST_CRASH=<phase>        SIGKILL this process at <phase>
 *   V6AGENT_TEST_PAUSE=<phase>:<file> at <phase> create <file>, then wait (≤ 60 s) until it is removed
 * Phases: planned (files compared, nothing written), temps (temp files and
 * backups written, journal says "writing"), journal (journal says
 * "committing", nothing renamed), rename (first file renamed), renamed (all
 * renamed, journal not yet cleared), locked (lock taken).
 */
import { existsSync, writeFileSync } from 'node:fs';

export function testPoint(phase: string): void {
  if (process.env.V6AGENT_TEST_CRASH === phase) process.kill(process.pid, 'SIGKILL');
  const pause = process.env.V6AGENT_TEST_PAUSE;
  if (!pause?.startsWith(`${phase}:`)) return;
  const flag = pause.slice(phase.length + 1);
  writeFileSync(flag, `${process.pid}\n`);
  const deadline = Date.now() + 60_000;
  while (existsSync(flag) && Date.now() < deadline) sleepSync(20);
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
