/**
 * What the kernel recorded from Router Advertisements it processed itself:
 * rtnetlink RTM_GETLINK (AF_INET6) → IFLA_PROTINFO → IFLA_INET6_FLAGS, with the
 * bits from the kernel-internal include/net/if_inet6.h. Pitfalls (measured):
 * after a link bounce RA_RCVD is cleared but MANAGED/OTHERCONF stay stale, so
 * M/O count only while RA_RCVD is set; and RA_RCVD is only set while the kernel
 * accepts RAs (accept_ra 1 without forwarding, or 2) and sent its own RS.
 */
import { IFA_F, type Addr, type Link, type Route } from '../facts/netlinkTypes.js';
import { readSysctl, sysctlNumber } from '../facts/sysctl.js';

export const IF_RS_SENT = 0x10;
export const IF_RA_RCVD = 0x20;
export const IF_RA_MANAGED = 0x40;
export const IF_RA_OTHERCONF = 0x80;

/** A link as the shared netlink reader returns it (agent/facts/netlink.ts). */
export type KernelLink = Link;

export interface KernelView {
  readonly iface: string;
  /** Whether the kernel itself processes RAs here (else NetworkManager/networkd do, and it records nothing). */
  readonly acceptsRa: boolean;
  /** True only when the flags below come from an RA the kernel processed since the link came up. */
  readonly raReceived: boolean;
  readonly managed: boolean;
  readonly other: boolean;
  /** A SLAAC (dynamic, global, /64) address exists: some router sent A=1. */
  readonly slaacAddress: boolean;
  /** Default routers the kernel learned from RAs (proto ra). */
  readonly routers: readonly string[];
}

/** The kernel's view of one link, from the shared facts (one route and one address dump for all links). */
export function kernelView(link: KernelLink, addresses: readonly Addr[], routes: readonly Route[]): KernelView {
  const acceptRa = sysctlNumber(readSysctl(`net/ipv6/conf/${link.name}/accept_ra`)) ?? 0;
  const forwarding = sysctlNumber(readSysctl(`net/ipv6/conf/${link.name}/forwarding`)) ?? 0;
  const acceptsRa = acceptRa === 2 || (acceptRa === 1 && forwarding === 0);
  const raReceived = acceptsRa && (link.inet6Flags & IF_RA_RCVD) !== 0;
  return {
    iface: link.name,
    acceptsRa,
    raReceived,
    managed: raReceived && (link.inet6Flags & IF_RA_MANAGED) !== 0,
    other: raReceived && (link.inet6Flags & IF_RA_OTHERCONF) !== 0,
    // A SLAAC address: dynamic (not permanent), global, /64.
    slaacAddress: addresses.some((a) => a.iface === link.name && a.family === 6 && a.prefixLength === 64 && a.scope === 0 && (a.flags & IFA_F.permanent) === 0),
    routers: routes.filter((r) => r.family === 6 && r.iface === link.name && r.dstLength === 0 && r.protocol === 'ra' && r.gateway).map((r) => r.gateway!),
  };
}
