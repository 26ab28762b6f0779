/**
 * nova's `bond_*` link properties (the kernel bonding driver's sysfs names)
 * spelled for systemd-networkd's [Bond] section (systemd.netdev(5)) and
 * netplan's `parameters` (netplan-yaml "Properties for device type bonds").
 * Keys checked against systemd 252's networkd and netplan 0.106. Time values
 * are milliseconds in the kernel's names. Anything else is dropped with a warning.
 */
import type { Warnings } from '../agent/errors.js';
import type { BondOptions } from '../agent/model/instance.js';

interface Spelling {
  readonly networkd: string;
  readonly netplan: string;
  /** The kernel value is milliseconds: networkd wants a unit, netplan a number. */
  readonly ms?: boolean;
}

const TABLE: Readonly<Record<string, Spelling>> = {
  miimon: { networkd: 'MIIMonitorSec', netplan: 'mii-monitor-interval', ms: true },
  updelay: { networkd: 'UpDelaySec', netplan: 'up-delay', ms: true },
  downdelay: { networkd: 'DownDelaySec', netplan: 'down-delay', ms: true },
  arp_interval: { networkd: 'ARPIntervalSec', netplan: 'arp-interval', ms: true },
  xmit_hash_policy: { networkd: 'TransmitHashPolicy', netplan: 'transmit-hash-policy' },
  lacp_rate: { networkd: 'LACPTransmitRate', netplan: 'lacp-rate' },
  ad_select: { networkd: 'AdSelect', netplan: 'ad-select' },
  min_links: { networkd: 'MinLinks', netplan: 'min-links' },
  fail_over_mac: { networkd: 'FailOverMACPolicy', netplan: 'fail-over-mac-policy' },
  primary_reselect: { networkd: 'PrimaryReselectPolicy', netplan: 'primary-reselect-policy' },
  arp_validate: { networkd: 'ARPValidate', netplan: 'arp-validate' },
  arp_all_targets: { networkd: 'ARPAllTargets', netplan: 'arp-all-targets' },
  packets_per_slave: { networkd: 'PacketsPerSlave', netplan: 'packets-per-slave' },
  num_grat_arp: { networkd: 'GratuitousARP', netplan: 'gratuitous-arp' },
  resend_igmp: { networkd: 'ResendIGMP', netplan: 'resend-igmp' },
};

export type BondSyntax = 'networkd' | 'netplan';

/** [key, value] pairs in `syntax`, in the drive's order; unknown or non-numeric times are warned about and dropped. */
export function bondOptions(options: BondOptions, syntax: BondSyntax, bond: string, warnings: Warnings): [string, string | number][] {
  const out: [string, string | number][] = [];
  for (const [key, value] of Object.entries(options)) {
    const s = TABLE[key];
    if (!s || (s.ms && !/^\d+$/.test(value))) {
      warnings.add(`bond ${bond}`, `bond_${key}=${value} has no ${syntax} equivalent v6agent knows; dropped`);
      continue;
    }
    if (syntax === 'netplan') out.push([s.netplan, s.ms || /^\d+$/.test(value) ? Number(value) : value]);
    else out.push([s.networkd, s.ms ? `${value}ms` : value]);
  }
  return out;
}
