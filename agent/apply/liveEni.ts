/**
 * ifupdown, live (the cloud-init `runcmd` case): bring a running interface to
 * its new IPv6 configuration in place. Never `ifdown`: it flushes every
 * address and takes the link down, cutting IPv4 and the SSH session the user
 * may be running this from. Instead: `ip -6 … replace` for static addresses
 * and routes, and the DHCPv6 client the mode needs started (or the one it
 * forbids stopped) with ifupdown's own pid/lease paths, so a later `ifdown`
 * still finds and stops it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Warnings } from '../errors.js';
import type { Interface } from '../model/instance.js';
import { dhcpv6Client, hasStaticAddress, type Dhcpv6Client } from '../model/modes.js';
import type { LiveResult } from './live.js';
import { runTool } from './tool.js';

/** ifupdown's paths for `inet6 dhcp` / `dhcp 1` (ifupdown 0.8 inet6.defn). */
export function dhclientPaths(iface: string): { pid: string; leases: string; leases4: string } {
  return { pid: `/run/dhclient6.${iface}.pid`, leases: `/var/lib/dhcp/dhclient6.${iface}.leases`, leases4: `/var/lib/dhcp/dhclient.${iface}.leases` };
}

/** The dhclient -6 ifupdown would run for `client`, as argv; `-nw` so a stateful client never blocks us. */
export function dhclientStart(iface: string, client: Exclude<Dhcpv6Client, 'none'>): string[] {
  const p = dhclientPaths(iface);
  const common = ['-pf', p.pid, '-lf', p.leases, '-I', '-df', p.leases4, iface];
  return client === 'information-only' ? ['dhclient', '-6', '-1', '-S', ...common] : ['dhclient', '-6', '-nw', ...common];
}

/** The running DHCPv6 client of `iface` per its pid file, and what kind it is. */
export function runningClient(iface: string, proc = '/proc'): { pid: number; kind: Exclude<Dhcpv6Client, 'none'> } | undefined {
  let pid: number;
  let cmdline: string[];
  try {
    pid = Number(readFileSync(dhclientPaths(iface).pid, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    cmdline = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  if (!cmdline[0]?.endsWith('dhclient') || !cmdline.includes('-6')) return undefined;
  return { pid, kind: cmdline.includes('-S') ? 'information-only' : 'stateful' };
}

/** What to run so `iface` gets what its mode needs (pure, given what runs now). */
export function eniSteps(iface: Interface, running: { kind: Exclude<Dhcpv6Client, 'none'> } | undefined): string[][] {
  const v6 = iface.ipv6;
  if (!v6) return [];
  const steps: string[][] = [];
  if (hasStaticAddress(v6.mode)) {
    for (const a of v6.addresses) steps.push(['ip', '-6', 'addr', 'replace', `${a.address}/${a.prefix}`, 'dev', iface.name]);
    if (v6.gateway) steps.push(['ip', '-6', 'route', 'replace', 'default', 'via', v6.gateway, 'dev', iface.name]);
    for (const r of v6.routes) steps.push(['ip', '-6', 'route', 'replace', `${r.network}/${r.prefix}`, 'via', r.gateway, 'dev', iface.name]);
  }
  const want = dhcpv6Client(v6.mode);
  const p = dhclientPaths(iface.name);
  if (running && running.kind !== want) {
    // -r releases a stateful lease (its address goes); an information-only client has none: -x just stops it.
    steps.push(['dhclient', '-6', running.kind === 'stateful' ? '-r' : '-x', '-pf', p.pid, '-lf', p.leases, iface.name]);
  }
  if (want !== 'none' && (want === 'information-only' || running?.kind !== want)) steps.push(dhclientStart(iface.name, want));
  return steps;
}

export function reloadEniInterface(iface: Interface, warnings: Warnings): LiveResult[] {
  return eniSteps(iface, runningClient(iface.name)).map((argv) => runTool(iface.name, argv, warnings, 20_000));
}

/** ifupdown2 reloads changed stanzas in place itself. */
export function hasIfreload(): boolean {
  return ['/sbin/ifreload', '/usr/sbin/ifreload'].some((p) => existsSync(p));
}
