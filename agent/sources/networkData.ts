/**
 * openstack/<version>/network_data.json → typed links and networks.
 *
 * Validated leniently (nova's published schema lags its code: it lacks the
 * dhcpv6 types) but safely: every address goes through ip-address, a bad mask,
 * prefix or link reference is an error naming the field, and unknown network
 * types are skipped with a warning. Guest interface names are not known here.
 */
// Keys of nova's (doc/api_schemas/network_data.json, nova/virt/netutils.py) and
// Ironic's (ironic/api/controllers/v1/network-data-schema.json) schemas that are
// read on purpose: links[].id/type/ethernet_mac_address/mtu, bond_links/bond_mode/
// bond_*, vlan_link/vlan_id/vlan_mac_address; networks[].link/type/ip_address/
// netmask/routes/services, routes[].network/netmask/gateway/services, services[].
// Also read: networks[].gateway (OVHcloud), networks[].mtu, dns_nameservers and
// dns_search (cloud-init's extensions). Ignored on purpose: links[].vif_id and
// networks[].network_id/id are Neutron's port and network ids and a label —
// the guest finds its NIC by MAC and needs neither.
import { type Cidr, type Family, gatewayProblem, hostAddressProblem, parseAddress, parseNetmask, networkOf } from '../model/addr.js';
import { parseMac } from '../model/names.js';
import { BOND_MODES, bondModeOf, type BondMode, type Route } from '../model/instance.js';
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

// Link types nova passes through from the VIF (nova/network/model.py
// LEGACY_EXPOSED_VIF_TYPES: bridge, dvs, hw_veb, hyperv, ovs, tap, vhostuser,
// vif), `phy` for the rest, and types other clouds write (cloud-init's list).
// Each names how the host plugs the port, not what the guest sees: inside the
// guest every one is a NIC found by its MAC (hw_veb is an SR-IOV VF, vhostuser
// a virtio NIC). A bridge *inside* the guest is not something nova describes.
const PHYSICAL_TYPES = new Set(['phy', 'ethernet', 'bridge', 'dvs', 'hw_veb', 'hyperv', 'ovs', 'tap', 'vhostuser', 'vif', 'bgpovs', 'cascading']);

const SAFE_WORD = /^[A-Za-z0-9_.+-]{1,64}$/;

export function parseNetworkData(json: Obj, file: string, warnings: Warnings): NetworkData {
  const f = new FieldReader(file);
  const linksRaw = f.array(json.links, 'links');
  const links: DriveLink[] = linksRaw.map((raw, i) => parseLink(f, f.object(raw, `links[${i}]`), `links[${i}]`, warnings));

  const ids = checkLinkGraph(f, links);

  const networks: DriveNetwork[] = [];
  // Not in nova's or Ironic's schema (nova puts the network's MTU on the link),
  // but written by hand and by other tools: a network's `mtu` is its link's when the link has none.
  const mtuFrom = new Map<string, { mtu: number; field: string }>();
  for (const [i, raw] of f.array(json.networks, 'networks').entries()) {
    const o = f.object(raw, `networks[${i}]`);
    const net = parseNetwork(f, o, `networks[${i}]`, ids, warnings);
    if (!net) continue;
    networks.push(net);
    if (o.mtu === undefined || o.mtu === null) continue;
    const mtu = f.integer(o.mtu, `networks[${i}].mtu`, 68, 65535);
    const first = mtuFrom.get(net.link);
    if (first && first.mtu !== mtu) warnings.add(`${f.file}: networks[${i}].mtu`, `${mtu} differs from ${first.field} (${first.mtu}) on the same link; using ${first.mtu}`);
    else if (!first) mtuFrom.set(net.link, { mtu, field: `networks[${i}].mtu` });
  }
  const withMtus = links.map((l) => (l.mtu === undefined && mtuFrom.has(l.id) ? { ...l, mtu: mtuFrom.get(l.id)!.mtu } : l));
  checkLinkMtus(f, withMtus, networks, (i) => (links[i]!.mtu === undefined ? mtuFrom.get(links[i]!.id)!.field : `links[${i}].mtu`));
  return { links: withMtus, networks, dns: parseServices(f, json.services, 'services') };
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
    const mode = bondModeOf(modeRaw);
    if (!mode) throw f.error(`${at}.bond_mode`, `must be one of ${BOND_MODES.join(', ')} or a number from 0 to 6, not ${JSON.stringify(modeRaw)}`);
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
    return { id, kind: { type: 'bond', memberLinks: members, mode, options }, mac: optionalMac(f, o.ethernet_mac_address, `${at}.ethernet_mac_address`), mtu };
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
  const parsed = parseRoutes(f, o.routes, `${at}.routes`, family, warnings);
  const gateway = networkGateway(f, o.gateway, parsed.gateway, at, family, warnings);
  const routes = parsed.routes;
  // DNS wherever nova's and Ironic's schemas allow it: the network, each of its routes;
  // cloud-init's dns_nameservers too. buildDns de-duplicates in this order.
  const dns = [...parseServices(f, o.services, `${at}.services`), ...parsed.dns, ...parseNameserverList(f, o.dns_nameservers, `${at}.dns_nameservers`)];
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
  const problem = hostAddressProblem(cidr.address, family) ?? subnetEdgeProblem(cidr, family);
  if (problem) throw f.error(field, `${cidr.address} ${problem}; a static address must be ${family === 6 ? 'global or unique-local unicast' : 'unicast'}`);
}

/** An IPv4 subnet's own network or broadcast address is no host's (except in a /31 or /32, RFC 3021). */
function subnetEdgeProblem(cidr: Cidr, family: Family): string | undefined {
  if (family !== 4 || cidr.prefix >= 31) return undefined;
  const host = cidr.address.split('.').reduce((n, o) => n * 256 + Number(o), 0) % 2 ** (32 - cidr.prefix);
  if (host === 0) return `is the network address of its /${cidr.prefix}`;
  if (host === 2 ** (32 - cidr.prefix) - 1) return `is the broadcast address of its /${cidr.prefix}`;
  return undefined;
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

/**
 * A network-level `gateway` (not in nova's schema; OVHcloud's bare-metal drives
 * write it instead of a ::/0 route) is the default route when the routes give
 * none; when both are given and differ, the route wins.
 */
function networkGateway(f: FieldReader, value: unknown, fromRoutes: string | undefined, at: string, family: Family, warnings: Warnings): string | undefined {
  if (value === undefined || value === null || value === '') return fromRoutes;
  const gw = parseAddress(value, family);
  if (!gw) throw f.error(`${at}.gateway`, `${JSON.stringify(value)} is not an IPv${family} address`);
  if (unusableGateway(f, gw, `${at}.gateway`, family, warnings)) return fromRoutes;
  if (fromRoutes !== undefined && fromRoutes !== gw) {
    warnings.add(`${f.file}: ${at}.gateway`, `${gw} differs from the default route's gateway ${fromRoutes} in ${at}.routes; using the route's`);
  }
  return fromRoutes ?? gw;
}

/** A next hop `ip route` would refuse: the route is dropped with a warning rather than fail the interface. */
function unusableGateway(f: FieldReader, gw: string, field: string, family: Family, warnings: Warnings): boolean {
  const problem = gatewayProblem(gw, family);
  if (problem) warnings.add(`${f.file}: ${field}`, `${gw} ${problem}, not a next hop; route dropped`);
  return problem !== undefined;
}

function parseRoutes(f: FieldReader, value: unknown, at: string, family: Family, warnings: Warnings): { gateway: string | undefined; routes: Route[]; dns: string[] } {
  let gateway: string | undefined;
  const routes: Route[] = [];
  const dns: string[] = [];
  for (const [i, raw] of f.array(value, at).entries()) {
    const o = f.object(raw, `${at}[${i}]`);
    dns.push(...parseServices(f, o.services, `${at}[${i}].services`));
    const network = parseAddress(o.network, family);
    if (!network) throw f.error(`${at}[${i}].network`, `${JSON.stringify(o.network)} is not an IPv${family} network`);
    const prefix = parseNetmask(o.netmask ?? (family === 6 ? 128 : 32), family);
    if (typeof prefix === 'string') throw f.error(`${at}[${i}].netmask`, prefix);
    const gw = parseAddress(o.gateway, family);
    if (!gw) throw f.error(`${at}[${i}].gateway`, `${JSON.stringify(o.gateway)} is not an IPv${family} address`);
    if (unusableGateway(f, gw, `${at}[${i}].gateway`, family, warnings)) continue;
    if (prefix === 0) {
      if (gateway !== undefined && gateway !== gw) warnings.add(`${f.file}: ${at}[${i}]`, `second default route via ${gw} ignored; using ${gateway}`);
      gateway ??= gw;
      continue;
    }
    routes.push({ network: networkOf(network, prefix, family), prefix, gateway: gw });
  }
  return { gateway, routes, dns };
}

function parseServices(f: FieldReader, value: unknown, at: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of f.array(value, at).entries()) {
    const o = f.object(raw, `${at}[${i}]`);
    if (o.type !== 'dns') continue; // the schemas define no other service type; an unknown one is not ours to use
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
