/**
 * "Usable" IPv6, as a user means it: a global address that is no longer
 * tentative (DAD done) and a default route. network-online.target does not
 * promise either. Polled (there is no netlink event for "done"), bounded.
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Usable {
  readonly iface: string;
  readonly usable: boolean;
  readonly afterMs: number;
  readonly address: string | undefined;
  readonly gateway: string | undefined;
}

export function ipJson(args: string[]): any[] {
  const r = spawnSync('ip', ['-j', ...args], { encoding: 'utf8', timeout: 5000 });
  try {
    return r.status === 0 ? (JSON.parse(r.stdout || '[]') as any[]) : [];
  } catch {
    return [];
  }
}

export function usableNow(iface: string): { address: string | undefined; gateway: string | undefined } {
  const [link] = ipJson(['-6', 'addr', 'show', 'dev', iface, 'scope', 'global']);
  const addr = ((link?.addr_info ?? []) as { local: string; tentative?: boolean; dadfailed?: boolean }[]).find((a) => !a.tentative && !a.dadfailed);
  const [route] = ipJson(['-6', 'route', 'show', 'default', 'dev', iface]);
  return { address: addr?.local, gateway: route ? (route.gateway ?? 'on-link') : undefined };
}

export async function waitUsable(ifaces: readonly string[], timeoutMs: number): Promise<Usable[]> {
  const t0 = performance.now();
  const done = new Map<string, Usable>();
  for (;;) {
    for (const iface of ifaces) {
      if (done.has(iface)) continue;
      const now = usableNow(iface);
      if (now.address && now.gateway) done.set(iface, { iface, usable: true, afterMs: performance.now() - t0, ...now });
    }
    const elapsed = performance.now() - t0;
    if (done.size === ifaces.length || elapsed >= timeoutMs) {
      return ifaces.map((iface) => done.get(iface) ?? { iface, usable: false, afterMs: elapsed, ...usableNow(iface) });
    }
    await sleep(100);
  }
}
