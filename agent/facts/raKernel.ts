/**
 * What the kernel keeps from the RAs it processed, from the shared netlink
 * and /proc/sys facts: the IPv6 MTU (the RA's MTU option lowers
 * net.ipv6.conf.IFACE.mtu), default routes with expiry and preference,
 * prefix routes, route-information routes (RFC 4191, such as the metadata
 * service's /128) and autoconf addresses with their lifetimes. The rest of an
 * RA is gone once processed.
 */
import { IFA_F, type Addr, type Route } from './netlinkTypes.js';

export interface KernelRaFacts {
  /** net.ipv6.conf.IFACE.mtu: the link MTU, or the RA's MTU option where one was received. */
  readonly ipv6Mtu: number | null;
  readonly defaultRoutes: readonly { router: string; expiresIn: number | null; preference: Route['preference'] }[];
  readonly prefixRoutes: readonly { prefix: string; expiresIn: number | null }[];
  readonly routeInformation: readonly { prefix: string; router: string; expiresIn: number | null; preference: Route['preference'] }[];
  readonly addresses: readonly { address: string; validLifetime: number | null; preferredLifetime: number | null }[];
  /** What only a Router Solicitation (`ra --wire`) can tell. */
  readonly wireOnly: readonly string[];
}

export const WIRE_ONLY = [
  'the router lifetime and preference as sent',
  'prefix flags (L, A) and advertised lifetimes',
  'RDNSS and DNSSL',
  'PREF64',
  'route-information options the kernel dropped (accept_ra_rt_info_max_plen)',
  'which router sent M/O when there are several',
] as const;

export function kernelRaFacts(iface: string, routes: readonly Route[], addresses: readonly Addr[], ipv6Mtu: number | undefined): KernelRaFacts {
  const mine = routes.filter((r) => r.family === 6 && r.iface === iface);
  const ra = mine.filter((r) => r.protocol === 'ra');
  return {
    ipv6Mtu: ipv6Mtu ?? null,
    defaultRoutes: ra.filter((r) => r.dstLength === 0 && r.gateway).map((r) => ({ router: r.gateway!, expiresIn: r.expires, preference: r.preference })),
    // On-link prefix routes from a PIO are proto kernel, like an address's own, but they expire.
    prefixRoutes: mine.filter((r) => r.dstLength > 0 && !r.gateway && r.expires !== null && (r.protocol === 'kernel' || r.protocol === 'ra')).map((r) => ({ prefix: `${r.dst}/${r.dstLength}`, expiresIn: r.expires })),
    routeInformation: ra.filter((r) => r.dstLength > 0 && r.gateway).map((r) => ({ prefix: `${r.dst}/${r.dstLength}`, router: r.gateway!, expiresIn: r.expires, preference: r.preference })),
    addresses: addresses
      .filter((a) => a.iface === iface && a.family === 6 && a.scope === 0 && (a.flags & IFA_F.permanent) === 0)
      .map((a) => ({ address: `${a.address}/${a.prefixLength}`, validLifetime: a.validLifetime, preferredLifetime: a.preferredLifetime })),
    wireOnly: [...WIRE_ONLY],
  };
}
