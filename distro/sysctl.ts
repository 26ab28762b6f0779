/**
 * Per-interface IPv6 sysctls (kernel Documentation/networking/ip-sysctl.rst):
 * EUI-64 addresses only, RAs accepted (2 when forwarding, else the kernel
 * ignores them), SLAAC matching the mode's A flag.
 */
import type { Instance, Interface } from '../agent/model/instance.js';
import { usesAutoconf } from '../agent/model/modes.js';
import type { PlannedFile, Sysctl } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { render } from './template.js';
import { modeSummary } from './summary.js';
import template from '../templates/sysctl.tmpl';

/** What these sysctls depend on in the target: whether IPv6 forwarding is on. */
export type SysctlTarget = Pick<Target, 'forwarding'>;

/** accept_ra: 1 accepts RAs only while forwarding is off; 2 accepts them regardless. */
export function acceptRa(target: SysctlTarget): number {
  return target.forwarding ? 2 : 1;
}

export function ipv6Sysctls(iface: Interface, target: SysctlTarget): Sysctl[] {
  if (!iface.ipv6) return [];
  const values: [string, number][] = [
    ['use_tempaddr', 0],
    ['addr_gen_mode', 0],
    ['accept_ra', acceptRa(target)],
    ['autoconf', usesAutoconf(iface.ipv6.mode) ? 1 : 0],
    ['accept_ra_rt_info_max_plen', 128],
  ];
  // sysctl.d reads "a.b.c" with dots as separators; a dotted name (eth0.100) needs the "/" form.
  const sep = iface.name.includes('.') ? '/' : '.';
  return values.map(([name, value]) => ({
    key: ['net', 'ipv6', 'conf', iface.name, name].join(sep),
    proc: `net/ipv6/conf/${iface.name}/${name}`,
    value: String(value),
  }));
}

/** The settings that decide how the kernel processes an RA: set live before soliciting one. */
const RA_PROCESSING = new Set(['accept_ra', 'autoconf', 'accept_ra_rt_info_max_plen']);

export function raProcessingSysctls(instance: Instance, target: SysctlTarget): Sysctl[] {
  return instance.interfaces.flatMap((i) => ipv6Sysctls(i, target)).filter((s) => RA_PROCESSING.has(s.proc.slice(s.proc.lastIndexOf('/') + 1)));
}

/** The settings that decide which addresses the kernel generates, whoever processes the RAs. */
const ADDRESS_GENERATION = new Set(['use_tempaddr', 'addr_gen_mode']);

/**
 * The drop-in per interface, and the sysctls to set live. Where a daemon
 * (NetworkManager, systemd-networkd) processes RAs in user space, the drop-in
 * keeps only the address-generation settings and nothing is set live: the
 * daemon owns accept_ra/autoconf on its links. Those two still matter there:
 * systemd-sysctl applies them before the daemon starts, and addresses a link
 * got before the daemon took it over survive the takeover.
 */
export function renderSysctls(instance: Instance, target: SysctlTarget, kernelHandlesRa: boolean): { files: PlannedFile[]; sysctls: Sysctl[] } {
  const files: PlannedFile[] = [];
  const sysctls: Sysctl[] = [];
  for (const iface of instance.interfaces) {
    const all = ipv6Sysctls(iface, target);
    const settings = kernelHandlesRa ? all : all.filter((s) => ADDRESS_GENERATION.has(s.proc.slice(s.proc.lastIndexOf('/') + 1)));
    if (settings.length === 0) continue;
    if (kernelHandlesRa) sysctls.push(...settings);
    files.push({
      path: `/etc/sysctl.d/60-v6agent-${iface.name}.conf`,
      content: render(template, { iface: iface.name, summary: modeSummary(iface), kernelHandlesRa, daemonHandlesRa: !kernelHandlesRa, settings: settings.map((s) => ({ key: s.key, value: s.value })) }),
      mode: 0o644,
    });
  }
  return { files, sysctls };
}
