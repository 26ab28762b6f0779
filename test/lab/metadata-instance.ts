/** The instance the lab's metadata server describes: IPv6-only SLAAC, a host name and one key. */
import { eui64Address } from '../../agent/model/addr.js';
import { PREFIX } from './lab.js';
import type { ServedInstance } from './metadata-server.js';

export const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2mpD2qK3yZ1ZC8x0vEJm1d6M5zO3jv7eK1bq8C2wz lab@metadata';
export const UUID = '6f1c2b1e-0d3a-4c55-9e77-00000000a9fe';

export function servedInstance(mac: string, host = 'v6meta'): ServedInstance {
  return {
    mac,
    meta: { uuid: UUID, name: host, hostname: `${host}.novalocal`, public_keys: { lab: KEY } },
    network: {
      links: [{ id: 'tap0', type: 'ovs', ethernet_mac_address: mac, mtu: null }],
      networks: [{ id: 'network1', link: 'tap0', network_id: 'n6', type: 'ipv6_slaac', ip_address: eui64Address(PREFIX, mac), netmask: 'ffff:ffff:ffff:ffff::', routes: [] }],
      services: [],
    },
  };
}

