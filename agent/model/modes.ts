/**
 * What each IPv6 subnet mode means. This is the only place that knows it:
 * renderers ask these functions and never compare mode names themselves.
 *
 * Neutron (ML2/OVS radvd and ML2/OVN) sends M=1, O=0 for dhcpv6-stateful:
 * RFC 4861 makes O redundant when M is set, and Neutron's docs were corrected
 * in 2023 (bug 2011687). So stateful is recognised from M alone.
 */

/** The A (prefix autonomous), M (managed) and O (other config) flags of a Router Advertisement. */
export interface RaFlags {
  readonly autonomous: boolean;
  readonly managed: boolean;
  readonly other: boolean;
}

export type Ipv6Mode =
  | 'slaac'
  | 'dhcpv6-stateless'
  | 'dhcpv6-stateful'
  | 'static'
  /** nova < 16 wrote `ipv6_dhcp` for every DHCP-enabled IPv6 subnet: the real mode is unknown. */
  | 'dhcp-unknown';

/** Which DHCPv6 exchange the guest must run. */
export type Dhcpv6Client = 'none' | 'information-only' | 'stateful';

interface ModeMeaning {
  /** The flags a router on such a subnet sends; undefined where the drive cannot tell. */
  readonly flags: RaFlags | undefined;
  readonly dhcpv6: Dhcpv6Client;
  /** Whether the kernel should form SLAAC addresses (sysctl `autoconf`). */
  readonly autoconf: boolean;
  /** Whether the address comes from the drive and is configured statically. */
  readonly staticAddress: boolean;
}

const MEANING: Record<Ipv6Mode, ModeMeaning> = {
  slaac: {
    flags: { autonomous: true, managed: false, other: false },
    dhcpv6: 'none',
    autoconf: true,
    staticAddress: false,
  },
  'dhcpv6-stateless': {
    flags: { autonomous: true, managed: false, other: true },
    dhcpv6: 'information-only',
    autoconf: true,
    staticAddress: false,
  },
  'dhcpv6-stateful': {
    flags: { autonomous: false, managed: true, other: false },
    dhcpv6: 'stateful',
    autoconf: false,
    staticAddress: false,
  },
  static: {
    flags: { autonomous: false, managed: false, other: false },
    dhcpv6: 'none',
    autoconf: false,
    staticAddress: true,
  },
  // Until a router is observed, do what is safe on every real mode: SLAAC and
  // no DHCPv6 client (a client with no server hangs or fails ifup).
  'dhcp-unknown': {
    flags: undefined,
    dhcpv6: 'none',
    autoconf: true,
    staticAddress: false,
  },
};

export const IPV6_MODES = Object.keys(MEANING) as Ipv6Mode[];

export function expectedRaFlags(mode: Ipv6Mode): RaFlags | undefined {
  return MEANING[mode].flags;
}

export function dhcpv6Client(mode: Ipv6Mode): Dhcpv6Client {
  return MEANING[mode].dhcpv6;
}

export function usesAutoconf(mode: Ipv6Mode): boolean {
  return MEANING[mode].autoconf;
}

export function hasStaticAddress(mode: Ipv6Mode): boolean {
  return MEANING[mode].staticAddress;
}

/** The mode a router's flags announce (M wins over O; O=1 is not needed for stateful). */
export function modeFromRaFlags(flags: RaFlags): Ipv6Mode {
  if (flags.managed) return 'dhcpv6-stateful';
  if (flags.other) return 'dhcpv6-stateless';
  if (flags.autonomous) return 'slaac';
  return 'static';
}

/** nova's network `type` for IPv6 networks → mode. */
export const NOVA_IPV6_TYPES: Readonly<Record<string, Ipv6Mode>> = {
  ipv6: 'static',
  ipv6_slaac: 'slaac',
  'ipv6_dhcpv6-stateless': 'dhcpv6-stateless',
  'ipv6_dhcpv6-stateful': 'dhcpv6-stateful',
  ipv6_dhcp: 'dhcp-unknown',
};
