/** Folding what the routers said into the model: the router decides DHCPv6, the drive keeps the rest. */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { copyDrive, editJson } from '../drives.js';
import { runMetadata } from '../../agent/commands/metadata.js';
import { Warnings } from '../../agent/errors.js';
import { applyObservations } from '../../agent/model/observed.js';
import { modeOfRouters, type InterfaceReport, type RouterReport } from '../../agent/ra/observe.js';

const router = (over: Partial<RouterReport> = {}): RouterReport => ({
  address: 'fe80::1',
  afterMs: 1,
  managed: false,
  other: false,
  lifetime: 1800,
  preference: 'medium',
  mtu: null,
  prefixes: [{ prefix: '2001:db8:10:1::/64', onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400 }],
  rdnss: [],
  dnssl: [],
  pref64: [],
  routes: [],
  ...over,
});
const seen = (mode: InterfaceReport['mode'], routers: RouterReport[], source: InterfaceReport['source'] = 'wire'): InterfaceReport[] => [{ name: 'eth0', mode, source, elapsedMs: 1, routers, notes: [], kernel: null }];
const drive = async (name: string) => (await runMetadata({ configDrive: `test/golden/${name}/drive`, iface: ['fa:16:3e:5c:2a:7e=eth0'] })).instance;

describe('the mode of a link from its routers', () => {
  it('is stateful if any router sets M, even with O=0', () => {
    expect(modeOfRouters([router(), router({ managed: true, prefixes: [] })])).toBe('dhcpv6-stateful');
  });

  it('is unmanaged for a router with no autoconf prefix and no M/O, and none with no router', () => {
    expect(modeOfRouters([router({ prefixes: [] })])).toBe('unmanaged');
    expect(modeOfRouters([])).toBe('none');
  });
});

describe('applying observations', () => {
  it('lets the router decide the mode of a legacy ipv6_dhcp drive, and says so', async () => {
    const w = new Warnings();
    const out = applyObservations(await drive('legacy-ipv6-dhcp'), seen('dhcpv6-stateless', [router({ other: true })]), w);
    expect(out.interfaces[0]!.ipv6!.mode).toBe('dhcpv6-stateless');
    expect(w.list[0]!.message).toMatch(/legacy ipv6_dhcp \(mode unknown\) but the router \(wire\) announces dhcpv6-stateless; following the router/);
  });

  it('follows the router when the drive declares another dynamic mode', async () => {
    const w = new Warnings();
    const out = applyObservations(await drive('v6only-dhcpv6-stateful'), seen('slaac', [router()]), w);
    expect(out.interfaces[0]!.ipv6!.mode).toBe('slaac');
    expect(w.list).toHaveLength(1);
  });

  it("keeps a static drive's address whatever the router says, with a warning", async () => {
    const w = new Warnings();
    const out = applyObservations(await drive('v6only-static'), seen('slaac', [router()]), w);
    expect(out.interfaces[0]!.ipv6!.mode).toBe('static');
    expect(w.list[0]!.message).toMatch(/drive says static/);
  });

  it('changes nothing when no router answered', async () => {
    const w = new Warnings();
    const before = await drive('v6only-dhcpv6-stateful');
    expect(applyObservations(before, seen('none', [], 'none'), w)).toEqual(before);
    expect(w.list).toEqual([]);
  });

  it('takes DNS from RDNSS and DNSSL only when the drive has none', async () => {
    const rdnss = seen('slaac', [router({ rdnss: ['2001:db8:cafe:a::e'], dnssl: ['OpenStackLocal', 'bad name'] })]);
    const d = copyDrive('v6only-slaac');
    editJson(d, 'network_data.json', (j) => {
      j.services = [];
      j.networks[0].services = [];
    });
    const none = (await runMetadata({ configDrive: d, iface: [] })).instance;
    rmSync(d, { recursive: true, force: true });
    expect(none.dns.nameservers).toEqual([]);
    expect(applyObservations(none, rdnss, new Warnings()).dns).toEqual({ nameservers: ['2001:db8:cafe:a::e'], search: ['openstacklocal'] });
    const some = await drive('v6only-slaac');
    expect(applyObservations(some, rdnss, new Warnings()).dns).toEqual(some.dns);
  });

  it("takes the MTU from the RA only when the link's is null", async () => {
    const ra = seen('slaac', [router({ mtu: 1450 })]);
    expect(applyObservations(await drive('v6only-slaac'), ra, new Warnings()).interfaces[0]!.mtu).toBe(1450);
    expect(applyObservations(await drive('v6only-static'), seen('unmanaged', [router({ mtu: 1280, prefixes: [] })]), new Warnings()).interfaces[0]!.mtu).toBe(1450);
  });

  it.each([100, 1279, 70000])('ignores an RA MTU of %i with a warning: it is never persisted', async (mtu) => {
    const w = new Warnings();
    const out = applyObservations(await drive('v6only-slaac'), seen('slaac', [router({ mtu })]), w);
    expect(out.interfaces[0]!.mtu).toBeUndefined();
    expect(w.list.map((x) => x.message)).toEqual([`router fe80::1 announces MTU ${mtu}, outside 1280-65535; ignored`]);
  });

  it('finds no disagreement when a static subnet\'s router announces no prefix and no M/O', async () => {
    const w = new Warnings();
    const out = applyObservations(await drive('v6only-static'), seen('unmanaged', [router({ prefixes: [] })]), w);
    expect(out.interfaces[0]!.ipv6!.mode).toBe('static');
    expect(w.list).toEqual([]);
  });
});
