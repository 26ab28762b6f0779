/**
 * Findings → a plan of repairs (pure): live sysctls, the same sysctl.d file
 * `v6agent apply` writes (so the next boot and the next apply agree), stray
 * addresses to remove, a DHCPv6 client to start, and stack profile settings
 * (NetworkManager through nmcli, networkd through a drop-in). agent/apply
 * carries it out.
 */
import type { Instance, Interface } from '../model/instance.js';
import type { PlannedFile, Sysctl } from '../plan/types.js';
import { renderSysctls } from '../../distro/sysctl.js';
import { declaredInterface, expectedMode, type Facts, type Finding, type InterfaceFacts, type NmProfileRef, type Repair, type Setting } from './types.js';
import { networkdDropin } from '../../distro/networkdDropin.js';
import { raInUserspace } from './checks/sysctls.js';
import { sysctlKey } from './checks/finding.js';
import type { Dhcpv6Kind } from '../../distro/dhcpv6Client.js';

export interface RepairPlan {
  readonly sysctls: readonly (Sysctl & { finding: Finding })[];
  /** The persistent sysctl.d files, as apply renders them. */
  readonly files: readonly PlannedFile[];
  readonly addresses: readonly { finding: Finding; iface: string; address: string; prefixLength: number }[];
  readonly dhcpv6: readonly { finding: Finding; iface: string; client: Dhcpv6Kind }[];
  /** One nmcli modify (+ reapply) per profile, all its settings at once. */
  readonly nm: readonly { findings: Finding[]; profile: NmProfileRef; settings: Setting[] }[];
  /** One drop-in per .network file, all its settings at once; networkd reloads after they are written. */
  readonly networkd: readonly { findings: Finding[]; file: PlannedFile; iface: string | null }[];
}

/** Group repairs by `key`, merging their settings (a later setting of the same key wins). */
function group<T extends { settings: readonly Setting[] }>(items: readonly { finding: Finding; repair: T }[], key: (r: T) => string): { findings: Finding[]; repair: T; settings: Setting[] }[] {
  const out = new Map<string, { findings: Finding[]; repair: T; settings: Map<string, string> }>();
  for (const { finding, repair } of items) {
    const g = out.get(key(repair)) ?? { findings: [], repair, settings: new Map<string, string>() };
    out.set(key(repair), g);
    g.findings.push(finding);
    for (const [k, v] of repair.settings) g.settings.set(k, v);
  }
  return [...out.values()].map((g) => ({ findings: g.findings, repair: g.repair, settings: [...g.settings] }));
}

/** The interface as apply would model it: the drive's, else one in the mode the routers announce. */
function modelInterface(facts: Facts, i: InterfaceFacts): Interface {
  const declared = declaredInterface(facts, i.link.name);
  if (declared?.ipv6) return declared;
  return {
    name: i.link.name,
    mac: i.link.mac,
    kind: { type: 'physical' },
    bondMaster: undefined,
    mtu: undefined,
    ipv4: undefined,
    ipv6: { mode: expectedMode(facts, i) ?? 'dhcp-unknown', addresses: [], gateway: undefined, routes: [] },
  };
}

export function planRepairs(facts: Facts, findings: readonly Finding[]): RepairPlan {
  const sysctls: RepairPlan['sysctls'][number][] = [];
  const addresses: RepairPlan['addresses'][number][] = [];
  const dhcpv6: RepairPlan['dhcpv6'][number][] = [];
  const nm: { finding: Finding; repair: Extract<Repair, { kind: 'nm-profile' }> }[] = [];
  const networkd: { finding: Finding; repair: Extract<Repair, { kind: 'networkd-dropin' }> }[] = [];
  const persist = new Set<string>();
  for (const finding of findings) {
    if (finding.status === 'ok') continue;
    for (const r of finding.repairs ?? ([] as Repair[])) {
      if (r.kind === 'sysctl') {
        sysctls.push({ key: sysctlKey(r.iface, r.key), proc: `net/ipv6/conf/${r.iface}/${r.key}`, value: r.value, finding });
        persist.add(r.iface);
      } else if (r.kind === 'start-dhcpv6') dhcpv6.push({ finding, iface: r.iface, client: r.client });
      else if (r.kind === 'nm-profile') nm.push({ finding, repair: r });
      else if (r.kind === 'networkd-dropin') networkd.push({ finding, repair: r });
      else addresses.push({ finding, iface: r.iface, address: r.address, prefixLength: r.prefixLength });
    }
  }
  // NetworkManager and networkd own these sysctls on their links: a drop-in would fight them.
  const files: PlannedFile[] = [];
  if (!raInUserspace(facts)) {
    for (const name of persist) {
      const i = facts.live?.interfaces.find((x) => x.link.name === name);
      if (!i) continue;
      const forwarding = i.conf.forwarding === '1';
      const instance: Instance = { uuid: undefined, name: undefined, hostname: undefined, fqdn: undefined, manageEtcHosts: false, sshKeys: [], interfaces: [modelInterface(facts, i)], dns: { nameservers: [], search: [] }, source: 'v6agent doctor' };
      files.push(...renderSysctls(instance, { forwarding }, true).files);
    }
  }
  return {
    sysctls,
    files,
    addresses,
    dhcpv6,
    nm: group(nm, (r) => `${r.profile.by} ${r.profile.value}`).map((g) => ({ findings: g.findings, profile: g.repair.profile, settings: g.settings })),
    networkd: group(networkd, (r) => r.network).map((g) => ({ findings: g.findings, file: networkdDropin(g.repair.network, g.settings), iface: g.repair.iface })),
  };
}
