/**
 * Doctor's data: the facts gathered once (plain data, no I/O after this),
 * the findings pure checks derive from them, and the repairs a finding
 * proposes (a plan, carried out by agent/apply only).
 */
import type { Instance } from '../model/instance.js';
import type { Ipv6Mode } from '../model/modes.js';
import type { Stack } from '../plan/types.js';
import type { Dhcpv6Kind } from '../../distro/dhcpv6Client.js';
import type { Addr, Link, Route } from '../facts/netlinkTypes.js';
import type { Ipv6ConfKey } from '../facts/sysctl.js';
import type { InterfaceReport } from '../ra/observe.js';
import type { MetadataAnswer } from './metadataProbe.js';
import type { ResolvOwner } from '../sources/target.js';
import type { NmProfile } from '../apply/stackReapply.js';

export type Status = 'ok' | 'warn' | 'fail';

/** What --fix may do for a finding; anything else is reported as "manual fix:". */
export type Repair =
  | { readonly kind: 'sysctl'; readonly iface: string; readonly key: Ipv6ConfKey; readonly value: string }
  | { readonly kind: 'delete-address'; readonly iface: string; readonly address: string; readonly prefixLength: number }
  /**
   * The DHCPv6 client the router's flags need, started as the stack would (ifupdown/initscripts: dhclient with
   * their pid and lease files; the daemons: a reapply): stateful for M=1 (it keeps running to renew its lease),
   * information-only for O=1 (dhclient 4.4 exits after its one exchange).
   */
  | { readonly kind: 'start-dhcpv6'; readonly iface: string; readonly client: Dhcpv6Kind }
  /** NetworkManager profile settings through nmcli, then `nmcli device reapply` (in place) where the profile is active. */
  | { readonly kind: 'nm-profile'; readonly profile: NmProfileRef; readonly settings: readonly Setting[] }
  /** networkd [Network] settings as a drop-in for that .network file, then `networkctl reload` and `reconfigure`. */
  | { readonly kind: 'networkd-dropin'; readonly network: string; readonly iface: string | null; readonly settings: readonly Setting[] };

/** A key and the value to set it to. */
export type Setting = readonly [key: string, value: string];

/** How nmcli names a profile: by its uuid where the keyfile has one. */
export type NmProfileRef = NmProfile;

/** One line of the report; JSON drops `repair`. */
export interface Finding {
  readonly id: string;
  readonly interface: string | null;
  readonly status: Status;
  readonly observed: string;
  readonly expected: string;
  readonly why: string;
  /** What to do; "" when status is ok. Starts with "manual fix:" where --fix will not act. */
  readonly fix: string;
  readonly repairs?: readonly Repair[];
}

/** A configuration file read from the root (the live / or an image tree). */
export interface FileFact {
  /** Path inside the root, e.g. /etc/netplan/50-cloud-init.yaml. */
  readonly path: string;
  readonly text: string;
  /** Permission bits and owner, for NetworkManager's keyfile rule. */
  readonly mode: number;
  readonly uid: number;
}

export interface InterfaceFacts {
  readonly link: Link;
  readonly conf: Partial<Record<Ipv6ConfKey, string>>;
  readonly addresses: readonly Addr[];
  /** What the routers said (kernel flags, or a Router Solicitation when the kernel had nothing). */
  readonly ra: InterfaceReport | undefined;
  /** The IPv6 metadata service's answer, asked only when there is no config drive. */
  readonly metadata?: MetadataAnswer;
}

export interface LiveFacts {
  readonly interfaces: readonly InterfaceFacts[];
  readonly routes: readonly Route[];
  /** IPv4 addresses and routes too: an IPv6-only VM is one with neither. */
  readonly ipv4Addresses: number;
  /** Command lines of DHCP clients and network daemons running in this network namespace. */
  readonly daemons: readonly (readonly string[])[];
  /** Local addresses of SSH sessions to this machine (facts/sshSessions.ts): never removed. */
  readonly sshAddresses: readonly string[];
  /** Interfaces whose information-only DHCPv6 exchange --fix ran in this run, answered (the client exits after it). */
  readonly informed?: readonly string[];
}

export interface Facts {
  readonly root: string;
  /** The network stack detected under the root (live: the one running), as apply detects it; undefined if none. */
  readonly stack?: Stack;
  /** Undefined under --root: file checks only. */
  readonly live: LiveFacts | undefined;
  /** The drive's instance, when one was found; `declaredNote` says why not otherwise. */
  readonly declared: Instance | undefined;
  readonly declaredNote: string;
  readonly resolv: { readonly owner: ResolvOwner; readonly nameservers: readonly string[]; readonly ours: boolean } | undefined;
  readonly files: readonly FileFact[];
}

/** The mode a check should hold an interface to: what the routers say, else what the drive says. */
export function expectedMode(facts: Facts, iface: InterfaceFacts): Ipv6Mode | undefined {
  const ra = iface.ra?.mode;
  if (ra === 'slaac' || ra === 'dhcpv6-stateless' || ra === 'dhcpv6-stateful') return ra;
  return declaredInterface(facts, iface.link.name)?.ipv6?.mode;
}

export function declaredInterface(facts: Facts, name: string): Instance['interfaces'][number] | undefined {
  return facts.declared?.interfaces.find((i) => i.name === name);
}
