/**
 * "Usable" IPv6 after a live reload (agent/apply/usable.ts), judged over what
 * facts/netlink reads: a global address past DAD and a default route. When
 * netlink cannot be read (its FFI module does not load), the check is not
 * made and a warning says why; the run goes on.
 */
import { describe, expect, it } from 'vitest';
import { Warnings } from '../../agent/errors.js';
import { usableNow, waitUsable, type NetSnapshot } from '../../agent/apply/usable.js';
import { IFA_F, type Addr, type Route } from '../../agent/facts/netlinkTypes.js';

const addr = (address: string, flags = 0, iface = 'eth0'): Addr => ({ iface, family: 6, address, prefixLength: 64, scope: address.startsWith('fe80') ? 253 : 0, flags, validLifetime: null, preferredLifetime: null });
const dflt = (iface = 'eth0'): Route => ({ family: 6, iface, dst: '::', dstLength: 0, gateway: 'fe80::1', protocol: 'ra', metric: 1024, expires: 1800, preference: 'medium' });

describe('usableNow', () => {
  it('a global address past DAD and a default route: usable', () => {
    expect(usableNow('eth0', { addresses: [addr('fe80::5'), addr('2001:db8::5')], routes: [dflt()] })).toEqual({ address: '2001:db8::5', gateway: 'fe80::1' });
  });

  it('a tentative or dadfailed address does not count, nor a link-local one', () => {
    const now = { addresses: [addr('fe80::5'), addr('2001:db8::5', IFA_F.tentative), addr('2001:db8::6', IFA_F.dadfailed)], routes: [dflt()] };
    expect(usableNow('eth0', now).address).toBeUndefined();
  });

  it("another interface's default route, or a prefix route, does not count; an on-link default does", () => {
    expect(usableNow('eth0', { addresses: [addr('2001:db8::5')], routes: [dflt('eth1'), { ...dflt(), dstLength: 64, dst: '2001:db8::' }] }).gateway).toBeUndefined();
    expect(usableNow('eth0', { addresses: [], routes: [{ ...dflt(), gateway: undefined }] }).gateway).toBe('on-link');
  });
});

describe('waitUsable', () => {
  it('polls until the address leaves DAD', async () => {
    let looks = 0;
    const read = (): NetSnapshot => ({ addresses: [addr('2001:db8::5', ++looks < 4 ? IFA_F.tentative : 0)], routes: [dflt()] });
    const [u] = await waitUsable(['eth0'], 5000, new Warnings(), read);
    expect(u).toMatchObject({ iface: 'eth0', usable: true, address: '2001:db8::5', gateway: 'fe80::1' });
    expect(looks).toBeGreaterThanOrEqual(4);
  });

  it('says what is missing when the time is up', async () => {
    const [u] = await waitUsable(['eth0'], 150, new Warnings(), () => ({ addresses: [addr('2001:db8::5')], routes: [] }));
    expect(u).toMatchObject({ iface: 'eth0', usable: false, address: '2001:db8::5', gateway: undefined });
  });

  it('reports the check as not made, with the reason, when netlink cannot be read', async () => {
    const warnings = new Warnings();
    const read = (): NetSnapshot => {
      throw new Error('cannot load the FFI module (koffi.node): no private directory allows executable mappings\nmore');
    };
    expect(await waitUsable(['eth0'], 1000, warnings, read)).toEqual([]);
    expect(warnings.list).toEqual([{ where: 'usable', message: 'whether IPv6 is usable was not checked: addresses and routes could not be read (cannot load the FFI module (koffi.node): no private directory allows executable mappings); see `ip -6 addr` and `ip -6 route`' }]);
  });
});
