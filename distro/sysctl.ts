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

/** accept_ra: 1 accepts RAs only while forwarding is off; 2 accepts them regardless. */
export function acceptRa(target: Target): number {
  return target.forwarding ? 2 : 1;
}

export function ipv6Sysctls(iface: Interface, target: Target): Sysctl[] {
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

export function raProcessingSysctls(instance: Instance, target: Target): Sysctl[] {
  return instance.interfaces.flatMap((i) => ipv6Sysctls(i, target)).filter((s) => RA_PROCESSING.has(s.proc.slice(s.proc.lastIndexOf('/') + 1)));
}

export function renderSysctls(instance: Instance, target: Target): { files: PlannedFile[]; sysctls: Sysctl[] } {
  const files: PlannedFile[] = [];
  const sysctls: Sysctl[] = [];
  for (const iface of instance.interfaces) {
    const settings = ipv6Sysctls(iface, target);
    if (settings.length === 0) continue;
    sysctls.push(...settings);
    files.push({
      path: `/etc/sysctl.d/60-v6agent-${iface.name}.conf`,
      content: render(template, { iface: iface.name, summary: modeSummary(iface), settings: settings.map((s) => ({ key: s.key, value: s.value })) }),
      mode: 0o644,
    });
  }
  return { files, sysctls };
}
