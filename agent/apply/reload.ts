/**
 * After files are written: what each network stack needs so that what is on
 * disk is what it uses — at boot (before it starts) and live (the `runcmd`
 * case, while it runs). One module, dispatched by stack.
 */
import type { Warnings } from '../errors.js';
import type { Instance } from '../model/instance.js';
import { usesAutoconf } from '../model/modes.js';
import type { Stack } from '../plan/types.js';
import type { LiveResult } from './live.js';
import { hasIfreload, reloadEniInterface } from './liveEni.js';
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
  readonly actions: readonly LiveResult[];
  readonly usable: readonly Usable[];
  readonly notes: readonly string[];
}

/**
 * Live: bring the running system to the files just written, in place, for the
 * IPv6 interfaces (whose files changed, or whose sysctls did), then wait until
 * each is usable within `waitMs`. Undefined when nothing changed.
 */
export async function reloadLive(stack: Stack, instance: Instance, files: readonly FileResult[], sysctlsChanged: boolean, waitMs: number, warnings: Warnings): Promise<LiveReload | undefined> {
  const ifaces = instance.interfaces.filter((i) => i.ipv6 && !i.bondMaster);
  const changed = NETWORK_DIRS[stack].some((d) => changedUnder(files, d)) || sysctlsChanged;
  // Nothing new on disk: the running network already has it (a second run does nothing, and says so).
  if (!changed || ifaces.length === 0) return undefined;
  const actions: LiveResult[] = [];
  const notes: string[] = [];
  if (stack === 'eni') {
    if (hasIfreload()) actions.push(runTool('ifreload', ['ifreload', '-a'], warnings, 60_000));
    else for (const iface of ifaces) actions.push(...reloadEniInterface(iface, warnings));
  } else {
    notes.push(`live reload for ${stack} is not done yet: the new files take effect when its network service restarts or at the next boot`);
  }
  // An interface that now autoconfigures learns its prefix at the next RA: ask for one now.
  const soliciting = ifaces.filter((i) => usesAutoconf(i.ipv6!.mode)).map((i) => i.name);
  if (soliciting.length) actions.push(...(await solicit(soliciting, warnings)));
  const usable = await waitUsable(ifaces.map((i) => i.name), waitMs);
  for (const u of usable) if (!u.usable) warnings.add(u.iface, `IPv6 not usable after ${(waitMs / 1000).toFixed(0)} s (${u.address ? `address ${u.address}` : 'no non-tentative global address'}, ${u.gateway ? `default via ${u.gateway}` : 'no default route'})`);
  return { actions, usable, notes };
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
