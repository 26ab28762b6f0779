/**
 * `v6agent ra` says what the kernel kept from the RAs it processed — IPv6
 * MTU, the router's default route with expiry and preference, the prefix
 * route, the metadata service's route-information /128, autoconf addresses
 * with lifetimes — and what only --wire can tell; --wire shows the
 * route-information option itself.
 */
import { describe, it, type TestContext } from 'vitest';
import { join } from 'node:path';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { Lab, PREFIX } from './lab.js';
import { writeLabDrive } from './drive.js';
import { addresses, waitFor } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();

async function slaacGuest(mac: string, { onTestFinished }: TestContext): Promise<Lab> {
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: mac, mtu: 1450, preference: 'high' });
  onTestFinished(() => lab.destroy());
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
  await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${mac}=eth0`]);
  await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
  await lab.inGuest(['ip', 'link', 'set', 'eth0', 'up']);
  const eui = eui64Address(PREFIX, mac);
  await waitFor('the SLAAC address', () => addresses(lab), (a) => a.some((x) => x.local === eui && !x.tentative));
  return lab;
}

describe.runIf(gate.run).concurrent("v6agent ra: the kernel's view", () => {
  it('from the kernel: MTU, default route with expiry and preference, prefix route, the metadata /128, addresses with lifetimes', async (context) => {
    const { expect } = context;
    const mac = 'fa:16:3e:5c:c1:01';
    const lab = await slaacGuest(mac, context);
    const { stdout } = await lab.inGuest([BIN, 'ra', 'eth0', '--json']);
    const [r] = JSON.parse(stdout).interfaces;
    expect(r.source).toBe('kernel');
    expect(r.kernel.ipv6Mtu).toBe(1450);
    expect(r.kernel.defaultRoutes).toEqual([{ router: lab.routerLinkLocal, expiresIn: expect.any(Number), preference: 'high' }]);
    expect(r.kernel.defaultRoutes[0].expiresIn).toBeGreaterThan(0);
    expect(r.kernel.prefixRoutes).toEqual([{ prefix: `${PREFIX}/64`, expiresIn: expect.any(Number) }]);
    expect(r.kernel.routeInformation).toEqual([{ prefix: 'fe80::a9fe:a9fe/128', router: lab.routerLinkLocal, expiresIn: expect.any(Number), preference: 'medium' }]);
    expect(r.kernel.addresses).toEqual([{ address: `${eui64Address(PREFIX, mac)}/64`, validLifetime: expect.any(Number), preferredLifetime: expect.any(Number) }]);
    expect(r.kernel.wireOnly).toContain('RDNSS and DNSSL');
    const text = (await lab.inGuest([BIN, 'ra', 'eth0'])).stdout;
    expect(text).toMatch(new RegExp(`route fe80::a9fe:a9fe/128 via ${lab.routerLinkLocal}  expires \\d+s  preference medium`));
    expect(text).toMatch(/only --wire gives: the router lifetime/);
  });

  it('--wire shows the route-information option as the router sent it', async (context) => {
    const { expect } = context;
    const lab = await slaacGuest('fa:16:3e:5c:c1:02', context);
    const { stdout } = await lab.inGuest([BIN, 'ra', 'eth0', '--wire', '--json']);
    const [r] = JSON.parse(stdout).interfaces;
    expect(r.source).toBe('wire');
    expect(r.routers[0].routes).toEqual([{ prefix: 'fe80::a9fe:a9fe/128', preference: 'medium', lifetime: expect.any(Number) }]);
    expect(r.routers[0].routes[0].lifetime).toBeGreaterThan(0);
  });
});
