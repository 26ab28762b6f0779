/**
 * How the script-driven stacks run ISC `dhclient -6`: the pid and lease files
 * their ifup starts it with and their ifdown looks for. A client v6agent starts
 * live uses the same ones, so the stack's own `ifdown` later finds and stops it.
 *
 * - ifupdown 0.8 (inet6.defn, `inet6 dhcp` / `dhcp 1`):
 *   `dhclient -6 [-1 -S] -pf /run/dhclient6.IF.pid -lf /var/lib/dhcp/dhclient6.IF.leases -I -df /var/lib/dhcp/dhclient.IF.leases IF`.
 * - initscripts (fedora-sysv/initscripts network-scripts/ifup-eth, after ifup-ipv6, for DHCPV6C=yes; rhel7-branch 9.49):
 *   `dhclient -6 -1 ${DHCPV6C_OPTIONS} [-cf /etc/dhcp/dhclient6-IF.conf] -lf ${LEASEFILE} -pf /var/run/dhclient6-IF.pid IF`,
 *   LEASEFILE being /var/lib/dhclient/dhclient6-IF.leases when it exists (network-functions'
 *   generate_lease_file_name), the name used here so ifup and ifdown pick it from then on.
 *   ifdown-eth stops the client the pid file names (`dhclient -r … -pf` with DHCPRELEASE=yes, else kill).
 *   /var/run is /run on every systemd distro (initscripts ≥ 10 spells it /run).
 */
import type { Dhcpv6Client } from '../agent/model/modes.js';
import type { Stack } from '../agent/plan/types.js';

export type Dhcpv6Kind = Exclude<Dhcpv6Client, 'none'>;

export interface DhclientConventions {
  /** Whose scripts these are, for messages. */
  readonly owner: string;
  readonly pidFile: (iface: string) => string;
  readonly leaseFile: (iface: string) => string;
  /** The options the stack's ifup passes for `kind`, between `dhclient -6` and the pid/lease files. */
  readonly options: (kind: Dhcpv6Kind) => readonly string[];
  /** What follows the pid/lease files before the interface name. */
  readonly extra: (iface: string) => readonly string[];
  /** Per-interface dhclient.conf the stack passes with -cf when it exists and is not empty. */
  readonly configFiles: (iface: string) => readonly string[];
}

/** initscripts' DHCPV6C_OPTIONS for an information-only client (the ifcfg renderer writes it). */
export const INFORMATION_ONLY_OPTION = '-S';

export const IFUPDOWN: DhclientConventions = {
  owner: 'ifupdown',
  pidFile: (iface) => `/run/dhclient6.${iface}.pid`,
  leaseFile: (iface) => `/var/lib/dhcp/dhclient6.${iface}.leases`,
  options: (kind) => (kind === 'information-only' ? ['-1', INFORMATION_ONLY_OPTION] : []),
  extra: (iface) => ['-I', '-df', `/var/lib/dhcp/dhclient.${iface}.leases`],
  configFiles: () => [],
};

export const INITSCRIPTS: DhclientConventions = {
  owner: 'initscripts',
  pidFile: (iface) => `/var/run/dhclient6-${iface}.pid`,
  leaseFile: (iface) => `/var/lib/dhclient/dhclient6-${iface}.leases`,
  options: (kind) => (kind === 'information-only' ? ['-1', INFORMATION_ONLY_OPTION] : ['-1']),
  extra: () => [],
  configFiles: (iface) => [`/etc/dhcp/dhclient6-${iface}.conf`, `/etc/dhclient6-${iface}.conf`],
};

/** The conventions of a stack whose scripts run dhclient; undefined where a daemon runs DHCPv6 itself. */
export function dhclientConventions(stack: Stack): DhclientConventions | undefined {
  return stack === 'eni' ? IFUPDOWN : stack === 'ifcfg' ? INITSCRIPTS : undefined;
}

/** The dhclient -6 the stack's ifup would run for `kind`, as argv; `-nw` so a stateful client never blocks us. */
export function dhclientStart(c: DhclientConventions, iface: string, kind: Dhcpv6Kind, configFile?: string): string[] {
  const nowait = kind === 'stateful' ? ['-nw'] : [];
  const cf = configFile ? ['-cf', configFile] : [];
  return ['dhclient', '-6', ...c.options(kind), ...nowait, ...cf, '-pf', c.pidFile(iface), '-lf', c.leaseFile(iface), ...c.extra(iface), iface];
}
