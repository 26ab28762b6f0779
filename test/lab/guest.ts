/** Reading the guest's state back, and waiting for SLAAC/DAD to settle. */
import { DHCP6_RANGE, type Lab } from './lab.js';

export interface GuestAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  scope: string;
  dynamic?: boolean;
  tentative?: boolean;
  temporary?: boolean;
  /** iproute2's JSON key is 'stable-privacy'. */
  'stable-privacy'?: boolean;
  valid_life_time?: number;
}

export async function addresses(lab: Lab): Promise<GuestAddress[]> {
  const [link] = (await lab.guestJson(['addr', 'show', 'dev', 'eth0'])) as { addr_info: GuestAddress[] }[];
  return link?.addr_info ?? [];
}

export async function globals(lab: Lab, family: 'inet' | 'inet6'): Promise<GuestAddress[]> {
  return (await addresses(lab)).filter((a) => a.family === family && a.scope === 'global');
}

export async function routes6(lab: Lab): Promise<{ dst: string; gateway?: string; protocol?: string; dev: string }[]> {
  return lab.guestJson(['-6', 'route', 'show', 'dev', 'eth0']);
}

export async function mtu(lab: Lab): Promise<number> {
  const [link] = (await lab.guestJson(['link', 'show', 'dev', 'eth0'])) as { mtu: number }[];
  return link!.mtu;
}

/** Poll until `done` holds (SLAAC and DAD take a few seconds after link-up), or give up. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Bring the guest's port up and wait until its link-local address is usable (DAD done): RSs can go out. */
export async function linkUp(lab: Lab): Promise<void> {
  await lab.inGuest(['ip', 'link', 'set', 'eth0', 'up']);
  await waitFor('a usable link-local address', () => addresses(lab), (a) => a.some((x) => x.scope === 'link' && !x.tentative));
}

/** Whether an address is one dnsmasq leases in the lab's stateful range. */
export function inDhcp6Range(addr: string): boolean {
  const last = (a: string) => parseInt(a.split(':').pop()!, 16);
  return addr.startsWith('2001:db8:cafe:1::') && last(addr) >= last(DHCP6_RANGE[0]) && last(addr) <= last(DHCP6_RANGE[1]);
}
