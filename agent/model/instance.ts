/**
 * The one typed model of an instance. Sources fill it; renderers read it.
 * Every value in here has been validated: addresses are canonical, names are
 * safe to write into any file we produce.
 */
import type { Cidr } from './addr.js';
import type { Discovery } from './discovery.js';
import type { Ipv6Mode } from './modes.js';

export interface Route {
  /** Destination network, canonical text, with prefix length. */
  readonly network: string;
  readonly prefix: number;
  readonly gateway: string;
}

export type Ipv4Config =
  | { readonly method: 'dhcp' }
  | {
      readonly method: 'static';
      readonly addresses: readonly Cidr[];
      readonly gateway: string | undefined;
      readonly routes: readonly Route[];
    };

export interface Ipv6Config {
  readonly mode: Ipv6Mode;
  /**
   * Addresses from the drive. For `static` these are configured; for the
   * dynamic modes they are what Neutron expects the guest to end up with
   * (the EUI-64 or the DHCPv6 lease), kept for checks, never configured.
   */
  readonly addresses: readonly Cidr[];
  readonly gateway: string | undefined;
  /** Non-default routes. The default route is `gateway`. */
  readonly routes: readonly Route[];
}

export type LinkKind =
  | { readonly type: 'physical' }
  | { readonly type: 'vlan'; readonly raw: string; readonly id: number }
  | { readonly type: 'bond'; readonly slaves: readonly string[]; readonly mode: BondMode; readonly options: BondOptions };

export const BOND_MODES = [
  '802.3ad',
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  'balance-tlb',
  'balance-alb',
] as const;
export type BondMode = (typeof BOND_MODES)[number];

/**
 * The kernel bonding driver's numbers for its modes (drivers/net/bonding,
 * `BOND_MODE_*` in include/uapi/linux/if_bonding.h); ifenslave and cloud-init
 * accept them too, and drives nova or Ironic wrote may carry them ("4").
 */
const BOND_MODE_NUMBERS: readonly BondMode[] = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'];

/** A bond mode given by name or by number (0-6, as a number or a numeric string) → its name. */
export function bondModeOf(value: unknown): BondMode | undefined {
  if (typeof value === 'string' && (BOND_MODES as readonly string[]).includes(value)) return value as BondMode;
  const n = typeof value === 'string' && /^[0-6]$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? BOND_MODE_NUMBERS[n] : undefined;
}

/** bond_* properties other than mode, e.g. miimon, xmit_hash_policy; values checked as safe words. */
export type BondOptions = Readonly<Record<string, string>>;

export interface Interface {
  /** Guest interface name (eth0, ens3, eth0.100, bond0). */
  readonly name: string;
  readonly mac: string | undefined;
  readonly kind: LinkKind;
  /** Set on bond members: they carry no addresses of their own. */
  readonly bondMaster: string | undefined;
  readonly mtu: number | undefined;
  readonly ipv4: Ipv4Config | undefined;
  readonly ipv6: Ipv6Config | undefined;
}

export interface Dns {
  readonly nameservers: readonly string[];
  readonly search: readonly string[];
}

export interface SshKey {
  /** `undefined` means the distro's default cloud user. */
  readonly user: string | undefined;
  readonly key: string;
}

export interface Instance {
  readonly uuid: string | undefined;
  readonly name: string | undefined;
  /** Short host name (first label). */
  readonly hostname: string | undefined;
  readonly fqdn: string | undefined;
  readonly manageEtcHosts: boolean;
  readonly sshKeys: readonly SshKey[];
  readonly interfaces: readonly Interface[];
  readonly dns: Dns;
  /** Where the facts came from, for reports. */
  readonly source: string;
  /** Which source answered and what was tried (set when the sources were walked). */
  readonly discovery?: Discovery;
}

export function hasIpv4(instance: Instance): boolean {
  return instance.interfaces.some((i) => i.ipv4 !== undefined);
}
