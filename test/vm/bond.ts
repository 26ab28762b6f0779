/**
 * The bond cases of test/vm/boot.test.ts: two virtio NICs, each on a tap of
 * its own in the lab bridge, bonded active-backup as nova's Ironic driver
 * describes a port group, the IPv6 subnet (SLAAC) on the bond. The bond's MAC
 * is a third one (a port group without an address of its own: Neutron's port
 * MAC), so it can only come from the drive, never from a member.
 */
import { expect } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import type { GuestReport, VmCase } from './vm.js';

/** A bond case: `PREFIX:00` is the bond's MAC (the port's), `PREFIX:01` and `PREFIX:02` its members'. */
export function bondCase(name: string, prefix: string): VmCase {
  return { name, mode: 'slaac', ipv4: false, drive: 'iso9660', mac: `${prefix}:00`, bond: { members: [`${prefix}:01`, `${prefix}:02`] } };
}

/**
 * The bond exists, in active-backup mode, with both NICs enslaved (known by
 * their permanent MACs: enslaved, they carry the bond's); it has the drive's
 * MAC, and so the EUI-64 link-local of that MAC (`expectEveryCase`); the
 * members carry no IPv6 address of their own.
 */
export function expectBond(c: VmCase, r: GuestReport, bond: GuestReport['addr'][number]): void {
  const link = r.links.find((l) => l.ifname === bond.ifname);
  expect(link?.linkinfo, `${bond.ifname} is a bond`).toMatchObject({ info_kind: 'bond', info_data: { mode: 'active-backup' } });
  expect(link?.address).toBe(c.mac);
  const members = r.links.filter((l) => l.master === bond.ifname);
  expect(members.map((m) => m.permaddr ?? m.linkinfo?.info_slave_data?.perm_hwaddr ?? m.address).sort()).toEqual([...c.bond!.members].sort());
  expect(members.map((m) => m.linkinfo?.info_slave_data?.state).sort()).toEqual(['ACTIVE', 'BACKUP']);
  for (const m of members) {
    const addrs = r.addr.find((a) => a.ifname === m.ifname)?.addr_info ?? [];
    expect(addrs.filter((a) => a.family === 'inet6'), `${m.ifname} (a member) has no IPv6 address`).toEqual([]);
  }
  // Nothing derived from a member's own MAC anywhere.
  const all = r.addr.flatMap((a) => a.addr_info.map((i) => i.local));
  for (const mac of c.bond!.members) expect(all).not.toContain(eui64Address('fe80::', mac));
}
