/** Sources → Instance: open the drive, parse its files, build the model. Read-only. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover, type DiscoverOptions } from './sources/compose.js';
import type { SourceDocuments } from './sources/documents.js';
import { readDriveDocuments } from './sources/driveSource.js';
import { type Warnings, usageError } from './errors.js';
import { buildInstance, type InterfaceNames } from './model/build.js';
import type { Instance } from './model/instance.js';
import { interfaceName, parseMac } from './model/names.js';
import { parseJsonObject } from './sources/files.js';
import { parseMetaData } from './sources/metaData.js';
import { parseNetworkData } from './sources/networkData.js';
import { EMPTY_CLOUD_CONFIG, parseUserData } from './sources/userData.js';

export async function loadInstance(configDrive: string | undefined, names: InterfaceNames, warnings: Warnings): Promise<Instance> {
  return instanceFromDocuments(await readDriveDocuments(configDrive), names, warnings);
}

/** Walk the sources (drive → IPv6 service → IPv4 service) and build the model from whichever answered. */
export async function discoverInstance(opts: DiscoverOptions, names: InterfaceNames, warnings: Warnings): Promise<Instance> {
  const { documents, discovery } = await discover(opts);
  return { ...(await instanceFromDocuments(documents, names, warnings)), discovery };
}

/** The same parsing whatever the source: a drive's files and the service's answers are the same documents. */
export async function instanceFromDocuments(docs: SourceDocuments, names: InterfaceNames, warnings: Warnings): Promise<Instance> {
  for (const d of docs.dropped ?? []) warnings.add(d.where, d.message);
  const meta = parseMetaData(parseJsonObject(docs.metaData.path, docs.metaData.text), docs.metaData.path, warnings);
  const nd = docs.networkData;
  const network = nd ? parseNetworkData(parseJsonObject(nd.path, nd.text), nd.path, warnings) : undefined;
  const cloudConfig = docs.userData ? await parseUserData(docs.userData.bytes, docs.userData.path, warnings) : EMPTY_CLOUD_CONFIG;
  return buildInstance({ meta, network, cloudConfig, source: docs.origin, networkFile: nd?.path ?? 'network_data.json' }, names, warnings);
}

/** `--iface MAC=NAME` values → map. */
export function parseIfaceMappings(values: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const mac = parseMac(v.slice(0, eq));
    const name = interfaceName(v.slice(eq + 1));
    if (eq < 0 || !mac || !name) throw usageError(`--iface ${v}: expected MAC=NAME, e.g. fa:16:3e:11:22:33=eth0`);
    // One NIC per name and one name per NIC: otherwise two links would be written as one interface.
    const known = map.get(mac);
    if (known !== undefined && known !== name) throw usageError(`--iface ${v}: ${mac} is already named ${known}`);
    const other = [...map].find(([m, n]) => n === name && m !== mac);
    if (other) throw usageError(`--iface ${v}: ${name} is already the name of ${other[0]}`);
    map.set(mac, name);
  }
  return map;
}

/**
 * MAC → name from /sys/class/net (unless rendering offline), overridden by
 * --iface; `fallback` names unmatched NICs eth0, eth1… instead of skipping them.
 */
export function interfaceNames(mappings: Map<string, string>, how: { sysfs: boolean; fallback: boolean }, sysClassNet = '/sys/class/net'): InterfaceNames {
  const live = new Map<string, string>();
  if (how.sysfs) {
    let entries: string[] = [];
    try {
      entries = readdirSync(sysClassNet);
    } catch {
      // no sysfs: only --iface mappings
    }
    // Bonds and VLANs share a member's MAC: NICs (those with a `device` link) are taken first.
    const isNic = (name: string): boolean => existsSync(join(sysClassNet, name, 'device'));
    for (const name of [...entries.filter(isNic), ...entries.filter((n) => !isNic(n))]) {
      try {
        const mac = parseMac(readFileSync(join(sysClassNet, name, 'address'), 'utf8'));
        if (mac && interfaceName(name) && !live.has(mac)) live.set(mac, name);
      } catch {
        // interface vanished or has no address
      }
    }
  }
  // A live name that --iface gives to another MAC is that MAC's: two links must never become one interface.
  const claimed = new Set(mappings.values());
  return { nameFor: (mac) => mappings.get(mac) ?? (claimed.has(live.get(mac) ?? '') ? undefined : live.get(mac)), fallback: how.fallback };
}
