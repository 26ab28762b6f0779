/**
 * After files are written: what each network stack needs so that what is on
 * disk is what it uses — at boot (before it starts) and live (the `runcmd`
 * case, while it runs). One module, dispatched by stack.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Warnings } from '../errors.js';
import type { Instance } from '../model/instance.js';
import { usesAutoconf } from '../model/modes.js';
import type { Stack } from '../plan/types.js';
import type { LiveResult, ReloadAction } from './live.js';
import { ensureDhcpv6InPlace, hasIfreload, reloadInPlace } from './liveInPlace.js';
import { reloadNm, type NmProfile } from './liveNm.js';
import { networkManagerPid } from '../../distro/stack.js';
import { NM_DEFAULTS, nmProfilePath } from '../../distro/networkmanager.js';
import { dhclientConventions, IFUPDOWN, INITSCRIPTS, type Dhcpv6Kind } from '../../distro/dhcpv6Client.js';
import { runTool } from './tool.js';
import { waitUsable, type Usable } from './usable.js';
import type { FileResult } from './write.js';

export { runTool } from './tool.js';

const changedUnder = (files: readonly FileResult[], dir: string): boolean => files.some((f) => f.status !== 'unchanged' && f.path.startsWith(dir));

/** Where each stack keeps the files whose change means "reconfigure the network". */
const NETWORK_DIRS: Readonly<Record<Stack, readonly string[]>> = {
  eni: ['/etc/network/'],
  ifcfg: ['/etc/sysconfig/network-scripts/'],
  netplan: ['/etc/netplan/'],
  networkmanager: ['/etc/NetworkManager/'],
  networkd: ['/etc/systemd/network/'],
};

/**
 * At boot, before any network manager: netplan's generator ran before us, so a
 * changed /etc/netplan must be generated again for networkd/NetworkManager to
 * read it when they start. The other stacks read their files when they start.
 */
export function afterWrite(stack: Stack, files: readonly FileResult[], warnings: Warnings): LiveResult[] {
  if (stack === 'netplan' && changedUnder(files, '/etc/netplan/')) return [runTool('netplan', ['netplan', 'generate'], warnings)];
  return [];
}

export interface LiveReload {
  readonly actions: readonly ReloadAction[];
  readonly usable: readonly Usable[];
  readonly notes: readonly string[];
}

/**
 * The interfaces whose configuration changed: a changed file that names one
 * (`…-IF.network`, `v6agent-IF.nmconnection`, `60-v6agent-IF.conf`, `ifcfg-IF`,
 * `route6-IF`) is that one's; any other changed network file (netplan's single
 * YAML, a removed cloud-init file) may concern them all.
 */
export function changedInterfaces(stack: Stack, names: readonly string[], files: readonly FileResult[], sysctlsChanged: boolean): string[] {
  const relevant = files.filter((f) => f.status !== 'unchanged' && (NETWORK_DIRS[stack].some((d) => f.path.startsWith(d)) || f.path.startsWith('/etc/sysctl.d/')));
  if (sysctlsChanged && !relevant.some((f) => f.path.startsWith('/etc/sysctl.d/'))) return [...names];
  const named = (path: string): string | undefined => {
    const base = path.slice(path.lastIndexOf('/') + 1);
    // The longest name that fits: `ifcfg-eth0.100` is the VLAN's, not eth0's.
    return names.filter((n) => base.includes(`-${n}.`) || base.endsWith(`-${n}`)).sort((a, b) => b.length - a.length)[0];
  };
  if (relevant.some((f) => !named(f.path) && !f.path.startsWith('/etc/sysctl.d/'))) return [...names];
  return names.filter((n) => relevant.some((f) => named(f.path) === n));
}

/**
 * Live: bring the running system to the files just written, in place, for the
 * IPv6 interfaces whose files (or sysctls) changed, then wait until each is
 * usable within `waitMs`. Undefined when nothing changed.
 */
export async function reloadLive(stack: Stack, instance: Instance, files: readonly FileResult[], sysctlsChanged: boolean, waitMs: number, warnings: Warnings): Promise<LiveReload | undefined> {
  const names = changedInterfaces(stack, instance.interfaces.filter((i) => i.ipv6 && !i.bondMaster).map((i) => i.name), files, sysctlsChanged);
  const ifaces = instance.interfaces.filter((i) => names.includes(i.name));
  const changed = NETWORK_DIRS[stack].some((d) => changedUnder(files, d)) || sysctlsChanged;
  // Nothing new on disk: the running network already has it (a second run does nothing, and says so).
  if (!changed || ifaces.length === 0) return undefined;
  const actions: ReloadAction[] = [];
  const notes: string[] = [];
  const nm = async (profiles: NmProfile[]): Promise<void> => {
    const r = await reloadNm(profiles, files, files.some((f) => f.path === NM_DEFAULTS && f.status !== 'unchanged'), warnings);
    actions.push(...r.actions);
    notes.push(...r.notes);
  };
  switch (stack) {
    case 'eni':
      if (hasIfreload()) actions.push(runTool('ifreload', ['ifreload', '-a'], warnings, 60_000));
      else for (const iface of ifaces) actions.push(...reloadInPlace(IFUPDOWN, iface, warnings));
      break;
    case 'networkmanager':
      await nm(names.map((iface) => ({ iface, path: nmProfilePath(iface) })));
      break;
    case 'networkd':
      actions.push(...reloadNetworkd(names, warnings));
      break;
    case 'netplan': {
      const gen = runTool('netplan', ['netplan', 'generate'], warnings, 60_000);
      actions.push(gen);
      if (gen.status === 'failed') break;
      // Never `netplan apply` on the NetworkManager backend: it disconnects every device.
      const viaNm = networkManagerPid() ? names.flatMap((iface) => netplanNmProfile(iface) ?? []) : [];
      if (viaNm.length) await nm(viaNm);
      const viaNetworkd = names.filter((n) => !viaNm.some((p) => p.iface === n));
      if (viaNetworkd.length) actions.push(...reloadNetworkd(viaNetworkd, warnings));
      break;
    }
    case 'ifcfg':
      // initscripts has no reload: ifdown + ifup would flush the addresses and cut the session; the same in-place steps as ifupdown.
      for (const iface of ifaces) actions.push(...reloadInPlace(INITSCRIPTS, iface, warnings));
  }
  // An interface that now autoconfigures learns its prefix at the next RA: ask for one now.
  const soliciting = ifaces.filter((i) => usesAutoconf(i.ipv6!.mode)).map((i) => i.name);
  if (soliciting.length) actions.push(...(await solicit(soliciting, warnings)));
  const usable = await waitUsable(names, waitMs, warnings);
  for (const u of usable) if (!u.usable) warnings.add(u.iface, `IPv6 not usable after ${(waitMs / 1000).toFixed(0)} s (${u.address ? `address ${u.address}` : 'no non-tentative global address'}, ${u.gateway ? `default via ${u.gateway}` : 'no default route'})`);
  return { actions, usable, notes };
}

/**
 * doctor --fix: the DHCPv6 client `want` needs on `iface`, live, as its stack
 * runs it. ifupdown and initscripts: the client their ifup starts (the
 * in-place reloader, so their ifdown stops it); with no stack detected,
 * ifupdown's conventions. The daemons run DHCPv6 themselves as the RA's M/O
 * flags say: they re-apply the interface's configuration, in place.
 */
export function ensureDhcpv6(stack: Stack | undefined, iface: string, want: Dhcpv6Kind, warnings: Warnings): LiveResult[] {
  const conventions = dhclientConventions(stack ?? 'eni');
  if (conventions) return ensureDhcpv6InPlace(conventions, iface, want, warnings);
  const nmRuns = stack === 'networkmanager' || (stack === 'netplan' && networkManagerPid() !== undefined);
  return nmRuns ? [runTool(iface, ['nmcli', '--wait', '30', 'device', 'reapply', iface], warnings, 60_000)] : reloadNetworkd([iface], warnings);
}

const NETPLAN_NM = '/run/NetworkManager/system-connections';

/** The keyfile netplan generated for `iface` on the NetworkManager backend (`netplan-ID.nmconnection`, ID its YAML key). */
function netplanNmProfile(iface: string): NmProfile | undefined {
  let names: string[];
  try {
    names = readdirSync(NETPLAN_NM).filter((n) => n.startsWith('netplan-') && n.endsWith('.nmconnection'));
  } catch {
    return undefined;
  }
  const own = names.find((n) => {
    try {
      return new RegExp(`^interface-name=${iface.replace(/[.]/g, '\\.')}$`, 'm').test(readFileSync(`${NETPLAN_NM}/${n}`, 'utf8'));
    } catch {
      return false;
    }
  }) ?? names.find((n) => n === `netplan-${iface}.nmconnection`);
  return own ? { iface, path: `${NETPLAN_NM}/${own}` } : undefined;
}

/** systemd-networkd ≥ 244: re-read the .network files, then re-apply each changed link's (the link stays up). */
export function reloadNetworkd(names: readonly string[], warnings: Warnings): LiveResult[] {
  const reload = runTool('systemd-networkd', ['networkctl', 'reload'], warnings);
  if (reload.status === 'failed') return [reload];
  return [reload, ...names.map((n) => runTool(n, ['networkctl', 'reconfigure', n], warnings))];
}

async function solicit(ifaces: string[], warnings: Warnings): Promise<LiveResult[]> {
  try {
    const { probeRouters } = await import('../ra/wire.js');
    return probeRouters(ifaces, 1000).map((w) => ({ what: w.iface, from: undefined, to: `router solicitation (${w.routers.length} router(s) answered)`, status: 'changed' as const }));
  } catch (e) {
    warnings.add('router solicitation', `not sent: ${(e as Error).message.split('\n')[0]}`);
    return [];
  }
}
