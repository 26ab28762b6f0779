/**
 * What facts/netlink reads, as types and flag bits only: code that judges
 * links, addresses and routes (doctor's checks, apply's usability test, the
 * SSH-session guard) imports these without loading the FFI module that reads
 * them, which may not load at all (no directory allows executable mappings).
 */

/** IFA_F_* (if_addr.h). */
export const IFA_F = { temporary: 0x01, dadfailed: 0x08, deprecated: 0x20, tentative: 0x40, permanent: 0x80, stablePrivacy: 0x800 } as const;

export interface Link {
  readonly name: string;
  readonly index: number;
  readonly up: boolean;
  readonly loopback: boolean;
  readonly mac: string | undefined;
  readonly mtu: number;
  /** IFLA_INET6_FLAGS (RA received, M, O: see agent/ra/kernel.ts); 0 without IPv6. */
  readonly inet6Flags: number;
}

export interface Addr {
  readonly iface: string;
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
  /** RT_SCOPE_*: 0 global, 253 link, 254 host. */
  readonly scope: number;
  /** IFA_F_* bits. */
  readonly flags: number;
  /** Seconds; null is forever. */
  readonly validLifetime: number | null;
  readonly preferredLifetime: number | null;
}

export type RouteProtocol = 'kernel' | 'boot' | 'static' | 'ra' | 'dhcp' | `${number}`;

export interface Route {
  readonly family: 4 | 6;
  readonly iface: string | undefined;
  /** `::/0`-style destination with its length. */
  readonly dst: string;
  readonly dstLength: number;
  readonly gateway: string | undefined;
  readonly protocol: RouteProtocol;
  readonly metric: number;
  /** Seconds left, for routes learned from RAs; null when it does not expire. */
  readonly expires: number | null;
  readonly preference: 'low' | 'medium' | 'high' | null;
}
