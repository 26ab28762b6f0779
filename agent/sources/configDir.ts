/**
 * Other tools' network files in a directory of the target (read only): the
 * renderers decide which of them configure our interfaces and must go.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInRoot } from '../apply/rootPath.js';
import { MiB, readText } from './files.js';

/**
 * path → text of the regular, readable files in `dir` whose names pass `keep`,
 * sorted by name. Symlinks are passed over: a file found here may be backed up
 * and removed, and a link could point at a file some user owns.
 */
export function readConfigDir(root: string, dir: string, keep: (name: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  const dirHost = resolveInRoot(root, dir);
  let names: string[];
  try {
    names = readdirSync(dirHost);
  } catch {
    return out;
  }
  for (const name of names.filter(keep).sort()) {
    const path = `${dir}/${name}`;
    try {
      const host = join(dirHost, name);
      if (!lstatSync(host).isFile()) continue;
      const text = readText(host, MiB);
      if (text !== undefined) out.set(path, text);
    } catch {
      // Not a regular file, unreadable or not UTF-8: not a profile NetworkManager would load either.
    }
  }
  return out;
}

export const NM_CONNECTIONS_DIR = '/etc/NetworkManager/system-connections';
/** The ifcfg directory (distro/ifcfg.ts writes there; sources do not import renderers). */
const NETWORK_SCRIPTS = '/etc/sysconfig/network-scripts';

/**
 * What NetworkManager may load as profiles: keyfiles, and the ifcfg files
 * (with their route files) its ifcfg-rh plugin reads on EL9.
 */
export function readNmProfiles(root: string): Map<string, string> {
  return new Map([
    ...readConfigDir(root, NM_CONNECTIONS_DIR, (n) => !n.startsWith('.')),
    ...readConfigDir(root, NETWORK_SCRIPTS, (n) => /^(ifcfg|route6?)-/.test(n) && n !== 'ifcfg-lo'),
  ]);
}
