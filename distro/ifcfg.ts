/**
 * RHEL-family ifcfg files (/etc/sysconfig/network-scripts), read by both
 * initscripts (which sources them with bash) and NetworkManager's ifcfg-rh
 * plugin. Where the two read a key differently we write what works on both:
 *
 * - IPV6INIT=yes always: NetworkManager treats a missing IPV6INIT as "ignore".
 * - DHCPv6 modes keep IPV6_AUTOCONF=yes. NetworkManager maps IPV6_AUTOCONF=no
 *   plus DHCPV6C=yes to method "dhcp", which ignores RAs and so leaves no IPv6
 *   default route; with IPV6_AUTOCONF=yes it uses method "auto" and runs DHCPv6
 *   as the RA's M/O flags say. initscripts (ifup-eth) starts `dhclient -6`
 *   because of DHCPV6C=yes, with DHCPV6C_OPTIONS=-S for information-only.
 * - IPV6_ADDR_GEN_MODE and IPV6_PRIVACY are NetworkManager keys; initscripts
 *   ignores them and the sysctl drop-in covers it.
 *
 * Sources: NetworkManager src/core/settings/plugins/ifcfg-rh/nms-ifcfg-rh-reader.c
 * (`if (ipv6_autoconf) method = AUTO; else if (dhcp6) method = DHCP;`) and
 * fedora-sysv/initscripts network-scripts/ifup-eth (after ifup-ipv6:
 * `if is_true "${DHCPV6C}"` → `dhclient -6 -1 ${DHCPV6C_OPTIONS} …`).
 */
import type { Instance, Interface } from '../agent/model/instance.js';
import { dhcpv6Client, hasStaticAddress } from '../agent/model/modes.js';
import type { NetworkPlan, PlannedFile } from '../agent/plan/types.js';
import { INFORMATION_ONLY_OPTION } from './dhcpv6Client.js';
import { modeSummary } from './summary.js';
import { render, type Context } from './template.js';
import template from '../templates/ifcfg.tmpl';
import routeTemplate from '../templates/route.tmpl';

export const IFCFG_DIR = '/etc/sysconfig/network-scripts';

export function renderIfcfg(instance: Instance): NetworkPlan {
  const files: PlannedFile[] = [];
  // DNS rides on the first interface that carries addresses; both readers treat it as global.
  const dnsHolder = instance.interfaces.find((i) => !i.bondMaster && (i.ipv4 || i.ipv6));
  for (const iface of instance.interfaces) {
    const ctx = ifcfgContext(iface, iface === dnsHolder ? instance : undefined);
    files.push({ path: `${IFCFG_DIR}/ifcfg-${iface.name}`, content: render(template, ctx), mode: 0o644 });
    const v4routes = iface.ipv4?.method === 'static' ? iface.ipv4.routes : [];
    if (v4routes.length) files.push(routeFile(`route-${iface.name}`, iface.name, v4routes));
    const v6routes = iface.ipv6?.routes ?? [];
    if (v6routes.length) files.push(routeFile(`route6-${iface.name}`, iface.name, v6routes));
  }
  // ifcfg files are per interface name, so ours replace any other tool's: nothing to remove.
  return { files, removals: [], notes: [] };
}

function routeFile(name: string, device: string, routes: readonly { network: string; prefix: number; gateway: string }[]): PlannedFile {
  return { path: `${IFCFG_DIR}/${name}`, content: render(routeTemplate, { routes: routes.map((r) => ({ ...r, device })) }), mode: 0o644 };
}

function ifcfgContext(iface: Interface, dnsFrom: Instance | undefined): Context {
  const k = iface.kind;
  const v4 = iface.ipv4;
  const v6 = iface.ipv6;
  const v4static = v4?.method === 'static' ? v4 : undefined;
  const v6static = v6 && hasStaticAddress(v6.mode) ? v6 : undefined;
  const dhcp6 = v6 ? dhcpv6Client(v6.mode) : 'none';
  const [first4, ...more4] = v4static?.addresses ?? [];
  const [first6, ...more6] = v6static?.addresses ?? [];
  return {
    summary: modeSummary(iface),
    device: iface.name,
    hwaddr: k.type === 'physical' ? iface.mac : undefined,
    // The bond's MAC is the drive's (the port's): initscripts' ifup-eth sets MACADDR before it brings up the members.
    macaddr: k.type === 'bond' ? iface.mac : undefined,
    type: k.type === 'bond' ? 'Bond' : k.type === 'vlan' ? undefined : 'Ethernet',
    bootproto: v4?.method === 'dhcp' ? 'dhcp' : 'none',
    master: iface.bondMaster,
    slave: iface.bondMaster ? 'yes' : undefined,
    bonding_master: k.type === 'bond' ? 'yes' : undefined,
    bonding_opts: k.type === 'bond' ? bondingOpts(k.mode, k.options) : undefined,
    vlan: k.type === 'vlan' ? 'yes' : undefined,
    physdev: k.type === 'vlan' ? k.raw : undefined,
    vlan_id: k.type === 'vlan' ? k.id : undefined,
    mtu: iface.mtu,
    ipaddr: first4?.address,
    prefix: first4?.prefix,
    ipv4_extra: more4.map((a, i) => ({ n: i + 1, address: a.address, prefix: a.prefix })),
    gateway: v4static?.gateway,
    ipv6init: iface.bondMaster ? undefined : v6 ? 'yes' : 'no',
    ipv6_autoconf: v6 ? (v6static ? 'no' : 'yes') : undefined,
    // With IPV6_AUTOCONF=no initscripts sets accept_ra=0; a static port still wants the RA's MTU and routes.
    ipv6_force_accept_ra: v6static ? 'yes' : undefined,
    dhcpv6c: dhcp6 === 'none' ? undefined : 'yes',
    dhcpv6c_options: dhcp6 === 'information-only' ? INFORMATION_ONLY_OPTION : undefined,
    ipv6addr: first6 ? `${first6.address}/${first6.prefix}` : undefined,
    ipv6addr_secondaries: more6.length ? more6.map((a) => `${a.address}/${a.prefix}`).join(' ') : undefined,
    ipv6_defaultgw: v6static?.gateway ? ipv6DefaultGw(v6static.gateway, iface.name) : undefined,
    ipv6_addr_gen_mode: v6 ? 'eui64' : undefined,
    ipv6_privacy: v6 ? 'no' : undefined,
    dns: (dnsFrom?.dns.nameservers ?? []).map((address, i) => ({ n: i + 1, address })),
    domain: dnsFrom?.dns.search.length ? dnsFrom.dns.search.join(' ') : undefined,
  };
}

/**
 * A link-local gateway (fe80::1, as OVHcloud's drives give it) means nothing
 * without its interface: initscripts wants `fe80::1%eth0` ("an interface can be
 * specified: required for link-local addresses"), and NetworkManager's ifcfg-rh
 * reader strips the `%eth0` ("remove %interface prefix if present").
 */
function ipv6DefaultGw(gateway: string, device: string): string {
  return /^fe[89ab][0-9a-f]:/i.test(gateway) ? `${gateway}%${device}` : gateway;
}

function bondingOpts(mode: string, options: Readonly<Record<string, string>>): string {
  const parts = [`mode=${mode}`];
  for (const [key, value] of Object.entries(options)) parts.push(`${key}=${value}`);
  return parts.join(' ');
}
