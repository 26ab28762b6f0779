/**
 * NetworkManager keyfiles (nm-settings-keyfile(5), checked against NM 1.42):
 * /etc/NetworkManager/system-connections/v6agent-IF.nmconnection, one profile
 * per interface, root-owned 0600 — NM refuses any other mode ("File
 * permissions (644) are insecure", nms-keyfile-utils.c) and then brings the
 * port up with its own "Wired connection 1" and stable-privacy addresses.
 *
 * NM runs RAs and DHCPv6 in user space and sets the kernel's accept_ra,
 * addr_gen_mode and use_tempaddr itself (nm-device.c ip6_managed_setup), so
 * EUI-64 and "no privacy addresses" are written in each profile and, for NM's
 * own fallback profiles, as conf.d defaults. Dynamic modes all use
 * ipv6.method=auto: NM follows the RA's M/O flags (nm-lndp-ndisc.c), while
 * method=dhcp ignores RAs and leaves no default route.
 */
import { createHash } from 'node:crypto';
import type { Warnings } from '../agent/errors.js';
import type { Instance, Interface, Ipv4Config, Ipv6Config, Route } from '../agent/model/instance.js';
import { hasStaticAddress } from '../agent/model/modes.js';
import type { NetworkPlan, PlannedFile } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { NM_CONNECTIONS, nmTakeOver } from './networkmanager-takeover.js';
import { modeSummary } from './summary.js';
import { disableCloudInitNetwork } from './cloudInit.js';
import { render, type Context } from './template.js';
import template from '../templates/nm-keyfile.tmpl';
import defaultsTemplate from '../templates/nm-ipv6-defaults.conf.tmpl';

export const NM_DEFAULTS = '/etc/NetworkManager/conf.d/30-v6agent-ipv6.conf';
/** Above cloud-init's 120 and the default 0: NM autoconnects the highest priority first (nm-settings-connection.c). */
export const NM_PRIORITY = 130;
const ROOT = { uid: 0, gid: 0 };

/** conf.d defaults (EUI-64, no privacy) for profiles v6agent did not write; netplan's NM backend needs them too. */
export function nmDefaultsFile(): PlannedFile {
  return { path: NM_DEFAULTS, content: render(defaultsTemplate, {}), mode: 0o644 };
}

export function nmProfileId(iface: string): string {
  return `v6agent ${iface}`;
}

export function nmProfilePath(iface: string): string {
  return `${NM_CONNECTIONS}/v6agent-${iface}.nmconnection`;
}

export function renderNmKeyfile(instance: Instance, target: Target, warnings: Warnings): NetworkPlan {
  const uuids = new Map(instance.interfaces.map((i) => [i.name, profileUuid(i)]));
  const dns = placeDns(instance, warnings);
  const files: PlannedFile[] = instance.interfaces.map((iface) => ({
    path: nmProfilePath(iface.name),
    content: render(template, keyfile(iface, uuids, dns.get(iface.name), warnings)),
    mode: 0o600,
    owner: ROOT,
  }));
  files.push(nmDefaultsFile());
  const removals = nmTakeOver(instance, target, new Set(files.map((f) => f.path)), warnings);
  const off = disableCloudInitNetwork(target, removals);
  const notes = [...off.notes];
  // NM reads profile files when it starts, or when told to (nm-settings-keyfile(5)).
  const ups = instance.interfaces.filter((i) => !i.bondMaster).map((i) => `nmcli connection up '${nmProfileId(i.name)}'`);
  if (target.live && ups.length) notes.push(`NetworkManager reads the profiles at its next start; a live apply loads and reapplies them now (with --no-reload: nmcli connection reload && ${ups.join(' && ')})`);
  return { files: [...files, ...off.files], removals, notes };
}

// v6agent's own UUIDv5 namespace (RFC 4122 §4.3), a random UUID chosen once.
const NAMESPACE = Buffer.from('6bacef4380cb41349b528ab3f9719b17', 'hex');

/**
 * The same port gets the same profile UUID on every run and every image:
 * UUIDv5 of "mac:<mac>" (physical ports) or "name:<ifname>" (VLANs, bonds,
 * ports without a MAC). VLAN parents and bond ports refer to these UUIDs.
 */
export function profileUuid(iface: Interface): string {
  const name = iface.kind.type === 'physical' && iface.mac ? `mac:${iface.mac}` : `name:${iface.name}`;
  const b = createHash('sha1').update(NAMESPACE).update(name).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface DnsPart {
  readonly v4: string[];
  readonly v6: string[];
  readonly search4: string[];
  readonly search6: string[];
}

/**
 * NM accepts ipvN.dns only where that family is configured (not "disabled" or
 * "ignore"), and merges every active profile's DNS into resolv.conf: the
 * drive's servers go on the first interface with each family, the search list
 * beside the IPv6 servers when there are any. RA and DHCPv6 DNS are kept too
 * (no ignore-auto-dns): Neutron announces the same subnet's servers there, and
 * they follow changes the boot-time drive cannot.
 */
function placeDns(instance: Instance, warnings: Warnings): Map<string, DnsPart> {
  const out = new Map<string, DnsPart>();
  const part = (i: Interface): DnsPart => {
    if (!out.has(i.name)) out.set(i.name, { v4: [], v6: [], search4: [], search6: [] });
    return out.get(i.name)!;
  };
  const l3 = instance.interfaces.filter((i) => !i.bondMaster);
  const holder6 = l3.find((i) => i.ipv6);
  const holder4 = l3.find((i) => i.ipv4);
  const { nameservers, search } = instance.dns;
  const v6 = nameservers.filter((n) => n.includes(':'));
  const v4 = nameservers.filter((n) => !n.includes(':'));
  for (const [list, holder, family] of [[v6, holder6, 6], [v4, holder4, 4]] as const) {
    if (list.length === 0) continue;
    if (holder) part(holder)[family === 6 ? 'v6' : 'v4'].push(...list);
    else warnings.add('NetworkManager profiles', `IPv${family} nameservers ${list.join(', ')} dropped: no interface has IPv${family}`);
  }
  if (search.length === 0) return out;
  if (holder6 && (v6.length || !(v4.length && holder4))) part(holder6).search6.push(...search);
  else if (holder4) part(holder4).search4.push(...search);
  return out;
}

function keyfile(iface: Interface, uuids: ReadonlyMap<string, string>, dns: DnsPart | undefined, warnings: Warnings): Context {
  const k = iface.kind;
  // Physical ports match by MAC, not name: offline, names are only guesses.
  const mac = k.type === 'physical' ? iface.mac?.toUpperCase() : undefined;
  // A bond takes the drive's MAC (the port's, whose EUI-64 addresses Neutron lets
  // through), not the one NM or the kernel would pick (a port's, or a random one).
  const clonedMac = k.type === 'bond' ? iface.mac?.toUpperCase() : undefined;
  return {
    summary: modeSummary(iface),
    id: nmProfileId(iface.name),
    uuid: uuids.get(iface.name),
    type: k.type === 'physical' ? 'ethernet' : k.type,
    interface_name: mac ? undefined : iface.name,
    priority: iface.bondMaster ? undefined : NM_PRIORITY,
    master: iface.bondMaster ? uuids.get(iface.bondMaster) : undefined,
    slave_type: iface.bondMaster ? 'bond' : undefined,
    ethernet: mac || clonedMac || iface.mtu ? { mac, cloned_mac: clonedMac, mtu: iface.mtu } : undefined,
    vlan: k.type === 'vlan' ? { vlan_id: k.id, parent: uuids.get(k.raw) ?? k.raw } : undefined,
    bond: k.type === 'bond' ? { mode: k.mode, options: bondOptions(iface.name, k.options, warnings) } : undefined,
    // Bond ports carry no IP configuration of their own (NM rejects it there).
    families: iface.bondMaster ? [] : [ipv4(iface.ipv4, iface.ipv6 !== undefined, dns), ipv6(iface.ipv6, iface.ipv4 !== undefined, dns)],
  };
}

/** A dynamic family may fail when the other is configured, so a port whose IPv4 never answers still comes up on IPv6; alone, it must succeed. */
function mayFail(otherFamily: boolean): string {
  return otherFamily ? 'true' : 'false';
}

function numbered<T>(items: readonly T[], f: (item: T) => Context): Context[] {
  return items.map((item, i) => ({ n: i + 1, ...f(item) }));
}

function routes(list: readonly Route[]): Context[] {
  // onlink: in dynamic modes the gateway's prefix arrives with the RA, after NM adds the route.
  return numbered(list, (r) => ({ dest: `${r.network}/${r.prefix}`, via: r.gateway }));
}

function dnsList(list: readonly string[] | undefined): string | undefined {
  return list?.length ? `${list.join(';')};` : undefined;
}

function ipv4(v4: Ipv4Config | undefined, hasV6: boolean, dns: DnsPart | undefined): Context {
  if (!v4) return { section: 'ipv4', method: 'disabled' };
  const common = { section: 'ipv4', dns: dnsList(dns?.v4), dns_search: dnsList(dns?.search4) };
  if (v4.method === 'dhcp') return { ...common, method: 'auto', may_fail: mayFail(hasV6) };
  return { ...common, method: 'manual', addresses: numbered(v4.addresses, (a) => ({ cidr: `${a.address}/${a.prefix}` })), gateway: v4.gateway, routes: routes(v4.routes) };
}

function ipv6(v6: Ipv6Config | undefined, hasV4: boolean, dns: DnsPart | undefined): Context {
  // No IPv6 on the drive: leave the link to the kernel and its sysctls, as the other renderers do.
  if (!v6) return { section: 'ipv6', method: 'ignore' };
  const common = { section: 'ipv6', addr_gen_mode: 'eui64', ip6_privacy: 0, routes: routes(v6.routes), dns: dnsList(dns?.v6), dns_search: dnsList(dns?.search6) };
  if (!hasStaticAddress(v6.mode)) return { ...common, method: 'auto', may_fail: mayFail(hasV4) };
  return { ...common, method: 'manual', addresses: numbered(v6.addresses, (a) => ({ cidr: `${a.address}/${a.prefix}` })), gateway: v6.gateway };
}

const NUMBER = /^\d{1,9}$/;
const BOOL = /^[01]$/;
/** Bond options NM 1.42 knows (nm-setting-bond.c valid_options_lst) with the values it accepts. */
const BOND_OPTIONS: Readonly<Record<string, RegExp>> = {
  miimon: NUMBER,
  updelay: NUMBER,
  downdelay: NUMBER,
  arp_interval: NUMBER,
  resend_igmp: NUMBER,
  min_links: NUMBER,
  num_grat_arp: NUMBER,
  num_unsol_na: NUMBER,
  packets_per_slave: NUMBER,
  lp_interval: NUMBER,
  peer_notif_delay: NUMBER,
  ad_actor_sys_prio: NUMBER,
  ad_user_port_key: NUMBER,
  use_carrier: BOOL,
  all_slaves_active: BOOL,
  tlb_dynamic_lb: BOOL,
  xmit_hash_policy: /^(layer2|layer2\+3|layer3\+4|encap2\+3|encap3\+4|vlan\+srcmac)$/,
  lacp_rate: /^(slow|fast|0|1)$/,
  ad_select: /^(stable|bandwidth|count|0|1|2)$/,
  primary_reselect: /^(always|better|failure|0|1|2)$/,
  fail_over_mac: /^(none|active|follow|0|1|2)$/,
  arp_validate: /^(none|active|backup|all|filter|filter_active|filter_backup|[0-6])$/,
  arp_all_targets: /^(any|all|0|1)$/,
  primary: /^[A-Za-z0-9_.-]{1,15}$/,
};

/** NM rejects a profile with an unknown bond option or value, and the bond would stay down: drop those. */
function bondOptions(bond: string, options: Readonly<Record<string, string>>, warnings: Warnings): Context[] {
  const out: Context[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (BOND_OPTIONS[key]?.test(value)) out.push({ key, value });
    else warnings.add(`NetworkManager profile for ${bond}`, `bond option ${key}=${value} dropped: NetworkManager does not accept it`);
  }
  return out.sort((a, b) => (String(a.key) < String(b.key) ? -1 : 1));
}
