/**
 * The routes a stack writes for an interface, decided once for networkd and
 * netplan: IPv4 static gets the drive's gateway and routes; IPv6 static the
 * gateway and routes; the dynamic IPv6 modes only the extra routes — their
 * default route comes from the router's RA (nova writes the gateway as `::/0`
 * for SLAAC subnets too, and a static copy would fight the router's).
 */
import type { Cidr } from '../agent/model/addr.js';
import { networkOf } from '../agent/model/addr.js';
import type { Interface } from '../agent/model/instance.js';
import { hasStaticAddress } from '../agent/model/modes.js';

export interface StackRoute {
  /** `network/prefix`, or undefined for the default route. */
  readonly destination: string | undefined;
  readonly family: 4 | 6;
  readonly gateway: string;
  /** The gateway is not inside any configured prefix (or there is none yet): it must be declared on-link. */
  readonly onLink: boolean;
}

function inside(gateway: string, addresses: readonly Cidr[], family: 4 | 6): boolean {
  return addresses.some((a) => networkOf(gateway, a.prefix, family) === networkOf(a.address, a.prefix, family));
}

export function stackRoutes(iface: Interface): StackRoute[] {
  const out: StackRoute[] = [];
  const v4 = iface.ipv4;
  if (v4?.method === 'static') {
    if (v4.gateway) out.push({ destination: undefined, family: 4, gateway: v4.gateway, onLink: !inside(v4.gateway, v4.addresses, 4) });
    for (const r of v4.routes) out.push({ destination: `${r.network}/${r.prefix}`, family: 4, gateway: r.gateway, onLink: !inside(r.gateway, v4.addresses, 4) });
  }
  const v6 = iface.ipv6;
  if (v6) {
    const configured = hasStaticAddress(v6.mode) ? v6.addresses : [];
    if (hasStaticAddress(v6.mode) && v6.gateway) out.push({ destination: undefined, family: 6, gateway: v6.gateway, onLink: !inside(v6.gateway, configured, 6) });
    for (const r of v6.routes) out.push({ destination: `${r.network}/${r.prefix}`, family: 6, gateway: r.gateway, onLink: !inside(r.gateway, configured, 6) });
  }
  return out;
}
