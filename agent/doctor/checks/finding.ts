/** Building findings: an ok line says what was seen; a problem adds why and the fix. */
import type { Finding, Repair, Status } from '../types.js';

export function ok(id: string, iface: string | null, observed: string, expected: string): Finding {
  return { id, interface: iface, status: 'ok', observed, expected, why: '', fix: '' };
}

export function problem(
  status: Exclude<Status, 'ok'>,
  id: string,
  iface: string | null,
  f: { observed: string; expected: string; why: string; fix: string; repairs?: readonly Repair[] },
): Finding {
  return { id, interface: iface, status, ...f };
}

/** `net.ipv6.conf.eth0.use_tempaddr` (a dotted VLAN name needs the `/` form, as sysctl.d reads it). */
export function sysctlKey(iface: string, key: string): string {
  return iface.includes('.') ? `net/ipv6/conf/${iface}/${key}` : `net.ipv6.conf.${iface}.${key}`;
}

/** The persistent half of a sysctl fix, as apply writes it. */
export function sysctlFix(iface: string, key: string, value: string): string {
  return `sysctl -w ${sysctlKey(iface, key)}=${value}, and ${sysctlKey(iface, key)} = ${value} in /etc/sysctl.d/60-v6agent-${iface}.conf (v6agent apply writes it)`;
}
