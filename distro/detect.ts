/**
 * Which distro a root is, from its os-release: it names the cloud user that
 * gets the keys. The network stack is detected on its own (distro/stack.ts).
 */
import { usageError } from '../agent/errors.js';

export const DISTROS = ['debian', 'ubuntu', 'rhel', 'centos', 'rocky', 'alma', 'fedora'] as const;
export type DistroName = (typeof DISTROS)[number];

export interface Distro {
  readonly name: DistroName;
  /** The user cloud images of this distro create for the instance's key pair. */
  readonly defaultUser: string;
}

const TABLE: Readonly<Record<DistroName, Omit<Distro, 'name'>>> = {
  debian: { defaultUser: 'debian' },
  ubuntu: { defaultUser: 'ubuntu' },
  rhel: { defaultUser: 'cloud-user' },
  centos: { defaultUser: 'cloud-user' },
  rocky: { defaultUser: 'rocky' },
  alma: { defaultUser: 'almalinux' },
  fedora: { defaultUser: 'fedora' },
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

/**
 * Without an os-release that names a distro (`--stack` given on a bare tree),
 * the distro decides only the cloud user: take the first distro whose cloud
 * user the image has, else Debian (whose `debian` user it then lacks, so keys
 * go to root, as for any distro without its cloud user).
 */
export const DEFAULT_DISTRO: DistroName = 'debian';

export function distroByCloudUser(users: readonly string[]): Distro {
  const name = DISTROS.find((d) => users.includes(TABLE[d].defaultUser)) ?? DEFAULT_DISTRO;
  return distroByName(name);
}
