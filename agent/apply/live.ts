/** Live changes, never made under --root: sysctls through /proc/sys, the kernel host name. */
import { writeFileSync } from 'node:fs';
import type { Warnings } from '../errors.js';
import { readProcFile } from '../facts/sysctl.js';
import type { Action, Sysctl } from '../plan/types.js';

export interface LiveResult {
  readonly what: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly status: 'changed' | 'unchanged' | 'failed';
}

function setProc(what: string, path: string, value: string, warnings: Warnings): LiveResult {
  const from = readProcFile(path);
  if (from === value) return { what, from, to: value, status: 'unchanged' };
  try {
    writeFileSync(path, value);
    return { what, from, to: value, status: 'changed' };
  } catch (e) {
    warnings.add(what, `not set live: ${(e as Error).message.split('\n')[0]}`);
    return { what, from, to: value, status: 'failed' };
  }
}

export function applySysctls(sysctls: readonly Sysctl[], warnings: Warnings, procSys = '/proc/sys'): LiveResult[] {
  return sysctls.map((s) => setProc(s.key, `${procSys}/${s.proc}`, s.value, warnings));
}

export function applyActions(actions: readonly Action[], warnings: Warnings, procSys = '/proc/sys'): LiveResult[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'set-hostname':
        return setProc('hostname', `${procSys}/kernel/hostname`, a.hostname, warnings);
    }
  });
}

/** A live reload step; `manual`: not done because it would cut the running session, `to` is the command to run. */
export interface ReloadAction extends Omit<LiveResult, 'status'> {
  readonly status: LiveResult['status'] | 'manual';
}
