/** `v6agent metadata`: the normalized instance, like `cloud-init query`. */
import { Warnings, type Warning } from '../errors.js';
import { discoverInstance, interfaceNames, parseIfaceMappings } from '../load.js';
import type { Instance } from '../model/instance.js';
import { dhcpv6Client, expectedRaFlags } from '../model/modes.js';
import type { SourceChoice } from '../model/discovery.js';
import { formatAttempt } from '../sources/timeline.js';
import { DEFAULT_BUDGET_MS } from './applySources.js';

export { NoSource } from '../sources/compose.js';

export interface MetadataOptions {
  readonly configDrive: string | undefined;
  readonly iface: readonly string[];
  readonly source?: SourceChoice | undefined;
  readonly budgetMs?: number | undefined;
}

/** Walk the same sources as apply and build the same model; change nothing (temporary routes are undone). */
export async function runMetadata(opts: MetadataOptions): Promise<{ instance: Instance; warnings: readonly Warning[] }> {
  const warnings = new Warnings();
  // Live names where this machine has the NIC; `metadata` still describes every link of the drive.
  const names = interfaceNames(parseIfaceMappings(opts.iface), { sysfs: true, fallback: true });
  const instance = await discoverInstance({ source: opts.source ?? 'auto', configDrive: opts.configDrive, budgetMs: opts.budgetMs ?? DEFAULT_BUDGET_MS, mutate: false }, names, warnings);
  return { instance, warnings: warnings.list };
}

/** Which source answered, and the timeline of everything tried. */
export function formatDiscovery(instance: Instance): string {
  const d = instance.discovery;
  if (!d) return '';
  const l = [`source:    ${d.answered} (${d.origin ?? '-'}) after ${d.elapsedMs} ms`, 'tried:'];
  for (const a of d.attempts) l.push(`  ${formatAttempt(a)}`);
  return `${l.join('\n')}\n`;
}

/** The JSON shape: the model plus each mode's meaning, spelled out for scripts. */
export function metadataJson(instance: Instance): unknown {
  return {
    ...instance,
    interfaces: instance.interfaces.map((i) => ({
      ...i,
      ipv6: i.ipv6 && { ...i.ipv6, dhcpv6: dhcpv6Client(i.ipv6.mode), expectedRaFlags: expectedRaFlags(i.ipv6.mode) ?? null },
    })),
  };
}

export function formatMetadata(instance: Instance): string {
  const l: string[] = [];
  l.push(`uuid:      ${instance.uuid ?? '-'}`);
  l.push(`name:      ${JSON.stringify(instance.name ?? '-').slice(1, -1)}`);
  l.push(`hostname:  ${instance.hostname ?? '-'}`);
  l.push(`fqdn:      ${instance.fqdn ?? '-'}`);
  l.push(`ssh keys:  ${instance.sshKeys.length}`);
  l.push(`dns:       ${instance.dns.nameservers.join(' ') || '-'}${instance.dns.search.length ? ` (search ${instance.dns.search.join(' ')})` : ''}`);
  for (const i of instance.interfaces) {
    l.push(`interface ${i.name}${i.mac ? ` (${i.mac})` : ''}${i.mtu ? ` mtu ${i.mtu}` : ''}`);
    if (i.kind.type === 'vlan') l.push(`  vlan ${i.kind.id} on ${i.kind.raw}`);
    if (i.kind.type === 'bond') l.push(`  bond ${i.kind.mode} of ${i.kind.slaves.join(', ')}`);
    if (i.bondMaster) l.push(`  member of ${i.bondMaster}`);
    if (i.ipv4) {
      l.push(`  ipv4 ${i.ipv4.method}`);
      if (i.ipv4.method === 'static') {
        for (const a of i.ipv4.addresses) l.push(`    address ${a.address}/${a.prefix}`);
        if (i.ipv4.gateway) l.push(`    gateway ${i.ipv4.gateway}`);
        for (const r of i.ipv4.routes) l.push(`    route ${r.network}/${r.prefix} via ${r.gateway}`);
      }
    }
    if (i.ipv6) {
      const flags = expectedRaFlags(i.ipv6.mode);
      const f = flags ? ` (A=${+flags.autonomous} M=${+flags.managed} O=${+flags.other})` : ' (flags unknown: legacy ipv6_dhcp)';
      l.push(`  ipv6 ${i.ipv6.mode}${f}, DHCPv6: ${dhcpv6Client(i.ipv6.mode)}`);
      for (const a of i.ipv6.addresses) l.push(`    address ${a.address}/${a.prefix}`);
      if (i.ipv6.gateway) l.push(`    gateway ${i.ipv6.gateway}`);
      for (const r of i.ipv6.routes) l.push(`    route ${r.network}/${r.prefix} via ${r.gateway}`);
    }
  }
  return `${l.join('\n')}\n`;
}
