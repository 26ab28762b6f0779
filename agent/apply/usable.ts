/**
 * "Usable" IPv6, as a user means it: a global address that is no longer
 * tentative (DAD done) and a default route. network-online.target does not
 * promise either. Polled (there is no netlink event for "done"), bounded.
 * Addresses and routes come from facts/netlink, loaded here on demand: its
 * FFI module may not load (no directory allows executable mappings), and
 * then the files are still written and the check is reported as not made.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Warnings } from '../errors.js';
import { IFA_F, type Addr, type Route } from '../facts/netlinkTypes.js';

export interface Usable {
  readonly iface: string;
  readonly usable: boolean;
  readonly afterMs: number;
  readonly address: string | undefined;
  readonly gateway: string | undefined;
}

/** One look at the kernel: every address and every main-table route. */
export interface NetSnapshot {
  readonly addresses: readonly Addr[];
  readonly routes: readonly Route[];
}

/** A reader of addresses and routes over netlink; throws if its FFI module cannot load. */
export async function netlinkSnapshots(): Promise<() => NetSnapshot> {
  const nl = await import('../facts/netlink.js');
  return () => {
    const names = nl.linkNames();
    return { addresses: nl.readAddresses(names), routes: nl.readRoutes(names) };
  };
}

/** `iface`'s first global IPv6 address past DAD, and its IPv6 default route's gateway ('on-link' without one). Pure. */
export function usableNow(iface: string, now: NetSnapshot): { address: string | undefined; gateway: string | undefined } {
  const addr = now.addresses.find((a) => a.iface === iface && a.family === 6 && a.scope === 0 && (a.flags & (IFA_F.tentative | IFA_F.dadfailed)) === 0);
  const route = now.routes.find((r) => r.family === 6 && r.iface === iface && r.dstLength === 0);
  return { address: addr?.address, gateway: route ? (route.gateway ?? 'on-link') : undefined };
}

/** Wait until each of `ifaces` is usable, at most `timeoutMs`; [] with a warning when netlink cannot be read. */
export async function waitUsable(ifaces: readonly string[], timeoutMs: number, warnings: Warnings, read?: () => NetSnapshot): Promise<Usable[]> {
  const notChecked = (e: unknown): Usable[] => {
    warnings.add('usable', `whether IPv6 is usable was not checked: addresses and routes could not be read (${(e as Error).message.split('\n')[0]}); see \`ip -6 addr\` and \`ip -6 route\``);
    return [];
  };
  let look: () => NetSnapshot;
  try {
    look = read ?? (await netlinkSnapshots());
  } catch (e) {
    return notChecked(e);
  }
  const t0 = performance.now();
  const done = new Map<string, Usable>();
  for (;;) {
    let now: NetSnapshot;
    try {
      now = look();
    } catch (e) {
      return notChecked(e);
    }
    for (const iface of ifaces) {
      if (done.has(iface)) continue;
      const u = usableNow(iface, now);
      if (u.address && u.gateway) done.set(iface, { iface, usable: true, afterMs: performance.now() - t0, ...u });
    }
    const elapsed = performance.now() - t0;
    if (done.size === ifaces.length || elapsed >= timeoutMs) {
      return ifaces.map((iface) => done.get(iface) ?? { iface, usable: false, afterMs: elapsed, ...usableNow(iface, now) });
    }
    await sleep(100);
  }
}
