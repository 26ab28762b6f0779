/**
 * Drive shapes other clouds and tools write (issue 10): numeric bond modes,
 * DNS under routes, a network-level gateway, a network-level MTU. Each is read
 * into the model (so every renderer gets it) or rejected naming the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMetadata } from '../../agent/commands/metadata.js';
import { bondModeOf } from '../../agent/model/instance.js';
import { editJson } from '../drives.js';
import { IFACE, inputs } from '../inputs.js';

const t = inputs();
afterEach(() => t.clean());
const BOND_IFACES = ['fa:16:3e:5c:2a:7e=eth0', 'fa:16:3e:11:22:33=eth1'];

const bondOf = async (drive: string) => {
  const { instance } = await runMetadata({ configDrive: drive, iface: BOND_IFACES });
  return instance.interfaces.find((i) => i.name === 'bond0')!.kind;
};

describe('bond modes', () => {
  it.each([
    [0, 'balance-rr'],
    ['1', 'active-backup'],
    [2, 'balance-xor'],
    ['3', 'broadcast'],
    ['4', '802.3ad'],
    [5, 'balance-tlb'],
    ['6', 'balance-alb'],
    ['active-backup', 'active-backup'],
  ])('maps %j to %s in the model, so every renderer writes the name', async (given, name) => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => (j.links[2].bond_mode = given));
    expect(await bondOf(d)).toMatchObject({ type: 'bond', mode: name });
  });

  it('renders a numeric mode by name for ifupdown and ifcfg', async () => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => (j.links[2].bond_mode = 1));
    const eni = await t.apply(d, 'debian', BOND_IFACES);
    expect(readFileSync(join(eni.root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('    bond-mode active-backup\n');
    const rhel = await t.apply(d, 'rhel', BOND_IFACES);
    expect(readFileSync(join(rhel.root, 'etc/sysconfig/network-scripts/ifcfg-bond0'), 'utf8')).toContain("BONDING_OPTS='mode=active-backup ");
  });

  it.each([7, '7', -1, 4.5, '04', 'lacp', '802.3AD', true, {}])('rejects %j naming the field', async (given) => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => (j.links[2].bond_mode = given));
    await t.expectRejected(d, /links\[2\]\.bond_mode: must be one of 802\.3ad, .* or a number from 0 to 6/, BOND_IFACES);
  });

  it('knows no mode outside 0-6 and no object member', () => {
    expect(['toString', '__proto__', 'constructor', 'length', '', ' 4', 7, NaN].map(bondModeOf)).toEqual(Array(8).fill(undefined));
  });
});

describe('DNS services', () => {
  it('reads them under routes, networks and the top level, de-duplicated in order', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => {
      j.services = [{ type: 'dns', address: '2001:db8:53::1' }];
      j.networks[0].services = [{ type: 'dns', address: '2001:db8:53::2' }, { type: 'dns', address: '2001:db8:53::1' }];
      j.networks[0].routes[0].services = [{ type: 'dns', address: '2001:db8:53::2' }, { type: 'ntp', address: '2001:db8:53::9' }];
      j.networks[0].routes[1].services = [{ type: 'dns', address: '2001:db8:53::3' }];
    });
    const { instance } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.dns.nameservers).toEqual(['2001:db8:53::1', '2001:db8:53::2', '2001:db8:53::3']);
  });

  it('keeps the nameserver limit for those under routes too, with a warning', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => {
      j.services = [];
      j.networks[0].services = [];
      j.networks[0].routes[0].services = ['1', '2', '3', '4'].map((n) => ({ type: 'dns', address: `2001:db8:53::${n}` }));
    });
    const { instance, warnings } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.dns.nameservers).toHaveLength(3);
    expect(warnings.some((w) => /4 nameservers; glibc uses only 3, dropped 2001:db8:53::4/.test(w.message))).toBe(true);
  });

  it('rejects a route nameserver that is not an address, naming the field', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].routes[1].services = [{ type: 'dns', address: '2001:db8::53\nnameserver 203.0.113.1' }]));
    await t.expectRejected(d, /networks\[0\]\.routes\[1\]\.services\[0\]\.address: .* is not an IP address/);
  });

  it('rejects route services that are not a list', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].routes[0].services = { type: 'dns' }));
    await t.expectRejected(d, /networks\[0\]\.routes\[0\]\.services: must be a list/);
  });
});

describe('a network-level gateway', () => {
  const gatewayOnly = (d: string, gateway: unknown): void =>
    editJson(d, 'network_data.json', (j) => {
      j.networks[0].routes = j.networks[0].routes.filter((r: { network: string }) => r.network !== '::');
      j.networks[0].gateway = gateway;
    });

  it('is the default route when the routes give none', async () => {
    const d = t.drive('v6only-static');
    gatewayOnly(d, 'fe80::1');
    const { instance, warnings } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.interfaces[0]!.ipv6).toMatchObject({ gateway: 'fe80::1', routes: [{ network: '2001:db8:99::', prefix: 48 }] });
    expect(warnings).toEqual([]);
  });

  it('loses to a differing default route, with a warning naming both', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].gateway = '2001:db8:40:1::2'));
    const { instance, warnings } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.interfaces[0]!.ipv6!.gateway).toBe('2001:db8:40:1::1');
    expect(warnings.map((w) => `${w.where.replace(/.*json: /, '')}: ${w.message}`)).toEqual([
      "networks[0].gateway: 2001:db8:40:1::2 differs from the default route's gateway 2001:db8:40:1::1 in networks[0].routes; using the route's",
    ]);
  });

  it('agrees silently with an equal default route', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].gateway = '2001:db8:40:1:0::1'));
    expect((await runMetadata({ configDrive: d, iface: IFACE })).warnings).toEqual([]);
  });

  it.each(['192.0.2.1', 'fe80::1%eth0', '$(reboot)', 7])('rejects %j on an IPv6 network, naming the field', async (gateway) => {
    const d = t.drive('v6only-static');
    gatewayOnly(d, gateway);
    await t.expectRejected(d, /networks\[0\]\.gateway: .* is not an IPv6 address/);
  });
});

describe('a network-level MTU', () => {
  it("is the link's when the link has none", async () => {
    const d = t.drive('v6only-slaac');
    editJson(d, 'network_data.json', (j) => (j.networks[0].mtu = 1400));
    const { instance } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.interfaces[0]!.mtu).toBe(1400);
  });

  it("loses to the link's own", async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].mtu = 1400));
    const { instance } = await runMetadata({ configDrive: d, iface: IFACE });
    expect(instance.interfaces[0]!.mtu).toBe(1450);
  });

  it('is rejected below 1280 on an IPv6 network, naming the field', async () => {
    const d = t.drive('v6only-slaac');
    editJson(d, 'network_data.json', (j) => (j.networks[0].mtu = 1000));
    await t.expectRejected(d, /networks\[0\]\.mtu: 1000 is below 1280/);
  });

  it('is rejected when it is not a number', async () => {
    const d = t.drive('v6only-slaac');
    editJson(d, 'network_data.json', (j) => (j.networks[0].mtu = '1400\nup reboot'));
    await t.expectRejected(d, /networks\[0\]\.mtu: must be an integer/);
  });
});
