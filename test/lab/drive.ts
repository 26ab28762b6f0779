/** Config drives that describe the lab's subnet, as nova would write them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eui64Address } from '../../agent/model/addr.js';
import { PREFIX, ROUTER_V6, type LabMode } from './lab.js';

export const DRIVE_DNS = '2001:db8:cafe:d::53';
export const STATIC_ADDRESS = '2001:db8:cafe:1::5';
/** The port's fixed IP on a DHCPv6-stateful subnet (inside DHCP6_RANGE). */
export const STATEFUL_ADDRESS = '2001:db8:cafe:1::1e6';
export const STATIC_ROUTE = { network: '2001:db8:99::', prefix: 48, gateway: '2001:db8:cafe:1::fe' } as const;
export const STATIC_MTU = 1400;

const NOVA_TYPE: Record<LabMode, string> = {
  slaac: 'ipv6_slaac',
  'dhcpv6-stateless': 'ipv6_dhcpv6-stateless',
  'dhcpv6-stateful': 'ipv6_dhcpv6-stateful',
  static: 'ipv6',
};

/**
 * `dns`: the subnet's nameserver as the drive states it (default DRIVE_DNS, which
 * differs from dnsmasq's so a test can tell who wrote resolv.conf). On Neutron
 * the subnet's dns_nameservers reach the drive and DHCPv6 alike: pass DHCP6_DNS.
 * `mtu`: the link's MTU as Nova writes it from the network (default: none, but STATIC_MTU on a static subnet).
 */
export function writeLabDrive(dir: string, o: { mode: LabMode | 'legacy'; ipv4: boolean; mac: string; dns?: string; mtu?: number }): string {
  const dns = o.dns ?? DRIVE_DNS;
  const latest = join(dir, 'openstack', 'latest');
  mkdirSync(latest, { recursive: true });
  writeFileSync(join(latest, 'meta_data.json'), JSON.stringify({ uuid: '00000000-0000-4000-8000-00000000cafe', hostname: 'lab.novalocal', name: 'lab' }));
  const v6 =
    o.mode === 'legacy'
      ? { id: 'network1', link: 'tap0', network_id: 'n6', type: 'ipv6_dhcp' }
      : {
          id: 'network1',
          link: 'tap0',
          network_id: 'n6',
          type: NOVA_TYPE[o.mode],
          ip_address: o.mode === 'static' ? STATIC_ADDRESS : o.mode === 'dhcpv6-stateful' ? STATEFUL_ADDRESS : eui64Address(PREFIX, o.mac),
          netmask: 'ffff:ffff:ffff:ffff::',
          routes: [
            { network: '::', netmask: '::', gateway: ROUTER_V6 },
            ...(o.mode === 'static' ? [{ network: STATIC_ROUTE.network, netmask: 'ffff:ffff:ffff::', gateway: STATIC_ROUTE.gateway }] : []),
          ],
          services: [{ type: 'dns', address: dns }],
        };
  const networks = [...(o.ipv4 ? [{ id: 'network0', link: 'tap0', network_id: 'n4', type: 'ipv4_dhcp' }] : []), v6];
  const links = [{ id: 'tap0', type: 'ovs', ethernet_mac_address: o.mac, mtu: o.mtu ?? (o.mode === 'static' ? STATIC_MTU : null) }];
  writeFileSync(join(latest, 'network_data.json'), JSON.stringify({ links, networks, services: [{ type: 'dns', address: dns }] }));
  return dir;
}
