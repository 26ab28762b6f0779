/**
 * Taking over NetworkManager profiles for the interfaces v6agent configures.
 *
 * NM loads every keyfile in system-connections and, with the ifcfg-rh plugin
 * (EL9: plugins=keyfile,ifcfg-rh), every ifcfg-IF too, each as a profile of its
 * own. Of several profiles for one port, autoconnect takes the highest
 * autoconnect-priority, then the most recently activated
 * (nm_settings_connection_cmp_autoconnect_priority): cloud-init's, already
 * used on the first boot, would beat a new profile of equal priority. So
 * cloud-init's keyfile (cloud-init-IF.nmconnection) and ifcfg-IF with its
 * route files, and v6agent's own earlier ones, are backed up and removed;
 * an admin's profile for the same port is kept and reported. (The order of
 * plugins= only decides between files with the same UUID —
 * nm-settings-storage.c nm_settings_storage_cmp — and ours is our own.)
 */
import { basename } from 'node:path';
import type { Warnings } from '../agent/errors.js';
import type { Instance } from '../agent/model/instance.js';
import type { PlannedRemoval } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { IFCFG_DIR } from './ifcfg.js';
import { writtenByCloudInit } from './cloudInit.js';

export const NM_CONNECTIONS = '/etc/NetworkManager/system-connections';

/** What a profile file says about the port it applies to. */
interface Binding {
  readonly names: readonly string[];
  readonly macs: readonly string[];
  /** Applies to every port of its type (no name or MAC to match). */
  readonly anyPort: boolean;
}

export function nmTakeOver(instance: Instance, target: Target, ours: ReadonlySet<string>, warnings: Warnings): PlannedRemoval[] {
  const matching = (b: Binding): string[] =>
    instance.interfaces
      .filter((i) => b.names.includes(i.name) || (i.mac !== undefined && i.kind.type === 'physical' && b.macs.includes(i.mac)) || (b.anyPort && i.kind.type === 'physical'))
      .map((i) => i.name);
  const removals: PlannedRemoval[] = [];
  for (const [path, text] of target.nmProfiles) {
    if (ours.has(path)) continue;
    const name = basename(path);
    const keyfile = path.startsWith(`${NM_CONNECTIONS}/`);
    if (keyfile && /^v6agent-.+\.nmconnection$/.test(name)) {
      // Live, a NIC still here that the drive no longer describes (its link's MAC matches no NIC) keeps
      // its working profile: removing it would leave the NIC unconfigured at the next boot.
      const iface = name.slice('v6agent-'.length, -'.nmconnection'.length);
      if (target.liveInterfaces?.has(iface) && matching(keyfileBinding(text)).length === 0) {
        warnings.add(path, `kept: the drive does not describe ${iface}, and the NIC is still here`);
        continue;
      }
      removals.push({ path, why: "v6agent's profile for an interface that is no longer on the config drive" });
      continue;
    }
    if (!keyfile && !name.startsWith('ifcfg-')) continue; // route files go with their ifcfg file
    const clash = matching(keyfile ? keyfileBinding(text) : ifcfgBinding(name, text));
    if (clash.length === 0) continue;
    const owner = /^# Written by v6agent/m.test(text) ? "v6agent's ifcfg file from an earlier run" : writtenByCloudInit(text, path) || /origin=cloud-init/.test(text) ? "cloud-init's profile" : undefined;
    if (owner === undefined) {
      warnings.add(path, `also configures ${clash.join(', ')}: NetworkManager keeps both profiles and autoconnects the one with the higher autoconnect-priority (v6agent's is 130); delete this one or set autoconnect=false in it`);
      continue;
    }
    const why = `${owner} for ${clash.join(', ')} would compete with v6agent's`;
    removals.push({ path, why });
    if (keyfile) continue;
    const device = name.slice('ifcfg-'.length);
    for (const route of [`route-${device}`, `route6-${device}`]) {
      if (target.nmProfiles.has(`${IFCFG_DIR}/${route}`)) removals.push({ path: `${IFCFG_DIR}/${route}`, why });
    }
  }
  return removals;
}

/** `[section] key=value` of a keyfile (GKeyFile syntax, comments skipped). */
function keyfileValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1]!;
    else if (line.includes('=')) out.set(`${section}.${line.slice(0, line.indexOf('=')).trim()}`, line.slice(line.indexOf('=') + 1).trim());
  }
  return out;
}

function keyfileBinding(text: string): Binding {
  const v = keyfileValues(text);
  const name = v.get('connection.interface-name');
  const mac = (v.get('ethernet.mac-address') ?? v.get('802-3-ethernet.mac-address'))?.replace(/;$/, '').toLowerCase();
  const type = v.get('connection.type');
  const ethernet = type === 'ethernet' || type === '802-3-ethernet';
  return { names: name ? [name] : [], macs: mac ? [mac] : [], anyPort: ethernet && !name && !mac && !v.has('connection.master') && !v.has('match.interface-name') };
}

function ifcfgBinding(file: string, text: string): Binding {
  const value = (key: string): string | undefined => new RegExp(`^\\s*${key}=["']?([^"'\\s]*)`, 'm').exec(text)?.[1] || undefined;
  const names = [file.slice('ifcfg-'.length), value('DEVICE')].filter((n): n is string => n !== undefined);
  const mac = value('HWADDR')?.toLowerCase();
  return { names, macs: mac ? [mac] : [], anyPort: false };
}
