/**
 * Taking over from cloud-init under systemd-networkd. networkd reads the
 * .network files of all its directories sorted by name and applies the first
 * whose [Match] fits (systemd.network(5)), so cloud-init's
 * 10-cloud-init-IF.network sorts before our 10-v6agent-IF.network and would
 * win. cloud-init's files for our interfaces are backed up and removed (and
 * cloud-init told not to write them again); anyone else's are the admin's:
 * kept, and reported with what they do to ours.
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance, Interface } from '../agent/model/instance.js';
import type { PlannedFile, PlannedRemoval } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { disableCloudInitNetwork, writtenByCloudInit } from './cloudInit.js';
import { globMatch } from './glob.js';

const DIR = '/etc/systemd/network';

export function takeOverNetworkd(instance: Instance, target: Target, warnings: Warnings): { files: PlannedFile[]; removals: PlannedRemoval[]; notes: string[] } {
  const removals: PlannedRemoval[] = [];
  for (const [path, text] of target.networkdFiles) {
    const name = path.slice(DIR.length + 1);
    if (name.startsWith('10-v6agent-')) continue;
    const matched = name.endsWith('.netdev') ? netdevFor(text, instance) : instance.interfaces.filter((i) => matches(text, i));
    if (matched.length === 0) continue;
    const names = matched.map((i) => i.name).join(', ');
    if (/^10-cloud-init-/.test(name) || writtenByCloudInit(text)) {
      removals.push({ path, why: `cloud-init's networkd file for ${names} would be applied instead of v6agent's` });
    } else if (name.endsWith('.netdev')) {
      warnings.add(path, `also defines ${names}; networkd creates the device from the first file (remove it from this file)`);
    } else {
      const wins = matched.filter((i) => name < `10-v6agent-${i.name}.network`).map((i) => i.name);
      warnings.add(path, wins.length ? `matches ${wins.join(', ')} and sorts before v6agent's file, so networkd applies it instead (remove the match or rename it after 10-v6agent-*)` : `also matches ${names}; v6agent's file sorts first and wins, this one is unused for them`);
    }
  }
  const cloudInit = disableCloudInitNetwork(target, removals);
  return { files: cloudInit.files, removals, notes: cloudInit.notes };
}

/** The [Match] section's keys (last section wins per key, as networkd's parser). */
function matchSection(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (section === 'Match' && kv) out.set(kv[1]!, [...(out.get(kv[1]!) ?? []), ...kv[2]!.split(/\s+/).filter(Boolean)]);
  }
  return out;
}

/** Whether a .network file's [Match] applies to the interface: every key given must match (negations are not ours to judge: no). */
function matches(text: string, iface: Interface): boolean {
  const m = matchSection(text);
  if (m.size === 0) return false;
  const names = m.get('Name');
  if (names && !names.some((p) => !p.startsWith('!') && globMatch(p, iface.name))) return false;
  const macs = [...(m.get('MACAddress') ?? []), ...(m.get('PermanentMACAddress') ?? [])].map((x) => x.toLowerCase());
  if (macs.length && !(iface.mac && macs.includes(iface.mac.toLowerCase()))) return false;
  return names !== undefined || macs.length > 0;
}

function netdevFor(text: string, instance: Instance): Interface[] {
  const name = /^\s*Name\s*=\s*(\S+)/m.exec(text)?.[1];
  return instance.interfaces.filter((i) => i.kind.type !== 'physical' && i.name === name);
}
