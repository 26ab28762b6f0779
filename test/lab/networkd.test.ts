/**
 * Proof on the real consumers: what dist/v6agent renders for systemd-networkd,
 * and the netplan YAML it renders put through `netplan generate`, run by the
 * real systemd-networkd in a guest namespace against radvd and dnsmasq set up
 * as Neutron sets them — per mode, dual-stack and IPv6-only. The port starts
 * the way many images ship it (stable-privacy and temporary addresses
 * preferred); networkd must end with only what Neutron's port security allows.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { DHCP6_DNS, DHCP6_RANGE, Lab, PREFIX, ROUTER_V6, type LabMode } from './lab.js';
import { DRIVE_DNS, STATIC_ADDRESS, STATIC_MTU, STATIC_ROUTE, writeLabDrive } from './drive.js';
import { addresses, globals, mtu, routes6, waitFor } from './guest.js';
import { configured, generatedFiles, startNetworkd } from './networkd.js';
import { labGate } from './requirements.js';

const gate = labGate();
const MODES: LabMode[] = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static'];
const FAMILIES = [
  { name: 'dual-stack', ipv4: true },
  { name: 'IPv6-only', ipv4: false },
];
const CHAINS = ['networkd', 'netplan'] as const;
type Chain = (typeof CHAINS)[number];
let serial = 0;

function inRange(addr: string): boolean {
  const last = (a: string) => parseInt(a.split(':').pop()!, 16);
  return addr.startsWith('2001:db8:cafe:1::') && last(addr) >= last(DHCP6_RANGE[0]) && last(addr) <= last(DHCP6_RANGE[1]);
}

/**
 * Render with the binary, then start networkd on it. netplan: the YAML goes
 * through `netplan generate --root-dir` and networkd reads what it generated
 * from /run. netplan turns `match: macaddress` into PermanentMACAddress=, which a
 * veth never has (it matches on virtio NICs), so the netplan chain's drive names
 * the port without a MAC and the NIC is matched by name.
 */
async function bringUp(chain: Chain, mode: LabMode, ipv4: boolean, { expect, onTestFinished }: TestContext) {
  const n = serial++;
  const mac = `fa:16:3e:6d:${(0x20 + n).toString(16).padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ mode, ipv4, guestMac: mac, mtu: mode === 'static' ? undefined : 1450 });
  onTestFinished(() => lab.destroy());
  // As many images ship a port: stable-privacy link-local and SLAAC, temporary addresses preferred.
  await lab.setGuestSysctl('net.ipv6.conf.eth0.stable_secret', '2001:db8:5ec:7e7::1');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.addr_gen_mode', '2');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.use_tempaddr', '2');
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4, mac });
  if (chain === 'netplan') dropMac(drive);
  const args = ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', chain, '--json', ...(chain === 'networkd' ? ['--iface', `${mac}=eth0`] : [])];
  const render = spawnSync(BIN, args, { encoding: 'utf8' });
  expect(render.status, render.stderr).toBe(0);
  const etcNetwork = join(lab.guestRoot, 'etc/systemd/network');
  mkdirSync(etcNetwork, { recursive: true });
  let runNetwork: string | undefined;
  if (chain === 'netplan') {
    const gen = spawnSync('netplan', ['generate', '--root-dir', lab.guestRoot], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    expect(generatedFiles(lab.guestRoot)).toContain('10-netplan-eth0.network');
    runNetwork = join(lab.guestRoot, 'run/systemd/network');
  }
  const t0 = performance.now();
  const nd = await startNetworkd(lab, { etcNetwork, runNetwork });
  onTestFinished(() => nd.stop());
  const state = await configured(nd);
  return { lab, mac, nd, state, ms: performance.now() - t0 };
}

function dropMac(drive: string): void {
  const path = join(drive, 'openstack/latest/network_data.json');
  const data = JSON.parse(readFileSync(path, 'utf8')) as { links: Record<string, unknown>[] };
  for (const l of data.links) delete l.ethernet_mac_address;
  writeFileSync(path, JSON.stringify(data));
}

describe.runIf(gate.run).concurrent.each(CHAINS.flatMap((chain) => FAMILIES.map((f) => ({ chain, ...f }))))('$chain: systemd-networkd brings up what v6agent wrote ($name)', ({ chain, name, ipv4 }) => {
  it.for(MODES)('%s', async (mode, context) => {
    const { expect } = context;
    const { lab, mac, nd, state, ms } = await bringUp(chain, mode, ipv4, context);
    console.log(`lab ${chain} ${mode} ${name}: configured in ${ms.toFixed(0)} ms`);
    expect(state.NETWORK_FILE).toBe(chain === 'networkd' ? '/etc/systemd/network/10-v6agent-eth0.network' : '/run/systemd/network/10-netplan-eth0.network');
    const eui64 = eui64Address(PREFIX, mac);
    const dhcpLog = () => lab.dnsmasqLog();

    if (mode === 'slaac' || mode === 'dhcpv6-stateless') {
      const [addr] = await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative));
      expect(addr).toMatchObject({ local: eui64, prefixlen: 64 });
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
    }
    if (mode === 'slaac') expect(dhcpLog()).not.toMatch(/DHCPSOLICIT|DHCPINFORMATION-REQUEST/);
    if (mode === 'dhcpv6-stateless') {
      // networkd sends the Information-Request itself (RA O=1); no Solicit. It identifies by
      // DUID, so dnsmasq's line before it ties the transaction to our MAC.
      const request = new RegExp(`(\\d+) client MAC address: ${mac}\\n[^\\n]*\\1 DHCPINFORMATION-REQUEST\\(br0\\)`);
      await waitFor('the information request', async () => dhcpLog(), (l) => request.test(l));
      expect(dhcpLog()).not.toMatch(/DHCPSOLICIT/);
    }
    if (mode === 'dhcpv6-stateful') {
      const v6 = await waitFor('a DHCPv6 lease', () => globals(lab, 'inet6'), (a) => a.some((x) => inRange(x.local) && !x.tentative), 20_000);
      expect(v6.find((a) => inRange(a.local))).toMatchObject({ prefixlen: 128 });
      expect(v6.map((a) => a.local)).not.toContain(eui64);
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
      const s = await waitFor('the DHCPv6 DNS in networkd state', () => nd.linkState(), (x) => (x.DNS ?? '').includes(DHCP6_DNS));
      expect(s.DNS).toContain(DHCP6_DNS);
    }
    if (mode === 'static') {
      const v6 = await waitFor('the static address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === STATIC_ADDRESS && !x.tentative));
      expect(v6.map((a) => `${a.local}/${a.prefixlen}`)).toEqual([`${STATIC_ADDRESS}/64`]);
      const routes = await routes6(lab);
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: ROUTER_V6 }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: `${STATIC_ROUTE.network}/${STATIC_ROUTE.prefix}`, gateway: STATIC_ROUTE.gateway }));
      expect(routes.some((r) => r.protocol === 'ra')).toBe(false);
      expect(await mtu(lab)).toBe(STATIC_MTU);
    }
    // The drive's DNS reaches what resolved reads, in every mode (networkd 252 loses stateless DHCPv6 DNS).
    expect((await nd.linkState()).DNS).toContain(DRIVE_DNS);

    if (ipv4) {
      const v4 = await waitFor('a DHCPv4 lease', () => globals(lab, 'inet'), (a) => a.length > 0, 20_000);
      expect(v4[0]!.local).toMatch(/^192\.0\.2\./);
    } else {
      expect(await globals(lab, 'inet')).toEqual([]);
      expect((await addresses(lab)).filter((a) => a.family === 'inet')).toEqual([]);
    }
    // Only what port security allows: the EUI-64 link-local, nothing temporary or stable-privacy.
    const all = (await addresses(lab)).filter((a) => a.family === 'inet6');
    expect(all.filter((a) => a.scope === 'link').map((a) => a.local)).toEqual([eui64Address('fe80::', mac)]);
    expect(all.some((a) => a.temporary || a['stable-privacy'])).toBe(false);
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.use_tempaddr')).toBe('0');
  });
});

describe.runIf(gate.run).concurrent('live apply sees what is running', () => {
  it.for(CHAINS)('%s', async (chain, context) => {
    const { expect } = context;
    const { lab, mac } = await bringUp(chain, 'slaac', false, context);
    const drive = writeLabDrive(join(lab.dir, 'drive2'), { mode: 'slaac', ipv4: false, mac });
    // Live (no --root, no --stack), previewing only: the guest's /run is networkd's.
    const { stdout } = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--no-probe', '--dry-run', '--json']);
    const report = JSON.parse(stdout) as { stack: { name: string; evidence: string[] } };
    expect(report.stack.name).toBe(chain);
    expect(report.stack.evidence[0]).toMatch(chain === 'netplan' ? /^running: systemd-networkd with netplan-generated config in \/run$/ : /^running: systemd-networkd \(\/run\/systemd\/netif\/state\)$/);
  });
});
