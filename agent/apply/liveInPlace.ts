/**
 * The script-driven stacks (ifupdown, initscripts' ifcfg), live (the cloud-init
 * `runcmd` case): bring a running interface to its new IPv6 configuration in
 * place. Never `ifdown`: it flushes every address and takes the link down,
 * cutting IPv4 and the SSH session the user may be running this from. Instead:
 * `ip -6 … replace` for static addresses and routes, and the DHCPv6 client the
 * mode needs started (or the one it forbids stopped) with the stack's own
 * pid/lease paths (distro/dhcpv6Client.ts), so a later `ifdown` still finds
 * and stops it. One reloader; the stack only chooses the conventions.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Warnings } from '../errors.js';
import type { Interface } from '../model/instance.js';
import { dhcpv6Client, hasStaticAddress, type Dhcpv6Client } from '../model/modes.js';
import { dhclientStart, type DhclientConventions, type Dhcpv6Kind } from '../../distro/dhcpv6Client.js';
import type { LiveResult } from './live.js';
import { runTool } from './tool.js';

/** A DHCPv6 client running for an interface, per the stack's pid file. */
export interface RunningClient {
  readonly pid: number;
  readonly kind: Dhcpv6Kind;
}

/** The running DHCPv6 client of `iface` per the stack's pid file, and what kind it is. */
export function runningClient(c: DhclientConventions, iface: string, proc = '/proc'): RunningClient | undefined {
  let pid: number;
  let cmdline: string[];
  try {
    pid = Number(readFileSync(c.pidFile(iface), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    cmdline = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
  if (!cmdline[0]?.endsWith('dhclient') || !cmdline.includes('-6')) return undefined;
  return { pid, kind: cmdline.includes('-S') ? 'information-only' : 'stateful' };
}

/** Static addresses and routes, replaced in place (an existing one is updated, never removed first). */
export function staticSteps(iface: Interface): string[][] {
  const v6 = iface.ipv6;
  if (!v6 || !hasStaticAddress(v6.mode)) return [];
  const dev = ['dev', iface.name];
  return [
    ...v6.addresses.map((a) => ['ip', '-6', 'addr', 'replace', `${a.address}/${a.prefix}`, ...dev]),
    ...(v6.gateway ? [['ip', '-6', 'route', 'replace', 'default', 'via', v6.gateway, ...dev]] : []),
    ...v6.routes.map((r) => ['ip', '-6', 'route', 'replace', `${r.network}/${r.prefix}`, 'via', r.gateway, ...dev]),
  ];
}

/**
 * The client `want` needs, given the one running now (pure): a client of
 * another kind is stopped first (-r releases a stateful lease, so its address
 * goes; an information-only client has none: -x just stops it); one of the
 * wanted kind already running is left alone.
 */
export function dhcpv6Steps(c: DhclientConventions, iface: string, want: Dhcpv6Client, running: Pick<RunningClient, 'kind'> | undefined, configFile?: string): string[][] {
  if (running?.kind === want) return [];
  const steps: string[][] = [];
  if (running) steps.push(['dhclient', '-6', running.kind === 'stateful' ? '-r' : '-x', '-pf', c.pidFile(iface), '-lf', c.leaseFile(iface), iface]);
  if (want !== 'none') steps.push(dhclientStart(c, iface, want, configFile));
  return steps;
}

/** Everything `iface` needs for its mode, in place (pure, given what runs now). */
export function inPlaceSteps(c: DhclientConventions, iface: Interface, running: Pick<RunningClient, 'kind'> | undefined, configFile?: string): string[][] {
  if (!iface.ipv6) return [];
  return [...staticSteps(iface), ...dhcpv6Steps(c, iface.name, dhcpv6Client(iface.ipv6.mode), running, configFile)];
}

/** The stack's per-interface dhclient.conf, if one exists and is not empty (initscripts' generate_config_file_name). */
function configFile(c: DhclientConventions, iface: string): string | undefined {
  return c.configFiles(iface).find((p) => {
    try {
      return statSync(p).size > 0;
    } catch {
      return false;
    }
  });
}

const run = (iface: string, steps: readonly string[][], warnings: Warnings): LiveResult[] => steps.map((argv) => runTool(iface, argv, warnings, 20_000));

export function reloadInPlace(c: DhclientConventions, iface: Interface, warnings: Warnings): LiveResult[] {
  return run(iface.name, inPlaceSteps(c, iface, runningClient(c, iface.name), configFile(c, iface.name)), warnings);
}

/** Only the DHCPv6 client `want` needs (doctor --fix): started, or swapped for one of the wrong kind. */
export function ensureDhcpv6InPlace(c: DhclientConventions, iface: string, want: Dhcpv6Kind, warnings: Warnings): LiveResult[] {
  return run(iface, dhcpv6Steps(c, iface, want, runningClient(c, iface), configFile(c, iface)), warnings);
}

/** ifupdown2 reloads changed stanzas in place itself. */
export function hasIfreload(): boolean {
  return ['/sbin/ifreload', '/usr/sbin/ifreload'].some((p) => existsSync(p));
}
