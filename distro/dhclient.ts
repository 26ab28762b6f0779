/**
 * Keeping dhclient from undoing the drive's DNS on ifupdown. Debian's
 * dhclient-script (isc-dhcp-client 4.4) rewrites /etc/resolv.conf in
 * make_resolv_conf at every BOUND/RENEW/REBIND/REBOOT (DHCPv4) and BOUND6
 * (DHCPv6, also the one-shot `-S` information request), with only the servers
 * of its own lease. dhclient.conf cannot express the drive's list there:
 * `supersede`/`prepend domain-name-servers` take IPv4 addresses only and
 * `dhcp6.name-servers` IPv6 only, and each family's run rewrites the whole
 * file with its own family, so a dual-stack port's -4 and -6 clients
 * overwrite each other; the text would also differ from ours, so the next
 * apply would not be a no-op. An enter hook is sourced before the script
 * acts, and redefining make_resolv_conf there is the mechanism Debian's own
 * resolvconf package uses. It stands down when resolv.conf is no longer ours.
 */
import type { Instance } from '../agent/model/instance.js';
import { dhcpv6Client } from '../agent/model/modes.js';
import type { PlannedFile } from '../agent/plan/types.js';
import type { Target } from '../agent/sources/target.js';
import { render } from './template.js';
import hookTemplate from '../templates/dhclient-enter-hook.tmpl';
import resolvTemplate from '../templates/resolv.conf.tmpl';

export const DHCLIENT_HOOK = '/etc/dhcp/dhclient-enter-hooks.d/v6agent';

/** The first line of every resolv.conf v6agent writes: the hook's test that the file is still ours. */
const RESOLV_MARKER = render(resolvTemplate, {}).split('\n')[0]!;

/** On ifupdown, where v6agent writes /etc/resolv.conf and ifup will start dhclient (-4, -6 or -6 -S). */
export function renderDhclientHook(instance: Instance, target: Target): { files: PlannedFile[] } {
  const runsDhclient = instance.interfaces.some((i) => i.ipv4?.method === 'dhcp' || (i.ipv6 !== undefined && dhcpv6Client(i.ipv6.mode) !== 'none'));
  if (target.stack !== 'eni' || target.resolvOwner !== 'file' || instance.dns.nameservers.length === 0 || !runsDhclient) return { files: [] };
  return { files: [{ path: DHCLIENT_HOOK, content: render(hookTemplate, { marker: RESOLV_MARKER }), mode: 0o644 }] };
}
