/**
 * Proof by the real NetworkManager: the keyfiles dist/v6agent renders with
 * --stack networkmanager, loaded by NetworkManager 1.42 in a guest namespace
 * (test/lab/networkmanager.ts) against radvd and dnsmasq configured as
 * Neutron configures them, give the guest what its subnet mode promises —
 * with the port set to stable-privacy and temporary addresses beforehand, as
 * many images ship it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { DHCP6_DNS, Lab, PREFIX, ROUTER_V6, type LabMode } from './lab.js';
import { DRIVE_DNS, STATIC_ADDRESS, STATIC_MTU, STATIC_ROUTE, writeLabDrive } from './drive.js';
import { addresses, globals, inDhcp6Range, mtu, routes6, waitFor } from './guest.js';
import { NmGuest, seedNmImage } from './networkmanager.js';
import { labGate } from './requirements.js';

const gate = labGate();
const MODES: LabMode[] = ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static'];
const STACKS = [
  { name: 'dual-stack', ipv4: true },
  { name: 'IPv6-only', ipv4: false },
];
const RA_MTU = 1450;
let serial = 0;

const linkLocalEui64 = (mac: string) => eui64Address('fe80::', mac);

/**
 * A lab whose guest port starts with stable-privacy and temporary addresses
 * (link down, as at boot), an image with NetworkManager.conf, v6agent's
 * rendering into it (`prepare` may seed or alter files first/after), and
 * NetworkManager started on the result.
 */
async function bringUp(mode: LabMode, ipv4: boolean, { expect, onTestFinished }: TestContext, prepare?: { before?: (lab: Lab) => void; after?: (lab: Lab) => void | Promise<void> }) {
  const mac = `fa:16:3e:6e:${(0x10 + serial).toString(16).padStart(2, '0')}:${(serial++ % 256).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ mode, ipv4, guestMac: mac, mtu: mode === 'static' ? undefined : RA_MTU });
  onTestFinished(() => lab.destroy());
  await lab.setGuestSysctl('net.ipv6.conf.eth0.stable_secret', '2001:db8:5ec:7e7::1');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.addr_gen_mode', '2');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.use_tempaddr', '2');
  seedNmImage(lab);
  prepare?.before?.(lab);
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4, mac });
  const render = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'rhel', '--stack', 'networkmanager', '--iface', `${mac}=eth0`, '--json'], { encoding: 'utf8' });
  expect(render.status, render.stderr).toBe(0);
  await prepare?.after?.(lab);
  const nm = await NmGuest.start(lab);
  return { lab, mac, nm, report: JSON.parse(render.stdout) as { files: { path: string; status: string; backup?: string }[]; warnings: { where: string; message: string }[] } };
}

/** Only EUI-64 addresses (and, per mode, the lease or the static address); nothing temporary or stable-privacy. */
async function expectOnlyEui64(lab: Lab, mac: string, globalsAllowed: string[], expect: TestContext['expect']) {
  const v6 = (await addresses(lab)).filter((a) => a.family === 'inet6');
  expect(v6.some((a) => a.temporary || a['stable-privacy']), JSON.stringify(v6)).toBe(false);
  expect(v6.filter((a) => a.scope === 'link').map((a) => a.local)).toEqual([linkLocalEui64(mac)]);
  for (const a of v6.filter((x) => x.scope === 'global')) expect(globalsAllowed, `unexpected global ${a.local}`).toContain(a.local);
}

describe.runIf(gate.run).concurrent.each(STACKS)('NetworkManager brings up what v6agent wrote ($name)', ({ name, ipv4 }) => {
  it.for(MODES)('%s', async (mode, context) => {
    const { expect } = context;
    const { lab, mac, nm } = await bringUp(mode, ipv4, context);
    const ms = await nm.connected();
    console.log(`lab NetworkManager ${mode} ${name}: connected ${ms.toFixed(0)} ms after start`);
    const eui64 = eui64Address(PREFIX, mac);

    // Our profile is the one in use, and NetworkManager made no fallback profile.
    expect(await nm.device('GENERAL.CONNECTION')).toEqual(['v6agent eth0']);
    const profiles = await nm.profiles();
    expect(profiles.map((p) => p.name)).toEqual(['v6agent eth0']);
    expect(profiles[0]!.device).toBe('eth0');

    if (mode === 'slaac' || mode === 'dhcpv6-stateless') {
      await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative), 20_000);
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
      await expectOnlyEui64(lab, mac, [eui64], expect);
    }
    if (mode === 'slaac') expect(lab.dnsmasqLog()).not.toMatch(/DHCPSOLICIT|DHCPINFORMATION-REQUEST/);
    if (mode === 'dhcpv6-stateless') {
      await waitFor('DHCPv6 DNS in resolv.conf', () => nm.resolvConf(), (t) => t.includes(DHCP6_DNS), 20_000);
      expect(lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST\(br0\)/);
      expect(lab.dnsmasqLog()).not.toMatch(/DHCPSOLICIT/);
    }
    if (mode === 'dhcpv6-stateful') {
      const v6 = await waitFor('a DHCPv6 lease', () => globals(lab, 'inet6'), (a) => a.some((x) => inDhcp6Range(x.local) && !x.tentative), 20_000);
      const lease = v6.find((a) => inDhcp6Range(a.local))!;
      expect(lease).toMatchObject({ prefixlen: 128 });
      expect(v6.map((a) => a.local)).not.toContain(eui64);
      // method=auto: the default route comes from the RA (method=dhcp would leave none).
      expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
      await waitFor('DHCPv6 DNS in resolv.conf', () => nm.resolvConf(), (t) => t.includes(DHCP6_DNS), 20_000);
      await expectOnlyEui64(lab, mac, [lease.local], expect);
    }
    if (mode === 'static') {
      const v6 = await waitFor('the static address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === STATIC_ADDRESS && !x.tentative));
      expect(v6).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
      const routes = await routes6(lab);
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: ROUTER_V6 }));
      expect(routes).toContainEqual(expect.objectContaining({ dst: `${STATIC_ROUTE.network}/${STATIC_ROUTE.prefix}`, gateway: STATIC_ROUTE.gateway }));
      expect(await mtu(lab)).toBe(STATIC_MTU);
      await expectOnlyEui64(lab, mac, [STATIC_ADDRESS], expect);
    } else {
      // The RA's MTU, which NM applies to IPv6 on the link.
      await waitFor('the RA MTU', () => lab.guestSysctl('net.ipv6.conf.eth0.mtu'), (m) => m === String(RA_MTU));
    }

    // The drive's DNS in every mode, written by NetworkManager itself into both resolv.conf files.
    await waitFor('the drive DNS in resolv.conf', () => nm.resolvConf(), (t) => t.includes(`nameserver ${DRIVE_DNS}`));
    expect(lab.guestFile('etc/resolv.conf')).toMatch(/^# Generated by NetworkManager/);
    expect(lab.guestFile('etc/resolv.conf')).toContain(`nameserver ${DRIVE_DNS}`);

    if (ipv4) {
      await waitFor('a DHCPv4 lease', () => globals(lab, 'inet'), (a) => a.some((x) => x.local.startsWith('192.0.2.')), 20_000);
    } else {
      expect(await globals(lab, 'inet')).toEqual([]);
    }
    // NetworkManager, not the kernel, ran IPv6 on the link: it turned the kernel's RA handling and privacy off.
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.accept_ra')).toBe('0');
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.use_tempaddr')).toBe('0');
  });
});

describe.runIf(gate.run).concurrent('NetworkManager around v6agent', () => {
  it("takes over from cloud-init's profile with method=dhcp, which alone leaves no default route", async (context) => {
    const { expect } = context;
    const profile = 'etc/NetworkManager/system-connections/cloud-init-eth0.nmconnection';
    const { lab, nm, report } = await bringUp('dhcpv6-stateful', false, context, {
      before: (l) => {
        mkdirSync(join(l.guestRoot, 'etc/NetworkManager/system-connections'), { recursive: true });
        mkdirSync(join(l.guestRoot, 'etc/cloud'), { recursive: true });
        // What cloud-init (23.2+) renders for a stateful subnet: method=dhcp.
        const text = `# Generated by cloud-init. Changes will be lost.\n\n[connection]\nid=cloud-init eth0\nuuid=1dd9a779-d327-56e1-8454-c65e2556c12c\nautoconnect-priority=120\ntype=ethernet\n\n[user]\norg.freedesktop.NetworkManager.origin=cloud-init\n\n[ethernet]\nmac-address=${l.opts.guestMac.toUpperCase()}\n\n[ipv6]\nmethod=dhcp\nmay-fail=false\n\n[ipv4]\nmethod=disabled\n`;
        writeFileSync(join(l.guestRoot, profile), text, { mode: 0o600 });
      },
    });
    expect(report.files).toContainEqual(expect.objectContaining({ path: `/${profile}`, status: 'removed' }));
    expect(lab.guestFile(profile)).toBeUndefined();
    expect(lab.guestFile('etc/cloud/cloud.cfg.d/99-v6agent-network.cfg')).toMatch(/config: disabled/);
    const ms = await nm.connected();
    console.log(`lab NetworkManager dhcpv6-stateful after cloud-init's profile: connected ${ms.toFixed(0)} ms after start`);
    expect((await nm.profiles()).map((p) => p.name)).toEqual(['v6agent eth0']);
    await waitFor('a DHCPv6 lease', () => globals(lab, 'inet6'), (a) => a.some((x) => inDhcp6Range(x.local) && !x.tentative), 20_000);
    expect(await routes6(lab)).toContainEqual(expect.objectContaining({ dst: 'default', gateway: lab.routerLinkLocal, protocol: 'ra' }));
  });

  it('ignores a keyfile readable by others, and then its own fallback profile is still EUI-64 by the conf.d defaults', async (context) => {
    const { expect } = context;
    const keyfile = 'etc/NetworkManager/system-connections/v6agent-eth0.nmconnection';
    const { lab, mac, nm } = await bringUp('slaac', false, context, { after: (l) => chmodSync(join(l.guestRoot, keyfile), 0o644) });
    const ms = await nm.connected();
    console.log(`lab NetworkManager slaac, keyfile 0644: fallback connected ${ms.toFixed(0)} ms after start`);
    expect(nm.logText()).toMatch(/v6agent-eth0.nmconnection.*File permissions \(\d*644\) are insecure/);
    expect((await nm.profiles()).map((p) => p.name)).toEqual(['Wired connection 1']);
    const eui64 = eui64Address(PREFIX, mac);
    await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative), 20_000);
    await expectOnlyEui64(lab, mac, [eui64], expect);
  });

  it('without the conf.d defaults, that fallback profile really is stable-privacy', async (context) => {
    const { expect } = context;
    const { lab, mac, nm } = await bringUp('slaac', false, context, {
      after: (l) => {
        chmodSync(join(l.guestRoot, 'etc/NetworkManager/system-connections/v6agent-eth0.nmconnection'), 0o644);
        rmSync(join(l.guestRoot, 'etc/NetworkManager/conf.d/30-v6agent-ipv6.conf'));
      },
    });
    await nm.connected();
    expect((await nm.profiles()).map((p) => p.name)).toEqual(['Wired connection 1']);
    const v6 = await waitFor('a SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => !x.tentative), 20_000);
    expect(v6.map((a) => a.local)).not.toContain(eui64Address(PREFIX, mac));
    const ll = (await addresses(lab)).filter((a) => a.family === 'inet6' && a.scope === 'link').map((a) => a.local);
    expect(ll).not.toContain(linkLocalEui64(mac));
  });

  it('keeps the stable-privacy and temporary addresses of a link brought up before it (without the sysctl drop-in)', async (context) => {
    const { lab } = await upBeforeNm(false, context);
    const kept = await addresses(lab);
    context.expect(kept.some((a) => a.temporary)).toBe(true);
    context.expect(kept.some((a) => a['stable-privacy'])).toBe(true);
  });

  it("stays EUI-64 on a link brought up before it when v6agent's sysctl drop-in was applied first, as systemd-sysctl does at boot", async (context) => {
    const { lab, mac } = await upBeforeNm(true, context);
    await expectOnlyEui64(lab, mac, [eui64Address(PREFIX, mac)], context.expect);
  });
});

/** NetworkManager keeps the addresses a link already has when it takes it over: bring the link up first, then start it. */
async function upBeforeNm(dropIn: boolean, context: TestContext) {
  const { lab, mac, nm } = await bringUp('slaac', false, context, {
    after: async (l) => {
      if (dropIn) await l.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
      await l.inGuest(['ip', 'link', 'set', 'eth0', 'up']);
      await waitFor('SLAAC before NetworkManager', () => globals(l, 'inet6'), (a) => a.some((x) => !x.tentative && (dropIn || x.temporary === true)), 20_000);
    },
  });
  await nm.connected();
  const eui64 = eui64Address(PREFIX, mac);
  await waitFor('the EUI-64 SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === eui64 && !x.tentative), 20_000);
  return { lab, mac };
}
