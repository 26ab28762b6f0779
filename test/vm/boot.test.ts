/**
 * The proof an operator trusts: a real Debian bookworm VM, with dist/v6agent
 * baked in by `v6agent install --root`, boots against a Neutron-like router
 * with a config drive made as nova makes it, and comes up with the address,
 * route, DNS, host name and key its subnet promises. Boots run in series;
 * each prints its boot-to-IPv6-ready figure (guest uptime).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { requireBinary } from '../bin.js';
import { DHCP6_DNS, DHCP6_RANGE, PREFIX, ROUTER_V6 } from '../lab/lab.js';
import { DRIVE_DNS, STATIC_ADDRESS } from '../lab/drive.js';
import { assembleRootfs, baseImage, buildImages, type ImageStack, type Rootfs } from './image.js';
import { vmGate } from './requirements.js';
import { accelerator, bootVm, SSH_KEY, type BootResult, type GuestReport, type VmCase } from './vm.js';
import { bondCase, expectBond } from './bond.js';

const gate = vmGate();
const BOOT_TIMEOUT_MS = 240_000;
const IMAGE_TIMEOUT_MS = 1_200_000;
let work = '';
let accel: 'kvm' | 'tcg' = 'tcg';
const figures: string[] = [];
const rootfs = new Map<ImageStack, Rootfs>();
let built = new Map<ImageStack, number>();

beforeAll(async () => {
  if (!gate.run) return;
  requireBinary();
  work = mkdtempSync(join(tmpdir(), 'v6agent-vm-'));
  accel = accelerator();
  const t0 = performance.now();
  built = await buildImages(['ifupdown', 'netplan', 'networkmanager']);
  figures.push(`VM images: ready in ${((performance.now() - t0) / 1000).toFixed(0)} s (built side by side when missing; accelerator ${accel})`);
}, IMAGE_TIMEOUT_MS);

/** The stack's image (built once, cached) with this run's v6agent installed; each describe makes its own in beforeAll. */
function prepare(stack: ImageStack): void {
  const r = assembleRootfs(baseImage(stack), work);
  rootfs.set(stack, r);
  const ms = built.get(stack) ?? 0;
  figures.push(`VM image (${stack}): ${ms ? `built in ${(ms / 1000).toFixed(0)} s` : 'from the cache'}; rootfs assembled with v6agent install --root in ${(r.assembleMs / 1000).toFixed(1)} s`);
}

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (figures.length) console.log(figures.join('\n'));
});

function nic(r: GuestReport, mac: string): GuestReport['addr'][number] {
  // Not a bond's member: enslaved, it carries the bond's MAC.
  const link = r.addr.find((l) => l.address === mac && l.master === undefined);
  if (!link) throw new Error(`no interface with MAC ${mac} in the guest: ${r.addr.map((l) => l.ifname).join(', ')}`);
  return link;
}

const inRange = (a: string): boolean => {
  const last = (x: string): number => parseInt(x.split(':').pop()!, 16);
  return a.startsWith(PREFIX) && last(a) >= last(DHCP6_RANGE[0]) && last(a) <= last(DHCP6_RANGE[1]);
};

async function boot(c: VmCase, stack: ImageStack = 'ifupdown'): Promise<BootResult> {
  const image = rootfs.get(stack);
  if (!image) throw new Error(`no ${stack} image: its describe's beforeAll failed`);
  const result = await bootVm(c, image, accel, BOOT_TIMEOUT_MS);
  const line = /v6agent boot: .*/.exec(result.report.journal)?.[0] ?? 'no journal line';
  figures.push(`VM ${stack} ${c.name}: boot to IPv6-ready ${result.report.ready ?? 'never'} s, host name set ${result.report.hostnameSet ?? 'never'} s (guest uptime); whole boot + report ${(result.wallMs / 1000).toFixed(1)} s wall\n  ${line}`);
  return result;
}

/** What every case must show, whatever the mode. */
function expectEveryCase(c: VmCase, r: GuestReport): GuestReport['addr'][number] {
  const link = nic(r, c.mac);
  expect(r.unit, r.journal).toMatchObject({ Result: 'success', ExecMainStatus: '0', ActiveState: 'active' });
  expect(r.ready, 'boot to IPv6-ready').toBeGreaterThan(0);
  expect(link.addr_info.filter((a) => a.temporary)).toEqual([]);
  expect(link.addr_info).toContainEqual(expect.objectContaining({ family: 'inet6', scope: 'link', local: eui64Address('fe80::', c.mac) }));
  expect(r.hostname).toBe(`vm-${c.name}`);
  expect(r.keys).toContain(SSH_KEY);
  expect(r.instanceId).toMatch(/^00000000-0000-4000-8000-/);
  expect(r.journal).toMatch(/v6agent boot: new instance .*total [\d.]+ s of a [\d.]+ s budget/);
  return link;
}

const v6 = (link: GuestReport['addr'][number]) => link.addr_info.filter((a) => a.family === 'inet6' && a.scope === 'global');

describe.runIf(gate.run).sequential('a Debian 12 VM (ifupdown) with v6agent installed boots to what its subnet promises', () => {
  beforeAll(() => prepare('ifupdown'), IMAGE_TIMEOUT_MS);

  it('IPv6-only SLAAC: the EUI-64 address of the MAC, default route via the router link-local, no DHCPv6 client', async () => {
    const c: VmCase = { name: 'slaac', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:00:01' };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
      expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, dev: link.ifname }));
      expect(r.ps).not.toMatch(/dhclient.* -6/);
      expect(r.resolv).toContain(`nameserver ${DRIVE_DNS}`);
      expect(r.route4).toEqual([]);
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it('IPv6-only DHCPv6-stateless: SLAAC address and route, plus the DHCPv6 DNS server in resolv.conf', async () => {
    // As on Neutron, the subnet's nameserver is on the drive and in the DHCPv6 reply alike.
    const c: VmCase = { name: 'stateless', mode: 'dhcpv6-stateless', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:00:02', dns: DHCP6_DNS };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
      expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal }));
      expect(lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
      // The subnet's server, stated by the drive and the DHCPv6 reply alike; the enter hook keeps dhclient -6 -S from rewriting the file.
      expect(r.resolv).toContain(`nameserver ${DHCP6_DNS}`);
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it("IPv6-only DHCPv6-stateful: a /128 lease from the range and the RA's default route", async () => {
    const c: VmCase = { name: 'stateful', mode: 'dhcpv6-stateful', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:00:03' };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).find((a) => inRange(a.local))).toMatchObject({ prefixlen: 128 });
      expect(v6(link).map((a) => a.local)).not.toContain(eui64Address(PREFIX, c.mac));
      expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal }));
      expect(r.ps).toMatch(/dhclient .*-6/);
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it("IPv6-only static: the drive's address and gateway", async () => {
    const c: VmCase = { name: 'static', mode: 'static', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:00:04' };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link)).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
      expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: ROUTER_V6 }));
      expect(r.ps).not.toMatch(/dhclient.* -6/);
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it('dual-stack SLAAC: the IPv6 address and route, and a DHCPv4 lease from dnsmasq', async () => {
    const c: VmCase = { name: 'dual', mode: 'slaac', ipv4: true, drive: 'iso9660', mac: 'fa:16:3e:7e:00:05' };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
      expect(link.addr_info).toContainEqual(expect.objectContaining({ family: 'inet', local: expect.stringMatching(/^192\.0\.2\.(1\d\d|200)$/) }));
      expect(r.route4).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '192.0.2.1' }));
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it('a vfat config drive on a virtio disk (config_drive_format=vfat) is found and used', async () => {
    const c: VmCase = { name: 'vfat', mode: 'slaac', ipv4: false, drive: 'vfat', mac: 'fa:16:3e:7e:00:06' };
    const { report: r, lab } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it('IPv6-only, no config drive: the host name and key from the metadata service at fe80::a9fe:a9fe (its own port on the link)', async () => {
    const c: VmCase = { name: 'nodrive', mode: 'slaac', ipv4: false, drive: { metadata: 'on-link' }, mac: 'fa:16:3e:7e:00:07' };
    const { report: r, lab, metadataRequests } = await boot(c);
    try {
      const link = expectEveryCase(c, r);
      expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
      expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, dev: link.ifname }));
      expect(r.instanceId).toBe(`00000000-0000-4000-8000-${c.mac.replace(/:/g, '')}`);
      // Asked from the guest's EUI-64 link-local, the only address the server answers.
      expect(metadataRequests).toContainEqual(expect.objectContaining({ path: '/openstack/latest/meta_data.json', status: 200, remote: `${eui64Address('fe80::', c.mac)}%md0` }));
      expect(r.journal).not.toMatch(/fallback/);
    } finally {
      await lab.destroy();
    }
  }, BOOT_TIMEOUT_MS + 60_000);

  it("IPv6-only SLAAC on VLAN 100 of the NIC (a trunk port): ifupdown's own 8021q support makes NIC.100 from the stanza; it gets the EUI-64 address and the default route", async () => {
    const c: VmCase = { name: 'vlan', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:00:11', vlan: 100 };
    await bootCase(c, 'ifupdown', (b, phys) => {
      expectSlaacOnVlan(c, b, phys);
      expect(b.report.networkFiles).toContain(`/etc/network/interfaces.d/50-v6agent:iface ${phys.ifname}.100 inet6 auto`);
    });
  }, BOOT_TIMEOUT_MS + 60_000);

  it("IPv6-only SLAAC on an active-backup bond of two NICs (ifenslave): the bond has the drive's MAC and its EUI-64 addresses", async () => {
    const c = bondCase('bond', 'fa:16:3e:7e:0b');
    await bootCase(c, 'ifupdown', (b, bond) => {
      expectBond(c, b.report, bond);
      expectSlaac(c, b, bond);
    });
  }, BOOT_TIMEOUT_MS + 60_000);
});

/** A stack v6agent must find by itself at boot: the apply line names it, and its daemon (only) is running. */
function expectStack(r: GuestReport, stack: 'netplan' | 'networkmanager', daemon: 'systemd-networkd' | 'NetworkManager'): void {
  expect(r.journal).toMatch(new RegExp(`v6agent apply: \\S+, ${stack} \\(`));
  const [networking, networkd, nm] = r.stack.split('\n');
  expect({ networking, networkd, nm }).toEqual({ networking: 'inactive', networkd: daemon === 'systemd-networkd' ? 'active' : 'inactive', nm: daemon === 'NetworkManager' ? 'active' : 'inactive' });
}

type Link = GuestReport['addr'][number];

/** Boot `c` on `stack`'s image, check what every case must show, then what this case adds; the lab always goes. */
async function bootCase(c: VmCase, stack: ImageStack, check: (b: BootResult, link: Link) => void): Promise<void> {
  const b = await boot(c, stack);
  try {
    const link = expectEveryCase(c, b.report);
    if (stack === 'netplan') expectStack(b.report, 'netplan', 'systemd-networkd');
    if (stack === 'networkmanager') expectStack(b.report, 'networkmanager', 'NetworkManager');
    check(b, link);
  } finally {
    await b.lab.destroy();
  }
}

/** SLAAC: the EUI-64 address of the MAC on `link`, the default route through it via the router's link-local. */
function expectSlaac(c: VmCase, { report: r, lab }: BootResult, link: Link): void {
  expect(v6(link).map((a) => a.local)).toContain(eui64Address(PREFIX, c.mac));
  expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, dev: link.ifname }));
}

/** DHCPv6-stateful: a /128 leased from dnsmasq's range and no EUI-64 global address; the RA's default route. */
function expectStateful(c: VmCase, { report: r, lab }: BootResult, link: Link): void {
  expect(v6(link).find((a) => inRange(a.local))).toMatchObject({ prefixlen: 128 });
  expect(v6(link).map((a) => a.local)).not.toContain(eui64Address(PREFIX, c.mac));
  expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, dev: link.ifname }));
  expect(lab.dnsmasqLog()).toMatch(/DHCPREPLY/);
}

/**
 * DHCPv6-stateless: SLAAC's address and route, and the information request dnsmasq answered.
 * Where its DNS server shows is the stack's (resolv.conf, resolved), so the case checks it.
 */
function expectStateless(c: VmCase, b: BootResult, link: Link): void {
  expectSlaac(c, b, link);
  expect(b.lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
}

/** Static: the drive's address and gateway on `link`, and no DHCPv6 client of any stack (none listens on UDP 546). */
function expectStatic({ report: r }: BootResult, link: Link): void {
  expect(v6(link)).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
  expect(r.route6).toContainEqual(expect.objectContaining({ dst: 'default', gateway: ROUTER_V6, dev: link.ifname }));
  expect(r.dhcp6Clients).toBe('');
}

/**
 * SLAAC on the VLAN the case's trunk carries: the VLAN link on the NIC (its MAC) gets it all, with
 * what every case shows on the NIC (an EUI-64 link-local, no temporary address); the untagged NIC no global address.
 */
function expectSlaacOnVlan(c: VmCase, b: BootResult, phys: Link): void {
  const vlan = b.report.addr.find((l) => l.link === phys.ifname);
  expect(vlan, `a VLAN on ${phys.ifname}`).toBeDefined();
  expect(vlan!.ifname).toBe(`${phys.ifname}.${c.vlan}`);
  expect(vlan!.addr_info.filter((a) => a.temporary)).toEqual([]);
  expect(vlan!.addr_info).toContainEqual(expect.objectContaining({ family: 'inet6', scope: 'link', local: eui64Address('fe80::', c.mac) }));
  expectSlaac(c, b, vlan!);
  expect(v6(phys)).toEqual([]);
}

const LONG = BOOT_TIMEOUT_MS + 60_000;

describe.runIf(gate.run).sequential('a Debian 12 cloud-like VM (netplan → systemd-networkd, systemd-resolved, no ifupdown) boots to what its subnet promises', () => {
  beforeAll(() => prepare('netplan'), IMAGE_TIMEOUT_MS);

  it('IPv6-only SLAAC: v6agent writes netplan YAML; networkd configures the EUI-64 address, the default route, and resolved the drive DNS', async () => {
    const c: VmCase = { name: 'np-slaac', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:01:01' };
    await bootCase(c, 'netplan', (b, link) => {
      expectSlaac(c, b, link);
      expect(b.report.networkFiles).toMatch(/^\/etc\/netplan\/90-v6agent\.yaml:/m);
      expect(b.report.resolved).toContain(DRIVE_DNS);
      expect(b.report.route4).toEqual([]);
    });
  }, LONG);

  it("IPv6-only DHCPv6-stateful: networkd's DHCPv6 client leases a /128 from the range; the RA's default route", async () => {
    const c: VmCase = { name: 'np-stateful', mode: 'dhcpv6-stateful', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:01:02' };
    await bootCase(c, 'netplan', (b, link) => expectStateful(c, b, link));
  }, LONG);

  it('IPv6-only, no config drive: the metadata service reached through the router (radvd announces fe80::a9fe:a9fe/128)', async () => {
    const c: VmCase = { name: 'np-nodrive', mode: 'slaac', ipv4: false, drive: { metadata: 'routed' }, mac: 'fa:16:3e:7e:01:03' };
    await bootCase(c, 'netplan', (b, link) => {
      expectSlaac(c, b, link);
      expect(b.metadataRequests).toContainEqual(expect.objectContaining({ path: '/openstack/latest/meta_data.json', status: 200, remote: `${eui64Address('fe80::', c.mac)}%br0` }));
    });
  }, LONG);

  it('IPv6-only SLAAC on VLAN 100 of the NIC (a trunk port): the VLAN gets the EUI-64 address and the default route, over 8021q', async () => {
    const c: VmCase = { name: 'np-vlan', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:01:04', vlan: 100 };
    await bootCase(c, 'netplan', (b, phys) => {
      expectSlaacOnVlan(c, b, phys);
      expect(b.report.networkFiles).toMatch(/vlans:/);
    });
  }, LONG);

  it('IPv6-only DHCPv6-stateless: the SLAAC address and route; networkd sends the information request, and resolved uses the DHCPv6 DNS server', async () => {
    // As on Neutron, the subnet's nameserver is on the drive and in the DHCPv6 reply alike (networkd 252 drops the reply's DNS: v6agent writes the drive's).
    const c: VmCase = { name: 'np-stateless', mode: 'dhcpv6-stateless', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:01:11', dns: DHCP6_DNS };
    await bootCase(c, 'netplan', (b, link) => {
      expectStateless(c, b, link);
      expect(b.report.dhcp6Clients).toMatch(/:546 .*"systemd-network"/);
      expect(b.report.resolved).toContain(DHCP6_DNS);
    });
  }, LONG);

  it("IPv6-only static: the drive's address and gateway, no DHCPv6 client", async () => {
    const c: VmCase = { name: 'np-static', mode: 'static', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:01:12' };
    await bootCase(c, 'netplan', (b, link) => expectStatic(b, link));
  }, LONG);

  it("IPv6-only SLAAC on an active-backup bond of two NICs: networkd makes the bond with the drive's MAC and its EUI-64 addresses", async () => {
    const c = bondCase('np-bond', 'fa:16:3e:7e:1b');
    await bootCase(c, 'netplan', (b, bond) => {
      expectBond(c, b.report, bond);
      expectSlaac(c, b, bond);
      expect(b.report.networkFiles).toMatch(/bonds:/);
    });
  }, LONG);
});

describe.runIf(gate.run).sequential('a Debian 12 VM with NetworkManager (no ifupdown) boots to what its subnet promises', () => {
  beforeAll(() => prepare('networkmanager'), IMAGE_TIMEOUT_MS);

  it('IPv6-only SLAAC: v6agent writes a keyfile; NetworkManager configures the EUI-64 address, the default route and the drive DNS', async () => {
    const c: VmCase = { name: 'nm-slaac', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:02:01' };
    await bootCase(c, 'networkmanager', (b, link) => {
      expectSlaac(c, b, link);
      expect(b.report.networkFiles).toMatch(/^\/etc\/NetworkManager\/system-connections\/v6agent-\S+\.nmconnection:/m);
      expect(b.report.resolv).toContain(`nameserver ${DRIVE_DNS}`);
      expect(b.report.route4).toEqual([]);
    });
  }, LONG);

  it("IPv6-only DHCPv6-stateful: NetworkManager's DHCPv6 client leases a /128 from the range; the RA's default route", async () => {
    const c: VmCase = { name: 'nm-stateful', mode: 'dhcpv6-stateful', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:02:02' };
    await bootCase(c, 'networkmanager', (b, link) => expectStateful(c, b, link));
  }, LONG);

  it('IPv6-only DHCPv6-stateless: the SLAAC address and route; NetworkManager sends the information request, and its DNS server is in resolv.conf', async () => {
    const c: VmCase = { name: 'nm-stateless', mode: 'dhcpv6-stateless', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:02:11', dns: DHCP6_DNS };
    await bootCase(c, 'networkmanager', (b, link) => {
      expectStateless(c, b, link);
      expect(b.report.dhcp6Clients).toMatch(/:546 .*"NetworkManager"/);
      expect(b.report.resolv).toContain(`nameserver ${DHCP6_DNS}`);
      // The reply's domain list, which the drive does not carry: NetworkManager used the DHCPv6 reply itself.
      expect(b.report.resolv).toMatch(/^search openstacklocal$/m);
    });
  }, LONG);

  it("IPv6-only static: the drive's address and gateway, no DHCPv6 client", async () => {
    const c: VmCase = { name: 'nm-static', mode: 'static', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:02:12' };
    await bootCase(c, 'networkmanager', (b, link) => expectStatic(b, link));
  }, LONG);

  it('IPv6-only SLAAC on VLAN 100 of the NIC (a trunk port): a vlan keyfile; the VLAN gets the EUI-64 address and the default route', async () => {
    const c: VmCase = { name: 'nm-vlan', mode: 'slaac', ipv4: false, drive: 'iso9660', mac: 'fa:16:3e:7e:02:13', vlan: 100 };
    await bootCase(c, 'networkmanager', (b, phys) => {
      expectSlaacOnVlan(c, b, phys);
      expect(b.report.networkFiles).toMatch(/^\/etc\/NetworkManager\/system-connections\/v6agent-\S+\.100\.nmconnection:type=vlan$/m);
    });
  }, LONG);

  it("IPv6-only SLAAC on an active-backup bond of two NICs: NetworkManager makes the bond with the drive's MAC and its EUI-64 addresses", async () => {
    const c = bondCase('nm-bond', 'fa:16:3e:7e:2b');
    await bootCase(c, 'networkmanager', (b, bond) => {
      expectBond(c, b.report, bond);
      expectSlaac(c, b, bond);
    });
  }, LONG);
});
