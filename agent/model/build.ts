/**
 * Sources → the one Instance model. Decides guest interface names, groups a
 * link's networks into one IPv4 and one IPv6 configuration, gathers DNS, and
 * picks hostname and keys by precedence (user_data over meta_data).
 */
import { badInput, type Warnings } from '../errors.js';
import type { DriveLink, DriveNetwork, NetworkData } from '../sources/networkData.js';
import type { MetaData } from '../sources/metaData.js';
import type { CloudConfig } from '../sources/userData.js';
import { familyOf } from './addr.js';
import type { Dns, Instance, Interface, Ipv4Config, Ipv6Config, LinkKind, SshKey } from './instance.js';
import { dnsName, interfaceName } from './names.js';

/** How MACs become guest interface names: `/sys/class/net` live, `--iface` offline. */
export interface InterfaceNames {
  nameFor(mac: string): string | undefined;
  /** Unmatched NICs get eth0, eth1… in link order rather than being skipped (offline rendering). */
  readonly fallback: boolean;
}

export interface Sources {
  readonly meta: MetaData;
  readonly network: NetworkData | undefined;
  readonly cloudConfig: CloudConfig;
  readonly source: string;
  /** Where network_data came from, for warnings. */
  readonly networkFile: string;
}

/** glibc reads at most 3 nameservers (MAXNS) and, historically, 6 search domains. */
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_DOMAINS = 6;

export function buildInstance(src: Sources, names: InterfaceNames, warnings: Warnings): Instance {
  const interfaces = src.network ? buildInterfaces(src.network, names, src.networkFile, warnings) : [];
  const { hostname, fqdn } = chooseHostname(src.meta, src.cloudConfig, warnings);
  const sshKeys: SshKey[] = [...src.meta.publicKeys.map((key) => ({ user: undefined, key })), ...src.cloudConfig.sshKeys];
  return {
    uuid: src.meta.uuid,
    name: src.meta.name,
    hostname,
    fqdn,
    manageEtcHosts: src.cloudConfig.manageEtcHosts ?? true,
    sshKeys: dedupeKeys(sshKeys),
    interfaces,
    dns: src.network ? buildDns(src.network, interfaces, src.networkFile, warnings) : { nameservers: [], search: [] },
    source: src.source,
  };
}

function dedupeKeys(keys: SshKey[]): SshKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.user ?? ''}\n${k.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function chooseHostname(meta: MetaData, cc: CloudConfig, warnings: Warnings): { hostname: string | undefined; fqdn: string | undefined } {
  const pick = (value: string | undefined, where: string): string | undefined => {
    if (value === undefined) return undefined;
    const name = dnsName(value);
    if (!name) warnings.add(where, `dropped: ${JSON.stringify(value)} is not a valid host name`);
    return name;
  };
  const ccFqdn = pick(cc.fqdn, 'user_data: fqdn');
  const ccHost = pick(cc.hostname, 'user_data: hostname');
  const metaHost = pick(meta.hostname, 'meta_data.json: hostname');
  const full = ccFqdn ?? ccHost ?? metaHost;
  if (!full) return { hostname: undefined, fqdn: undefined };
  const hostname = (ccHost ?? full).split('.')[0];
  const fqdnCandidate = ccFqdn ?? (ccHost ? (ccHost.includes('.') ? ccHost : undefined) : metaHost);
  return { hostname, fqdn: fqdnCandidate?.includes('.') ? fqdnCandidate : undefined };
}

// --- interfaces ------------------------------------------------------------

function buildInterfaces(nd: NetworkData, names: InterfaceNames, file: string, warnings: Warnings): Interface[] {
  const nameOf = nameLinks(nd.links, names, file, warnings);
  const byId = new Map(nd.links.map((l) => [l.id, l]));
  const masterOf = new Map<string, string>();
  for (const l of nd.links) if (l.kind.type === 'bond') for (const m of l.kind.memberLinks) masterOf.set(m, l.id);

  // Links that need a stanza: those with networks, the raw links under VLANs, bonds' members.
  const wanted = new Set<string>();
  for (const n of nd.networks) wanted.add(n.link);
  const addWithParents = (id: string): void => {
    const l = byId.get(id)!;
    if (l.kind.type === 'vlan') {
      wanted.add(l.kind.rawLink);
      addWithParents(l.kind.rawLink);
    }
    if (l.kind.type === 'bond') for (const m of l.kind.memberLinks) wanted.add(m);
  };
  for (const id of [...wanted]) addWithParents(id);

  const out: Interface[] = [];
  for (const link of nd.links) {
    if (!wanted.has(link.id)) continue;
    const name = nameOf.get(link.id);
    if (!name) continue;
    const nets = nd.networks.filter((n) => n.link === link.id);
    const master = masterOf.get(link.id);
    if (master !== undefined && nets.length > 0) {
      warnings.add(`${file}: link ${link.id}`, `is a member of bond ${master}; its own networks are ignored`);
    }
    const kind = linkKind(link, nameOf);
    if (!kind) continue;
    out.push({
      name,
      mac: link.mac,
      kind,
      bondMaster: master !== undefined ? nameOf.get(master) : undefined,
      mtu: link.mtu,
      ipv4: master === undefined ? ipv4Config(nets, name, file, warnings) : undefined,
      ipv6: master === undefined ? ipv6Config(nets, name, file, warnings) : undefined,
    });
  }
  return out;
}

function linkKind(link: DriveLink, nameOf: Map<string, string>): LinkKind | undefined {
  switch (link.kind.type) {
    case 'physical':
      return { type: 'physical' };
    case 'vlan': {
      const raw = nameOf.get(link.kind.rawLink);
      return raw ? { type: 'vlan', raw, id: link.kind.vlanId } : undefined;
    }
    case 'bond': {
      const slaves = link.kind.memberLinks.map((m) => nameOf.get(m)).filter((n): n is string => n !== undefined);
      return slaves.length ? { type: 'bond', slaves, mode: link.kind.mode, options: link.kind.options } : undefined;
    }
  }
}

/** Link id → guest name. Physical by MAC; bonds keep a usable id; VLANs are RAW.ID. */
function nameLinks(links: readonly DriveLink[], names: InterfaceNames, file: string, warnings: Warnings): Map<string, string> {
  const result = new Map<string, string>();
  const used = new Set<string>();
  const take = (id: string, name: string): void => {
    result.set(id, name);
    used.add(name);
  };
  const physical = links.filter((l) => l.kind.type === 'physical');
  for (const l of physical) {
    const name = l.mac ? names.nameFor(l.mac) : undefined;
    if (name) take(l.id, name);
  }
  // Live, a drive none of whose NICs is here describes another machine (or the
  // MACs are wrong): rendering it would replace the working configuration with nothing.
  if (!names.fallback && physical.length > 0 && result.size === 0) {
    const macs = physical.map((l) => `${l.id} (${l.mac ?? 'no MAC'})`).join(', ');
    throw badInput(file, 'links', `no link matches a NIC of this machine: ${macs}; no network configuration written (map a NIC with --iface MAC=NAME)`);
  }
  let next = 0;
  for (const l of physical) {
    if (result.has(l.id)) continue;
    if (!names.fallback) {
      warnings.add(`${file}: link ${l.id}`, `no interface has MAC ${l.mac ?? '(none)'}; link skipped (map it with --iface MAC=NAME)`);
      continue;
    }
    while (used.has(`eth${next}`)) next++;
    take(l.id, `eth${next}`);
    warnings.add(`${file}: link ${l.id}`, `MAC ${l.mac ?? '(none)'} not mapped; named eth${next} (map it with --iface MAC=NAME)`);
  }
  let bonds = 0;
  for (const l of links) {
    if (l.kind.type !== 'bond') continue;
    let name = interfaceName(l.id);
    if (!name || used.has(name) || !name.startsWith('bond')) {
      while (used.has(`bond${bonds}`)) bonds++;
      name = `bond${bonds}`;
    }
    take(l.id, name);
  }
  // VLANs may stack on bonds or other VLANs: resolve until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const l of links) {
      if (l.kind.type !== 'vlan' || result.has(l.id)) continue;
      const raw = result.get(l.kind.rawLink);
      if (!raw) continue;
      const name = interfaceName(`${raw}.${l.kind.vlanId}`) ?? interfaceName(`vlan${l.kind.vlanId}`);
      if (!name || used.has(name)) {
        warnings.add(`${file}: link ${l.id}`, `VLAN ${l.kind.vlanId} on ${raw} has no usable interface name; skipped`);
        continue;
      }
      take(l.id, name);
      changed = true;
    }
  }
  return result;
}

function ipv4Config(nets: readonly DriveNetwork[], iface: string, file: string, warnings: Warnings): Ipv4Config | undefined {
  const v4 = nets.filter((n): n is Extract<DriveNetwork, { family: 4 }> => n.family === 4);
  if (v4.length === 0) return undefined;
  if (v4.some((n) => n.dhcp)) {
    if (v4.some((n) => !n.dhcp)) warnings.add(`${file}: ${iface}`, 'mixes DHCPv4 and static IPv4; static addresses ignored');
    return { method: 'dhcp' };
  }
  return {
    method: 'static',
    addresses: v4.map((n) => n.address!),
    gateway: v4.find((n) => n.gateway)?.gateway,
    routes: v4.flatMap((n) => n.routes),
  };
}

function ipv6Config(nets: readonly DriveNetwork[], iface: string, file: string, warnings: Warnings): Ipv6Config | undefined {
  const v6 = nets.filter((n): n is Extract<DriveNetwork, { family: 6 }> => n.family === 6);
  const first = v6[0];
  if (!first) return undefined;
  // Several static subnets combine into one address list; a second dynamic subnet cannot be expressed.
  const same = v6.filter((n) => n.mode === first.mode && (n === first || n.mode === 'static'));
  if (same.length < v6.length) warnings.add(`${file}: ${iface}`, `has several IPv6 subnets of different modes; only the first (${first.mode}) is configured`);
  return {
    mode: first.mode,
    addresses: same.map((n) => n.address).filter((a) => a !== undefined),
    gateway: same.find((n) => n.gateway)?.gateway,
    routes: same.flatMap((n) => n.routes),
  };
}

// --- DNS -------------------------------------------------------------------

function buildDns(nd: NetworkData, interfaces: readonly Interface[], file: string, warnings: Warnings): Dns {
  let servers = [...new Set([...nd.dns, ...nd.networks.flatMap((n) => n.dns)])];
  const ipv6Only = interfaces.length > 0 && interfaces.every((i) => i.ipv4 === undefined);
  if (ipv6Only) servers = [...servers.filter((s) => familyOf(s) === 6), ...servers.filter((s) => familyOf(s) === 4)];
  if (servers.length > MAX_NAMESERVERS) {
    warnings.add(file, `${servers.length} nameservers; glibc uses only ${MAX_NAMESERVERS}, dropped ${servers.slice(MAX_NAMESERVERS).join(', ')}`);
    servers = servers.slice(0, MAX_NAMESERVERS);
  }
  const search: string[] = [];
  for (const raw of nd.networks.flatMap((n) => n.search)) {
    const d = dnsName(raw);
    if (!d) warnings.add(`${file}: dns_search`, `dropped: ${JSON.stringify(raw)} is not a valid domain`);
    else if (!search.includes(d)) search.push(d);
  }
  if (search.length > MAX_SEARCH_DOMAINS) warnings.add(`${file}: dns_search`, `only the first ${MAX_SEARCH_DOMAINS} search domains are kept`);
  return { nameservers: servers, search: search.slice(0, MAX_SEARCH_DOMAINS) };
}
