/**
 * openstack/<version>/network_data.json → typed links and networks.
 *
 * Validated leniently (nova's published schema lags its code: it lacks the
 * dhcpv6 types) but safely: every address goes through ip-address, a bad mask,
 * prefix or link reference is an error naming the field, and unknown network
 * types are skipped with a warning. Guest interface names are not known here.
 */
import { type Cidr, type Family, hostAddressProblem, parseAddress, parseNetmask, networkOf } from '../model/addr.js';
import { parseMac } from '../model/names.js';
import { BOND_MODES, type BondMode, type Route } from '../model/instance.js';
import { NOVA_IPV6_TYPES, type Ipv6Mode } from '../model/modes.js';
import type { Warnings } from '../errors.js';
import { FieldReader, type Obj } from './fields.js';
import { checkLinkGraph, checkLinkMtus } from './linkGraph.js';

export type DriveLinkKind =
  | { readonly type: 'physical' }
  | { readonly type: 'vlan'; readonly rawLink: string; readonly vlanId: number }
  | { readonly type: 'bond'; readonly memberLinks: readonly string[]; readonly mode: BondMode; readonly options: Readonly<Record<string, string>> };

export interface DriveLink {
  readonly id: string;
  readonly kind: DriveLinkKind;
  readonly mac: string | undefined;
  readonly mtu: number | undefined;
}

export type DriveNetwork =
  | { readonly family: 4; readonly link: string; readonly dhcp: boolean; readonly address: Cidr | undefined; readonly gateway: string | undefined; readonly routes: readonly Route[]; readonly dns: readonly string[]; readonly search: readonly string[] }
  | { readonly family: 6; readonly link: string; readonly mode: Ipv6Mode; readonly address: Cidr | undefined; readonly gateway: string | undefined; readonly routes: readonly Route[]; readonly dns: readonly string[]; readonly search: readonly string[] };

export interface NetworkData {
  readonly links: readonly DriveLink[];
  readonly networks: readonly DriveNetwork[];
  /** Top-level `services` of type dns. */
  readonly dns: readonly string[];
}

// Link types nova passes through from the VIF (LEGACY_EXPOSED_VIF_TYPES), `phy`
// for the rest, and types other clouds are known to write.
const PHYSICAL_TYPES = new Set(['phy', 'ethernet', 'bridge', 'dvs', 'hw_veb', 'hyperv', 'ovs', 'tap', 'vhostuser', 'vif', 'bgpovs', 'cascading']);

const SAFE_WORD = /^[A-Za-z0-9_.+-]{1,64}$/;

export function parseNetworkData(json: Obj, file: string, warnings: Warnings): NetworkData {
  const f = new FieldReader(file);
  const linksRaw = f.array(json.links, 'links');
  const links: DriveLink[] = linksRaw.map((raw, i) => parseLink(f, f.object(raw, `links[${i}]`), `links[${i}]`, warnings));

  const ids = checkLinkGraph(f, links);

  const networks: DriveNetwork[] = [];
  for (const [i, raw] of f.array(json.networks, 'networks').entries()) {
    const net = parseNetwork(f, f.object(raw, `networks[${i}]`), `networks[${i}]`, ids, warnings);
    if (net) networks.push(net);
  }
  checkLinkMtus(f, links, networks);
  return { links, networks, dns: parseServices(f, json.services, 'services') };
}

function parseLink(f: FieldReader, o: Obj, at: string, warnings: Warnings): DriveLink {
  const id = f.string(o.id, `${at}.id`);
  const type = typeof o.type === 'string' ? o.type : 'phy';
  const mtu = o.mtu === undefined || o.mtu === null ? undefined : f.integer(o.mtu, `${at}.mtu`, 68, 65535);
  if (type === 'vlan') {
    const macRaw = o.vlan_mac_address ?? o.ethernet_mac_address;
    return {
      id,
      kind: { type: 'vlan', rawLink: f.string(o.vlan_link, `${at}.vlan_link`), vlanId: f.integer(o.vlan_id, `${at}.vlan_id`, 1, 4094) },
      mac: optionalMac(f, macRaw, `${at}.vlan_mac_address`),
      mtu,
    };
  }
  if (type === 'bond') {
    const members = f.array(o.bond_links, `${at}.bond_links`).map((m, j) => f.string(m, `${at}.bond_links[${j}]`));
    if (members.length === 0) throw f.error(`${at}.bond_links`, 'a bond needs at least one member link');
    const modeRaw = o.bond_mode ?? 'active-backup';
    if (!(BOND_MODES as readonly unknown[]).includes(modeRaw)) {
      throw f.error(`${at}.bond_mode`, `must be one of ${BOND_MODES.join(', ')}, not ${JSON.stringify(modeRaw)}`);
    }
    const options: Record<string, string> = {};
    for (const [key, value] of Object.entries(o)) {
      if (!key.startsWith('bond_') || key === 'bond_links' || key === 'bond_mode') continue;
      const v = typeof value === 'number' ? String(value) : value;
      if (typeof v !== 'string' || !SAFE_WORD.test(v) || !/^bond_[a-z_]{1,40}$/.test(key)) {
        warnings.add(`${f.file}: ${at}.${key}`, 'dropped: not a simple bonding option value');
        continue;
      }
      options[key.slice('bond_'.length)] = v;
    }
    return { id, kind: { type: 'bond', memberLinks: members, mode: modeRaw as BondMode, options }, mac: optionalMac(f, o.ethernet_mac_address, `${at}.ethernet_mac_address`), mtu };
  }
  if (!PHYSICAL_TYPES.has(type)) warnings.add(`${f.file}: ${at}.type`, `unknown link type ${JSON.stringify(type)}, treated as a physical NIC`);
  return { id, kind: { type: 'physical' }, mac: optionalMac(f, o.ethernet_mac_address, `${at}.ethernet_mac_address`), mtu };
}

function optionalMac(f: FieldReader, value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const mac = parseMac(value);
  if (!mac) throw f.error(field, `${JSON.stringify(value)} is not a MAC address`);
  return mac;
}

// Maps, not object literals: a type of "toString" or "__proto__" must not find an object member.
const IPV4_TYPES: ReadonlyMap<string, boolean> = new Map([
  ['ipv4', false],
  ['ipv4_dhcp', true],
]);
const IPV6_TYPES: ReadonlyMap<string, Ipv6Mode> = new Map(Object.entries(NOVA_IPV6_TYPES));

function parseNetwork(f: FieldReader, o: Obj, at: string, linkIds: Set<string>, warnings: Warnings): DriveNetwork | undefined {
  const type = f.string(o.type, `${at}.type`);
  const link = f.string(o.link, `${at}.link`);
  if (!linkIds.has(link)) throw f.error(`${at}.link`, `unknown link ${JSON.stringify(link)}`);
  const family: Family | undefined = IPV4_TYPES.has(type) ? 4 : IPV6_TYPES.has(type) ? 6 : undefined;
  if (family === undefined) {
    warnings.add(`${f.file}: ${at}.type`, `unknown network type ${JSON.stringify(type)}, network skipped`);
    return undefined;
  }
  const address = parseCidr(f, o, at, family);
  const { gateway, routes } = parseRoutes(f, o.routes, `${at}.routes`, family, warnings);
  const dns = [...parseServices(f, o.services, `${at}.services`), ...parseNameserverList(f, o.dns_nameservers, `${at}.dns_nameservers`)];
  const search = f.array(o.dns_search, `${at}.dns_search`).map((d, j) => f.string(d, `${at}.dns_search[${j}]`));
  if (family === 4) {
    const dhcp = IPV4_TYPES.get(type) === true;
    if (!dhcp && !address) throw f.error(`${at}.ip_address`, 'a static ipv4 network needs an address');
    if (!dhcp) checkHostAddress(f, address!, `${at}.ip_address`, 4);
    return { family, link, dhcp, address, gateway, routes, dns, search };
  }
  const mode = IPV6_TYPES.get(type)!;
  if (mode === 'static' && !address) throw f.error(`${at}.ip_address`, 'a static ipv6 network needs an address');
  if (mode === 'static') checkHostAddress(f, address!, `${at}.ip_address`, 6);
  return { family, link, mode, address, gateway, routes, dns, search };
}

function checkHostAddress(f: FieldReader, cidr: Cidr, field: string, family: Family): void {
  const problem = hostAddressProblem(cidr.address, family);
  if (problem) throw f.error(field, `${cidr.address} ${problem}; a static address must be ${family === 6 ? 'global or unique-local unicast' : 'unicast'}`);
}

/** `ip_address` with `netmask`, or an `addr/len` form. */
function parseCidr(f: FieldReader, o: Obj, at: string, family: Family): Cidr | undefined {
  if (o.ip_address === undefined || o.ip_address === null) return undefined;
  const text = f.string(o.ip_address, `${at}.ip_address`);
  const [addrText, lenText, ...rest] = text.split('/');
  const address = parseAddress(addrText, family);
  if (!address || rest.length > 0) throw f.error(`${at}.ip_address`, `${JSON.stringify(text)} is not an IPv${family} address`);
  const maskSource = o.netmask ?? lenText ?? (family === 6 ? 64 : undefined);
  if (maskSource === undefined) throw f.error(`${at}.netmask`, 'missing for a static IPv4 address');
  const prefix = parseNetmask(maskSource, family);
  if (typeof prefix === 'string') throw f.error(`${at}.netmask`, prefix);
  return { address, prefix };
}

function parseRoutes(f: FieldReader, value: unknown, at: string, family: Family, warnings: Warnings): { gateway: string | undefined; routes: Route[] } {
  let gateway: string | undefined;
  const routes: Route[] = [];
  for (const [i, raw] of f.array(value, at).entries()) {
    const o = f.object(raw, `${at}[${i}]`);
    const network = parseAddress(o.network, family);
    if (!network) throw f.error(`${at}[${i}].network`, `${JSON.stringify(o.network)} is not an IPv${family} network`);
    const prefix = parseNetmask(o.netmask ?? (family === 6 ? 128 : 32), family);
    if (typeof prefix === 'string') throw f.error(`${at}[${i}].netmask`, prefix);
    const gw = parseAddress(o.gateway, family);
    if (!gw) throw f.error(`${at}[${i}].gateway`, `${JSON.stringify(o.gateway)} is not an IPv${family} address`);
    if (prefix === 0) {
      if (gateway !== undefined && gateway !== gw) warnings.add(`${f.file}: ${at}[${i}]`, `second default route via ${gw} ignored; using ${gateway}`);
      gateway ??= gw;
      continue;
    }
    routes.push({ network: networkOf(network, prefix, family), prefix, gateway: gw });
  }
  return { gateway, routes };
}

function parseServices(f: FieldReader, value: unknown, at: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of f.array(value, at).entries()) {
    const o = f.object(raw, `${at}[${i}]`);
    if (o.type !== 'dns') continue;
    out.push(nameserver(f, o.address, `${at}[${i}].address`));
  }
  return out;
}

function parseNameserverList(f: FieldReader, value: unknown, at: string): string[] {
  return f.array(value, at).map((v, i) => nameserver(f, v, `${at}[${i}]`));
}

function nameserver(f: FieldReader, value: unknown, field: string): string {
  const a = parseAddress(value, 4) ?? parseAddress(value, 6);
  if (!a) throw f.error(field, `${JSON.stringify(value)} is not an IP address`);
  return a;
}
