/**
 * Proof on real components: the ENI that dist/v6agent renders, brought up by
 * Debian's ifupdown in a guest namespace against radvd and dnsmasq configured
 * as Neutron configures them, gives the guest what its subnet mode promises.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { Lab, PREFIX, ROUTER_V6, type LabMode } from './lab.js';
import { DRIVE_DNS, STATIC_ADDRESS, STATIC_MTU, STATIC_ROUTE, writeLabDrive } from './drive.js';
import { globals, inDhcp6Range, mtu, routes6, waitFor } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();
const MODES: LabMode[] = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static'];
const STACKS = [
  { name: 'dual-stack', ipv4: true },
  { name: 'IPv6-only', ipv4: false },
];
let serial = 0;

/** Render with the built binary into the guest's /etc, apply the sysctl drop-in, run ifup. */
async function bringUp(mode: LabMode, ipv4: boolean, { expect, onTestFinished }: TestContext, before?: (lab: Lab) => void) {
  const mac = `fa:16:3e:5c:${(0x10 + serial).toString(16).padStart(2, '0')}:${(serial++ % 256).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ mode, ipv4, guestMac: mac, mtu: mode === 'static' ? undefined : 1450 });
  // Tests run side by side: each removes its own lab, also when it fails.
  onTestFinished(() => lab.destroy());
  before?.(lab);
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4, mac });
  const render = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${mac}=eth0`], { encoding: 'utf8' });
  expect(render.status, render.stderr).toBe(0);
  await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
  const up = await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
  return { lab, mac, ifupMs: up.ms };
}

describe.runIf(gate.run).concurrent.each(STACKS)('ifupdown brings up what v6agent wrote ($name)', ({ name, ipv4 }) => {
  it.for(MODES)('%s', async (mode, context) => {
    const { expect } = context;
    const { lab, mac, ifupMs } = await bringUp(mode, ipv4, context);
    console.log(`lab ${mode} ${name}: ifup ${ifupMs.toFixed(0)} ms`);
    expect(ifupMs).toBeLessThan(20_000);
    const eui64 = eui64Address(PREFIX, mac);
    const state = () => lab.guestStateFiles();

    if (mode === 'slaac' || mode === 'dhcpv6-stateless') {
      const [addr] = await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative));
      expect(addr).toMatchObject({ local: eui64, prefixlen: 64, dynamic: true });
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
    }
    if (mode === 'slaac') {
      expect(state().filter((f) => f.includes('dhclient6'))).toEqual([]);
      expect(lab.dnsmasqLog()).not.toMatch(/DHCPSOLICIT|DHCPINFORMATION-REQUEST/);
    }
    if (mode === 'dhcpv6-stateless') {
      // dhclient -6 -S ran: its pid file, and the server logged the request.
      expect(state()).toContain('/run/dhclient6.eth0.pid');
      expect(lab.dnsmasqLog()).toMatch(new RegExp(`DHCPINFORMATION-REQUEST\\(br0\\) \\S*${mac}`));
      expect(lab.dnsmasqLog()).not.toMatch(/DHCPSOLICIT/);
    }
    if (mode === 'dhcpv6-stateful') {
      const v6 = await waitFor('a DHCPv6 lease', () => globals(lab, 'inet6'), (a) => a.some((x) => inDhcp6Range(x.local) && !x.tentative));
      expect(v6.find((a) => inDhcp6Range(a.local))).toMatchObject({ prefixlen: 128 });
      expect(v6.map((a) => a.local)).not.toContain(eui64);
      expect(lab.dnsmasqLog()).toMatch(/DHCPREPLY\(br0\) 2001:db8:cafe:1::1[0-9a-f]{2} /);
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
    }
    if (mode === 'static') {
      const v6 = await globals(lab, 'inet6');
      expect(v6).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
      const routes = await routes6(lab);
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: ROUTER_V6 }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: `${STATIC_ROUTE.network}/${STATIC_ROUTE.prefix}`, gateway: STATIC_ROUTE.gateway }));
      expect(await mtu(lab)).toBe(STATIC_MTU);
    }

    if (ipv4) {
      await waitFor('a DHCPv4 lease', () => globals(lab, 'inet'), (a) => a.some((x) => x.local.startsWith('192.0.2.')));
      expect(lab.dnsmasqLog()).toMatch(new RegExp(`DHCPACK\\(br0\\) 192\\.0\\.2\\.\\d+ ${mac}`));
    } else {
      expect(await globals(lab, 'inet')).toEqual([]);
      expect(state().filter((f) => /dhclient\.eth0|dhclient\.leases/.test(f))).toEqual([]);
    }
    // The drive's nameservers, whichever DHCP clients ran and whatever DNS their leases carried (distro/dhclient.ts).
    expect(lab.guestFile('etc/resolv.conf')).toBe(`# Written by v6agent from the OpenStack config drive.\nnameserver ${DRIVE_DNS}\n`);

    await lab.inGuest(['ifdown', '--state-dir', '/run/network', 'eth0'], 20_000);
    expect((await globals(lab, 'inet6')).filter((a) => a.local !== STATIC_ADDRESS || mode === 'static')).toEqual([]);
  });
});

describe.runIf(gate.run)('taking over from cloud-init', () => {
  it("removes cloud-init's `inet6 dhcp` on a SLAAC subnet, which alone would hang ifup", async (context) => {
    const { expect } = context;
    const fragment = join('etc/network/interfaces.d/50-cloud-init');
    const { lab, mac, ifupMs } = await bringUp('slaac', false, context, (l) => {
      mkdirSync(join(l.guestRoot, 'etc/network/interfaces.d'), { recursive: true });
      writeFileSync(join(l.guestRoot, fragment), '# This file is generated from information provided by the datasource.\nauto eth0\niface eth0 inet6 dhcp\n');
    });
    console.log(`lab slaac after cloud-init's wrong stanza: ifup ${ifupMs.toFixed(0)} ms`);
    expect(lab.guestFile(fragment)).toBeUndefined();
    expect(ifupMs).toBeLessThan(20_000);
    const eui64 = eui64Address(PREFIX, mac);
    await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative));
    expect(lab.guestStateFiles().filter((f) => f.includes('dhclient6'))).toEqual([]);
  });
});
