/** Which distro a root is, from its os-release, and which renderer that means. */
import { usageError } from '../agent/errors.js';
import type { Stack } from '../agent/plan/types.js';

export const DISTROS = ['debian', 'ubuntu', 'rhel', 'centos', 'rocky', 'alma', 'fedora'] as const;
export type DistroName = (typeof DISTROS)[number];

/** The network configuration format a distro family reads. */
export type NetworkFormat = Extract<Stack, 'eni' | 'ifcfg'>;

export interface Distro {
  readonly name: DistroName;
  readonly format: NetworkFormat;
  /** The user cloud images of this distro create for the instance's key pair. */
  readonly defaultUser: string;
}

const TABLE: Readonly<Record<DistroName, Omit<Distro, 'name'>>> = {
  debian: { format: 'eni', defaultUser: 'debian' },
  ubuntu: { format: 'eni', defaultUser: 'ubuntu' },
  rhel: { format: 'ifcfg', defaultUser: 'cloud-user' },
  centos: { format: 'ifcfg', defaultUser: 'cloud-user' },
  rocky: { format: 'ifcfg', defaultUser: 'rocky' },
  alma: { format: 'ifcfg', defaultUser: 'almalinux' },
  fedora: { format: 'ifcfg', defaultUser: 'fedora' },
};

// os-release ID values → our names.
const OS_IDS: Readonly<Record<string, DistroName>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  rhel: 'rhel',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'alma',
  fedora: 'fedora',
};

export function distroByName(name: string): Distro {
  if (!(DISTROS as readonly string[]).includes(name)) {
    throw usageError(`--distro ${name}: unknown; use one of ${DISTROS.join(', ')}`);
  }
  return { name: name as DistroName, ...TABLE[name as DistroName] };
}

/** Parse os-release(5) text (shell-like KEY=value, optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))\s*$/.exec(line.trim());
    if (m) out[m[1]!] = (m[2]?.replace(/\\(.)/g, '$1') ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

/** The distro an os-release describes: ID first, then ID_LIKE in order. */
export function detectDistro(osRelease: string): Distro | undefined {
  const fields = parseOsRelease(osRelease);
  for (const id of [fields.ID ?? '', ...(fields.ID_LIKE ?? '').split(/\s+/)]) {
    const name = OS_IDS[id.toLowerCase()];
    if (name) return distroByName(name);
  }
  return undefined;
}
