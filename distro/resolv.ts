/**
 * DNS from the drive: the only source of IPv6 nameservers on SLAAC subnets
 * (Neutron sends no DHCPv6 there, and OVN no RDNSS). Written through whoever
 * owns /etc/resolv.conf, so the next resolver restart does not undo it.
 */
import type { Instance } from '../agent/model/instance.js';
import type { PlannedFile } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { render } from './template.js';
import resolvTemplate from '../templates/resolv.conf.tmpl';
import resolvedTemplate from '../templates/resolved.conf.tmpl';
import nmTemplate from '../templates/networkmanager-dns.conf.tmpl';

export function renderDns(instance: Instance, target: Target): { files: PlannedFile[]; notes: string[] } {
  const { nameservers, search } = instance.dns;
  if (nameservers.length === 0) return { files: [], notes: [] };
  switch (target.resolvOwner) {
    case 'file':
      return {
        files: [{ path: '/etc/resolv.conf', content: render(resolvTemplate, { nameservers, search: search.join(' ') }), mode: 0o644 }],
        notes: [],
      };
    case 'systemd-resolved':
      return {
        files: [{ path: '/etc/systemd/resolved.conf.d/60-v6agent.conf', content: render(resolvedTemplate, { nameservers: nameservers.join(' '), search: search.join(' ') }), mode: 0o644 }],
        notes: ['/etc/resolv.conf belongs to systemd-resolved: DNS written to its drop-in (restart systemd-resolved to use it now)'],
      };
    case 'NetworkManager':
      // Global DNS would override every profile's DNS, RA and DHCPv6 included; our profiles carry the drive's.
      if (target.stack === 'networkmanager') return { files: [], notes: ["/etc/resolv.conf belongs to NetworkManager: DNS written into v6agent's profiles"] };
      return {
        files: [{ path: '/etc/NetworkManager/conf.d/60-v6agent-dns.conf', content: render(nmTemplate, { nameservers: nameservers.join(','), search: search.join(',') }), mode: 0o644 }],
        notes: ['/etc/resolv.conf belongs to NetworkManager: DNS written as its global DNS (reload NetworkManager to use it now)'],
      };
    case 'resolvconf':
      // ENI carries dns-nameservers for resolvconf's ifupdown hook; ifcfg carries DNS1…
      return { files: [], notes: ['/etc/resolv.conf belongs to resolvconf: DNS written into the interface configuration for it'] };
  }
}
