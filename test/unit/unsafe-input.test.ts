/**
 * Inputs that can never stop the network or crash the run (issue 9, item 4):
 * a broken link graph, a hostile network type, an address no host can have or
 * an MTU IPv6 cannot use is an input error naming the field (exit 3, nothing
 * written); user_data and files v6agent does not use can only warn.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, V6Error, Warnings } from '../../agent/errors.js';
import { interfaceNames, loadInstance } from '../../agent/load.js';
import { editJson, writeDriveFile } from '../drives.js';
import { inputs } from '../inputs.js';
import { keptStanzas } from '../../distro/eniKeep.js';

const t = inputs();
afterEach(() => t.clean());

describe('network_data.json link graphs are checked', () => {
  it('rejects VLANs that stack on each other in a cycle, naming the links', async () => {
    const d = t.drive('vlan');
    editJson(d, 'network_data.json', (j) => {
      j.links.push({ id: 'vlan1', type: 'vlan', vlan_link: 'vlan0', vlan_id: 200 });
      j.links[1].vlan_link = 'vlan1';
    });
    await t.expectRejected(d, /links\[\d\]\.vlan_link: links refer to each other in a cycle: "vlan\d" → "vlan\d" → "vlan\d"/);
  });

  it('rejects a VLAN on itself', async () => {
    const d = t.drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.links[1].vlan_link = 'vlan0'));
    await t.expectRejected(d, /links\[1\]\.vlan_link: link "vlan0" refers to itself/);
  });

  it('rejects a bond that contains itself through a VLAN', async () => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => {
      j.links.push({ id: 'v', type: 'vlan', vlan_link: j.links[2].id, vlan_id: 7 });
      j.links[2].bond_links.push('v');
    });
    await t.expectRejected(d, /links\[\d\]\.(bond_links|vlan_link): links refer to each other in a cycle/);
  });

  it('rejects a link that is a member of two bonds', async () => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => j.links.push({ id: 'bond1', type: 'bond', bond_links: ['eth1l'], bond_mode: 'active-backup', ethernet_mac_address: 'fa:16:3e:11:22:33' }));
    await t.expectRejected(d, /links\[3\]\.bond_links: link "eth1l" is a member of bond "bond0" and of bond "bond1"/);
  });

  it('rejects a bond member listed twice', async () => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => j.links[2].bond_links.push('eth0l'));
    await t.expectRejected(d, /links\[2\]\.bond_links: link "eth0l" is a member of bond "bond0" twice/);
  });

  it('rejects a bond member that is not a link', async () => {
    const d = t.drive('bond');
    editJson(d, 'network_data.json', (j) => j.links[2].bond_links.push('nowhere'));
    await t.expectRejected(d, /links\[2\]\.bond_links: unknown link "nowhere"/);
  });

  it('rejects two physical links with one MAC, naming both', async () => {
    const d = t.drive('two-nics');
    editJson(d, 'network_data.json', (j) => (j.links[1].ethernet_mac_address = j.links[0].ethernet_mac_address.toUpperCase()));
    await t.expectRejected(d, /links\[1\]\.ethernet_mac_address: MAC fa:16:3e:5c:2a:7e of link ".+" is also that of link ".+"/);
  });
});

describe('a network type is looked up, never an object member', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])('skips type %j with a warning and writes no static IPv4', async (type) => {
    const d = t.drive();
    editJson(d, 'network_data.json', (j) => {
      j.networks[0].type = type;
      j.networks[0].ip_address = '192.0.2.10';
      j.networks[0].netmask = '255.255.255.0';
    });
    const { root, report } = await t.apply(d);
    expect(report.warnings.some((w) => /networks\[0\]\.type/.test(w.where) && /unknown network type/.test(w.message))).toBe(true);
    const eni = readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8');
    expect(eni).not.toContain('inet static');
    expect(eni).not.toContain('192.0.2.10');
  });
});

describe('a static address must be one a host can have', () => {
  it.each([
    ['::', /is the unspecified address/],
    ['::1', /is the loopback address/],
    ['ff02::1', /is a multicast address/],
    ['fe80::10', /is a link-local address/],
    ['::ffff:192.0.2.10', /is an IPv4-mapped address/],
    ['fec0::10', /neither global .* nor unique-local/],
  ])('rejects IPv6 %s', async (address, why) => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].ip_address = address));
    await t.expectRejected(d, new RegExp(`networks\\[0\\]\\.ip_address: .* ${why.source}`));
  });

  it('accepts a unique-local address', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].ip_address = 'fd00:db8::10'));
    const { root } = await t.apply(d);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('address fd00:db8::10/64');
  });

  it.each(['0.0.0.0', '127.0.0.1', '224.0.0.1', '255.255.255.255', '192.0.2.0', '192.0.2.255'])('rejects IPv4 %s', async (address) => {
    const d = t.drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.networks[0].ip_address = address));
    await t.expectRejected(d, /networks\[0\]\.ip_address: .* must be unicast/);
  });
});

describe('an MTU is one the link can carry', () => {
  it('rejects an MTU below 1280 on a link with IPv6', async () => {
    const d = t.drive();
    editJson(d, 'network_data.json', (j) => (j.links[0].mtu = 1000));
    await t.expectRejected(d, /links\[0\]\.mtu: 1000 is below 1280, the IPv6 minimum, and it carries IPv6/);
  });

  it('rejects an MTU below 1280 on the raw link of a VLAN with IPv6', async () => {
    const d = t.drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.links[0].mtu = 1200));
    await t.expectRejected(d, /links\[0\]\.mtu: 1200 is below 1280.* link "vlan0" on it carries IPv6/);
  });

  it('accepts an MTU below 1280 on a link with IPv4 only', async () => {
    const d = t.drive();
    editJson(d, 'network_data.json', (j) => {
      j.links[0].mtu = 1000;
      j.networks.splice(1, 1);
    });
    const { root } = await t.apply(d);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('mtu 1000');
  });

  it('rejects an MTU above 65535', async () => {
    const d = t.drive();
    editJson(d, 'network_data.json', (j) => (j.links[0].mtu = 65536));
    await t.expectRejected(d, /links\[0\]\.mtu: must be an integer from 68 to 65535/);
  });
});

describe('a drive for another machine', () => {
  const sysWith = (mac: string): string => {
    const sys = mkdtempSync(join(tmpdir(), 'v6agent-sys-'));
    mkdirSync(join(sys, 'ens3', 'device'), { recursive: true });
    writeFileSync(join(sys, 'ens3', 'address'), `${mac}\n`);
    return sys;
  };

  it('is an input error when no link matches a NIC here, so nothing network-related is written', async () => {
    const sys = sysWith('52:54:00:00:00:01');
    const names = interfaceNames(new Map(), { sysfs: true, fallback: false }, sys);
    let error: unknown;
    try {
      await loadInstance(t.drive(), names, new Warnings());
    } catch (e) {
      error = e;
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
    expect(error).toBeInstanceOf(V6Error);
    expect((error as V6Error).exitCode).toBe(ExitCode.badInput);
    expect((error as V6Error).message).toMatch(/network_data\.json: links: no link matches a NIC of this machine: tapcd9f6d46-4a \(fa:16:3e:5c:2a:7e\)/);
  });

  it('configures the NICs that match and skips the rest with a warning', async () => {
    const sys = sysWith('fa:16:3e:5c:2a:7e');
    const names = interfaceNames(new Map(), { sysfs: true, fallback: false }, sys);
    const w = new Warnings();
    const instance = await loadInstance(t.drive('two-nics'), names, w).finally(() => rmSync(sys, { recursive: true, force: true }));
    expect(instance.interfaces.map((i) => i.name)).toEqual(['ens3']);
    expect(w.list.map((x) => x.message).join('\n')).toMatch(/no interface has MAC .*; link skipped/);
  });

  it("keeps a cloud-init fragment that also configures a NIC the drive does not describe", async () => {
    const root = t.root();
    const fragment = '# This file is generated from information provided by the datasource.\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n\nauto eth1\niface eth1 inet dhcp\n';
    mkdirSync(join(root, 'etc/network/interfaces.d'), { recursive: true });
    writeFileSync(join(root, 'etc/network/interfaces.d/50-cloud-init'), fragment);
    const { report } = await t.apply(t.drive(), 'debian', undefined, root);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-cloud-init'), 'utf8')).toBe(fragment);
    expect(report.warnings.some((w) => /50-cloud-init$/.test(w.where) && /also eth1, which the drive does not describe; kept/.test(w.message))).toBe(true);
  });
});

describe('#cloud-config can only warn', () => {
  const laughs = [
    '#cloud-config',
    'hostname: laughs',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    '',
  ].join('\n');

  it('reads a billion-laughs document as a warning, and configures the network', async () => {
    const d = t.drive();
    writeDriveFile(d, 'user_data', laughs);
    const { root, report } = await t.apply(d);
    expect(report.warnings.some((w) => /user_data$/.test(w.where) && /YAML not read .*alias/i.test(w.message))).toBe(true);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('inet6 auto');
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('demo\n'); // from meta_data: user_data was not read
  });

  it('warns about more than 100 plain aliases instead of failing', async () => {
    const d = t.drive();
    writeDriveFile(d, 'user_data', `#cloud-config\nx: &x 1\nl: [${Array(101).fill('*x').join(', ')}]\n`);
    const { report } = await t.apply(d);
    expect(report.warnings.some((w) => /YAML not read/.test(w.message))).toBe(true);
    expect(report.interfaces[0]!.summary).toMatch(/slaac/);
  });

  it('warns about values of the wrong type, naming the key, and uses the rest', async () => {
    const d = t.drive();
    writeDriveFile(d, 'user_data', '#cloud-config\nhostname: [1, 2]\nusers: 5\nmanage_etc_hosts: {a: 1}\nssh_authorized_keys: {a: 1}\nfqdn: ok.example.org\n');
    const { root, report } = await t.apply(d);
    const where = report.warnings.map((w) => w.where.replace(/.*user_data: /, ''));
    expect(where).toEqual(expect.arrayContaining(['hostname', 'users', 'manage_etc_hosts', 'ssh_authorized_keys[0]']));
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('ok\n');
  });

  it('survives nesting deeper than the parser can follow', async () => {
    const d = t.drive();
    writeDriveFile(d, 'user_data', `#cloud-config\nx: ${'['.repeat(100_000)}\n`);
    const { report } = await t.apply(d);
    expect(report.warnings.some((w) => /user_data/.test(w.where))).toBe(true);
    expect(report.interfaces[0]!.summary).toMatch(/slaac/);
  });
});

describe('files v6agent does not use', () => {
  it.each(['vendor_data.json', 'vendor_data2.json'])('never reads %s, even when it is not UTF-8', async (name) => {
    const d = t.drive();
    writeDriveFile(d, name, Buffer.from([0x7b, 0xff, 0xfe, 0x00]));
    const { report } = await t.apply(d);
    expect(report.warnings.filter((w) => /vendor_data/.test(w.where))).toEqual([]);
    expect(report.changed).toBe(true);
  });
});

describe('warnings', () => {
  it('are capped in number, the last saying how many more there were', async () => {
    const d = t.drive();
    editJson(d, 'meta_data.json', (j) => {
      j.public_keys = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 'not a key']));
    });
    const { report } = await t.apply(d);
    expect(report.warnings.length).toBeLessThanOrEqual(101);
    expect(report.warnings.at(-1)!.message).toMatch(/^… and 59,9\d\d more warnings not shown$/);
  });

  it('are capped in length', async () => {
    const d = t.drive();
    editJson(d, 'meta_data.json', (j) => (j.hostname = 'x'.repeat(1_000_000)));
    const { report } = await t.apply(d);
    const w = report.warnings.find((x) => /hostname/.test(x.where))!;
    expect(w.message.length).toBeLessThan(1000);
    expect(w.message).toMatch(/more characters\)$/);
  });
});

describe('--root', () => {
  it.each([
    ['empty', () => ''],
    ['missing', () => join(tmpdir(), 'v6agent-no-such-root')],
    ['a file', () => join(t.root(), 'etc/passwd')],
  ])('is a usage error (exit 2) when %s', async (_, root) => {
    const { main } = await import('../../agent/cli.js');
    expect(await main(['node', 'v6agent', 'apply', '--config-drive', t.drive(), '--root', root(), '--distro', 'debian'])).toBe(ExitCode.usage);
  });
});

describe("v6agent's earlier ENI stanzas", () => {
  const previous = 'auto eth0\niface eth0 inet dhcp\n\nauto eth1\niface eth1 inet static\n    address 192.0.2.50/24\n';

  it('are kept for a NIC that is here and that the drive does not describe', () => {
    const w = new Warnings();
    const kept = keptStanzas(previous, new Set(['eth0']), new Set(['lo', 'eth0', 'eth1']), '50-v6agent', w);
    expect(kept).toBe('\n# Kept from an earlier run: the drive does not describe eth1, which is still here.\nauto eth1\niface eth1 inet static\n    address 192.0.2.50/24\n');
    expect(w.list).toHaveLength(1);
  });

  it('are dropped for a NIC that is gone, and never kept under --root', () => {
    expect(keptStanzas(previous, new Set(['eth0']), new Set(['lo', 'eth0']), 'f', new Warnings())).toBe('');
    expect(keptStanzas(previous, new Set(['eth0']), undefined, 'f', new Warnings())).toBe('');
  });
});

describe('a next hop', () => {
  it.each(['::', '::1', 'ff02::2', '::ffff:192.0.2.1'])('of %s drops its route with a warning, and the interface is still configured', async (gateway) => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].routes[1].gateway = gateway));
    const { root, report } = await t.apply(d);
    expect(report.warnings.some((w) => /networks\[0\]\.routes\[1\]\.gateway$/.test(w.where) && /not a next hop; route dropped/.test(w.message))).toBe(true);
    const eni = readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8');
    expect(eni).toContain('address 2001:db8:40:1::10/64');
    expect(eni).not.toContain('2001:db8:99::');
  });

  it('may be link-local', async () => {
    const d = t.drive('v6only-static');
    editJson(d, 'network_data.json', (j) => (j.networks[0].routes[0].gateway = 'fe80::1'));
    const { root } = await t.apply(d);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toContain('gateway fe80::1');
  });

  it('of 0.0.0.0 or a multicast address drops an IPv4 default route with a warning', async () => {
    const d = t.drive('vlan');
    editJson(d, 'network_data.json', (j) => (j.networks[0].routes[0].gateway = '224.0.0.1'));
    const { root, report } = await t.apply(d);
    expect(report.warnings.some((w) => /routes\[0\]\.gateway$/.test(w.where))).toBe(true);
    expect(readFileSync(join(root, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).not.toContain('224.0.0.1');
  });
});
