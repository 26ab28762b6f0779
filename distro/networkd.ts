/**
 * systemd-networkd: /etc/systemd/network/10-v6agent-IF.network (+ .netdev for
 * VLAN and bond). Keys checked against systemd 252 (Debian 12).
 *
 * networkd handles RAs in user space and rewrites accept_ra, addr_gen_mode and
 * use_tempaddr on every link it manages, so EUI-64 and "no privacy" are
 * written here, not as sysctls: IPv6LinkLocalAddressGenerationMode=eui64,
 * IPv6PrivacyExtensions=no, [IPv6AcceptRA] Token=eui64. With IPv6AcceptRA=yes
 * networkd starts DHCPv6 itself from the RA's M/O flags (networkd-ndisc.c),
 * so SLAAC, stateless and stateful share one configuration; stateful adds
 * DHCP=ipv6. The drive's DNS goes in DNS=/Domains= in every mode: before
 * systemd 255 (PR #29718) networkd drops the DNS of a stateless DHCPv6 reply.
 * Match by MAC and name: a VLAN or bond inherits its parent's MAC (netplan
 * LP #1804861), so the MAC alone would match them too.
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance, Interface } from '../agent/model/instance.js';
import { dhcpv6Client, hasStaticAddress } from '../agent/model/modes.js';
import type { NetworkPlan, PlannedFile } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { bondOptions } from './bondOptions.js';
import { stackRoutes } from './routes.js';
import { modeSummary } from './summary.js';
import { render, type Context } from './template.js';
import { takeOverNetworkd } from './networkdTakeover.js';
import networkTemplate from '../templates/networkd.network.tmpl';
import netdevTemplate from '../templates/networkd.netdev.tmpl';



export const networkdPath = (name: string, ext: 'network' | 'netdev'): string => `/etc/systemd/network/10-v6agent-${name}.${ext}`;

export function renderNetworkd(instance: Instance, target: Target, warnings: Warnings): NetworkPlan {
  const files: PlannedFile[] = [];
  for (const iface of instance.interfaces) {
    files.push({ path: networkdPath(iface.name, 'network'), content: render(networkTemplate, networkContext(iface, instance)), mode: 0o644 });
    const netdev = netdevContext(iface, warnings);
    if (netdev) files.push({ path: networkdPath(iface.name, 'netdev'), content: render(netdevTemplate, netdev), mode: 0o644 });
  }
  const takeOver = takeOverNetworkd(instance, target, warnings);
  const names = instance.interfaces.map((i) => i.name).join(' ');
  const notes = [...takeOver.notes, ...(target.live && names ? [`networkd reads these files when it starts: \`networkctl reload && networkctl reconfigure ${names}\` uses them now`] : [])];
  return { files: [...files, ...takeOver.files], removals: takeOver.removals, notes };
}

function networkContext(iface: Interface, instance: Instance): Context {
  const v4 = iface.ipv4;
  const v6 = iface.ipv6;
  const physical = iface.kind.type === 'physical';
  const member = iface.bondMaster !== undefined;
  const dynamic6 = v6 !== undefined && !hasStaticAddress(v6.mode);
  const dhcp4 = v4?.method === 'dhcp';
  const dhcp6 = v6 !== undefined && dhcpv6Client(v6.mode) === 'stateful';
  const l3 = !member && (v4 !== undefined || v6 !== undefined);
  const addresses = [...(v4?.method === 'static' ? v4.addresses : []), ...(v6 && hasStaticAddress(v6.mode) ? v6.addresses : [])];
  return {
    summary: modeSummary(iface),
    // A bond member's MAC changes to the bond's once enslaved; its permanent one does not.
    mac: physical && !member ? iface.mac : undefined,
    permanent_mac: physical && member ? iface.mac : undefined,
    name: iface.name,
    link: iface.mtu === undefined ? [] : [{ mtu: iface.mtu }],
    dhcp: dhcp4 && dhcp6 ? 'yes' : dhcp4 ? 'ipv4' : dhcp6 ? 'ipv6' : undefined,
    // Members carry no addresses of their own; IPv4 link-local is never wanted.
    link_local: member ? 'no' : v6 ? 'ipv6' : undefined,
    ll_mode: v6 && !member ? 'eui64' : undefined,
    privacy: v6 && !member ? 'no' : undefined,
    accept_ra: member ? 'no' : v6 ? (dynamic6 ? 'yes' : 'no') : undefined,
    addresses: addresses.map((a) => `${a.address}/${a.prefix}`),
    dns: l3 && instance.dns.nameservers.length ? instance.dns.nameservers.join(' ') : undefined,
    domains: l3 && instance.dns.search.length ? instance.dns.search.join(' ') : undefined,
    vlans: instance.interfaces.filter((i) => i.kind.type === 'vlan' && i.kind.raw === iface.name).map((i) => i.name),
    bond: iface.bondMaster,
    ra: dynamic6 && !member ? [{}] : [],
    routes: stackRoutes(iface).map((r) => ({
      destination: r.destination ?? (r.family === 6 ? '::/0' : '0.0.0.0/0'),
      gateway: r.gateway,
      onlink: r.onLink ? 'yes' : undefined,
    })),
  };
}

function netdevContext(iface: Interface, warnings: Warnings): Context | undefined {
  const k = iface.kind;
  const summary = modeSummary(iface);
  if (k.type === 'vlan') return { summary, name: iface.name, kind: 'vlan', mtu: iface.mtu, vlan: [{ id: k.id }], bond: [] };
  if (k.type === 'bond') {
    const options = bondOptions(k.options, 'networkd', iface.name, warnings).map(([key, value]) => `${key}=${value}`);
    // The drive's MAC (the port's, whose EUI-64 addresses Neutron lets through): unset, networkd
    // would give the bond a MAC of its own, derived from the machine id (systemd.netdev(5) MACAddress=).
    return { summary, name: iface.name, kind: 'bond', mac: iface.mac, mtu: iface.mtu, vlan: [], bond: [{ mode: k.mode, options }] };
  }
  return undefined;
}
