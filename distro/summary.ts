/** One-line, human descriptions of an interface's configuration, for file headers and reports. */
import type { Interface } from '../agent/model/instance.js';
import { dhcpv6Client } from '../agent/model/modes.js';

const DHCPV6_TEXT = { none: 'no DHCPv6', 'information-only': 'DHCPv6 information-request', stateful: 'DHCPv6 address' } as const;

export function modeSummary(iface: Interface): string {
  const parts: string[] = [];
  if (iface.ipv4) parts.push(`IPv4 ${iface.ipv4.method}`);
  if (iface.ipv6) parts.push(`IPv6 ${iface.ipv6.mode}, ${DHCPV6_TEXT[dhcpv6Client(iface.ipv6.mode)]}`);
  if (iface.bondMaster) parts.push(`member of ${iface.bondMaster}`);
  if (iface.kind.type === 'vlan') parts.push(`VLAN ${iface.kind.id} on ${iface.kind.raw}`);
  if (iface.kind.type === 'bond') parts.push(`bond of ${iface.kind.slaves.join(', ')}`);
  return parts.length ? parts.join('; ') : 'link only, no addresses';
}
