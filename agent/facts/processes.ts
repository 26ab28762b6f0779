/**
 * Running programs, from /proc/PID/cmdline: which DHCP clients and network
 * daemons are alive. Only names and arguments are read, never environments.
 * Only processes in our network namespace count: a DHCP client in another
 * namespace (a container, a lab guest) configures other interfaces.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Process {
  readonly pid: number;
  readonly argv: readonly string[];
}

export function readProcesses(proc = '/proc'): Process[] {
  let entries: string[] = [];
  try {
    entries = readdirSync(proc);
  } catch {
    return [];
  }
  const ns = netns(`${proc}/self`);
  const out: Process[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // Unreadable (another user's process, without root): counted, rather than missed.
      const theirs = ns === undefined ? undefined : netns(`${proc}/${e}`);
      if (theirs !== undefined && theirs !== ns) continue;
      const argv = readFileSync(`${proc}/${e}/cmdline`, 'latin1').split('\0').filter(Boolean);
      if (argv.length) out.push({ pid: Number(e), argv });
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}

function netns(dir: string): string | undefined {
  try {
    return readlinkSync(`${dir}/ns/net`);
  } catch {
    return undefined;
  }
}
