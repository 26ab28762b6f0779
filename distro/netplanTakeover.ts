/**
 * The netplan YAML already in the image, against our interfaces: which device
 * ID each interface keeps, and what happens to the files that configure it.
 *
 * - An ID is reused when an existing definition of the same type matches the
 *   NIC exactly: by MAC, by `match: name`, by `set-name`, or an unmatched ID
 *   that is the interface name.
 * - cloud-init's file (50-cloud-init.yaml) is backed up and removed when every
 *   device in it is ours, and cloud-init is told not to write it again; when
 *   it also configures other NICs it stays, and our same-ID definitions
 *   override its keys.
 * - Anyone else's file is kept and reported: a same-ID definition merges with
 *   ours (ours wins, keys we do not set stay); a glob match under another ID
 *   generates its own backend file, which networkd would apply if its name
 *   sorted first: a NIC without a definition of its own is then written under
 *   an ID that sorts before it (0-v6agent-IF).
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance, Interface } from '../agent/model/instance.js';
import type { PlannedFile, PlannedRemoval } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { disableCloudInitNetwork, writtenByCloudInit } from './cloudInit.js';
import { globMatch } from './glob.js';
import { NETPLAN_PATH, type NetplanDevice } from './netplanFiles.js';

const TYPE_OF: Readonly<Record<Interface['kind']['type'], string>> = { physical: 'ethernets', vlan: 'vlans', bond: 'bonds' };

function exact(d: NetplanDevice, iface: Interface): boolean {
  if (d.type !== TYPE_OF[iface.kind.type]) return false;
  if (d.mac) return iface.mac !== undefined && d.mac === iface.mac.toLowerCase();
  if (d.matchName) return d.matchName === iface.name;
  return d.setName === iface.name || d.id === iface.name;
}

function globMatches(d: NetplanDevice, iface: Interface): boolean {
  if (d.type !== TYPE_OF[iface.kind.type] || d.mac || !d.matchName || !/[*?[]/.test(d.matchName)) return false;
  return globMatch(d.matchName, iface.name);
}

/**
 * cloud-init's files that only configure our interfaces: removed, so their IDs are
 * not reused (a second run, with the file gone, must write the same YAML).
 */
export function cloudInitFilesToRemove(instance: Instance, target: Target): string[] {
  const np = target.netplan;
  if (!np) return [];
  return np.paths.filter((path) => {
    const devices = np.devices.filter((d) => d.file === path);
    const cloudInit = path.endsWith('/50-cloud-init.yaml') || writtenByCloudInit(np.texts.get(path) ?? '');
    return cloudInit && devices.length > 0 && devices.every((d) => instance.interfaces.some((i) => exact(d, i)));
  });
}

/** Interface name → the netplan ID it is written under: that of a kept file's definition of the same NIC, else its name. */
export function deviceIds(instance: Instance, target: Target, removed: readonly string[], warnings: Warnings): Map<string, string> {
  const devices = (target.netplan?.devices ?? []).filter((d) => !removed.includes(d.file));
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const iface of instance.interfaces) {
    const found = devices.find((d) => exact(d, iface) && !taken.has(d.id));
    let id = found?.id ?? iface.name;
    // Our name is someone else's ID for another NIC: merging would mix the two.
    if (!found && devices.some((d) => d.id === id && d.type === TYPE_OF[iface.kind.type])) {
      id = `v6agent-${iface.name}`;
      warnings.add(NETPLAN_PATH, `the netplan ID ${iface.name} already names another device; ${iface.name} is written as ${id}`);
    }
    // A name glob under another ID (Debian's 90-default.yaml: all-en, match en*) becomes a backend file of
    // its own, 10-netplan-ID.network, and networkd applies the first matching file by name: sort before it.
    const globs = devices.filter((d) => globMatches(d, iface));
    const sortsFirst = (x: string): boolean => globs.every((d) => `${x}.network` < `${d.id}.network`);
    if (!found && !sortsFirst(id) && sortsFirst(`0-v6agent-${iface.name}`)) id = `0-v6agent-${iface.name}`;
    ids.set(iface.name, id);
    taken.add(id);
  }
  return ids;
}

export function takeOverNetplan(instance: Instance, target: Target, removed: readonly string[], ids: ReadonlyMap<string, string>, warnings: Warnings): { files: PlannedFile[]; removals: PlannedRemoval[]; notes: string[] } {
  const np = target.netplan;
  const removals: PlannedRemoval[] = [];
  if (!np) return { files: [], removals, notes: [] };
  for (const path of np.unreadable) warnings.add(path, 'is not valid YAML; netplan will refuse it and configure nothing (fix or remove it)');
  for (const path of np.paths) {
    const devices = np.devices.filter((d) => d.file === path);
    const ours = instance.interfaces.filter((i) => devices.some((d) => exact(d, i)));
    const globbed = instance.interfaces.filter((i) => devices.some((d) => globMatches(d, i) && d.id !== ids.get(i.name)));
    if (ours.length === 0 && globbed.length === 0) continue;
    const names = ours.map((i) => i.name).join(', ');
    if (removed.includes(path)) {
      removals.push({ path, why: `cloud-init's netplan config for ${names}; v6agent's ${NETPLAN_PATH} replaces it` });
      continue;
    }
    if (ours.length) {
      const after = path.split('/').pop()! > NETPLAN_PATH.split('/').pop()!;
      warnings.add(path, after ? `also configures ${names} and is read after ${NETPLAN_PATH}, so its keys override v6agent's (remove them from this file)` : `also configures ${names} under the same ID; v6agent's settings override it, keys v6agent does not set are kept`);
    }
    for (const iface of globbed) {
      const d = devices.find((x) => globMatches(x, iface))!;
      warnings.add(path, `ID ${d.id} matches ${iface.name} by name (${d.matchName}); netplan generates a separate file for it, and ${d.id < ids.get(iface.name)! ? 'it sorts before ours, so it is the one applied' : 'ours sorts first and is the one applied'} (narrow or remove that match)`);
    }
  }
  const cloudInit = disableCloudInitNetwork(target, removals);
  return { files: cloudInit.files, removals, notes: cloudInit.notes };
}
