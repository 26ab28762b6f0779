/**
 * `dist/v6agent ra`, run inside the guest namespace, reports exactly what the
 * lab's radvd was configured to send; the kernel path agrees with the wire;
 * and a live `apply` follows the router where the drive cannot tell.
 */
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { Lab, PREFIX, type LabOptions } from './lab.js';
import { writeLabDrive } from './drive.js';
import { linkUp, waitFor } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();
let serial = 0;

async function guestUp(opts: Omit<LabOptions, 'guestMac' | 'ipv4'>, { onTestFinished }: TestContext): Promise<Lab> {
  const mac = `fa:16:3e:5c:b0:${(serial++).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ ...opts, ipv4: false, guestMac: mac });
  onTestFinished(() => lab.destroy());
  await linkUp(lab);
  return lab;
}

async function ra(lab: Lab, ...args: string[]): Promise<any> {
  const { stdout } = await lab.inGuest([BIN, 'ra', 'eth0', '--json', ...args]);
  const [iface] = JSON.parse(stdout).interfaces;
  return iface;
}

const PREFIX64 = `${PREFIX}/64`;

describe.runIf(gate.run).concurrent('v6agent ra on the wire', () => {
  it.for([
    { mode: 'slaac', managed: false, other: false, autonomous: true },
    { mode: 'dhcpv6-stateless', managed: false, other: true, autonomous: true },
    { mode: 'dhcpv6-stateful', managed: true, other: false, autonomous: false },
  ] as const)('reports a $mode router as radvd sends it', async (c, context) => {
    const lab = await guestUp({ mode: c.mode, mtu: 1450 }, context);
    const r = await ra(lab, '--wire');
    console.log(`lab ra ${c.mode}: ${r.elapsedMs.toFixed(1)} ms`);
    context.expect(r).toMatchObject({ name: 'eth0', mode: c.mode, source: 'wire' });
    context.expect(r.routers).toEqual([
      context.expect.objectContaining({
        address: lab.routerLinkLocal,
        managed: c.managed,
        other: c.other,
        preference: 'medium',
        mtu: 1450,
        prefixes: [context.expect.objectContaining({ prefix: PREFIX64, onLink: true, autonomous: c.autonomous })],
        rdnss: [],
        dnssl: [],
      }),
    ]);
    context.expect(r.routers[0].lifetime).toBeGreaterThan(0);
  });

  it('calls a router with no autoconf prefix and no M/O unmanaged', async (context) => {
    const lab = await guestUp({ mode: 'static' }, context);
    const r = await ra(lab, '--wire');
    context.expect(r).toMatchObject({ mode: 'unmanaged', source: 'wire' });
    context.expect(r.routers[0]).toMatchObject({ managed: false, other: false, prefixes: [], mtu: null });
  });

  it('says so when no router answers', async (context) => {
    const lab = await guestUp({ mode: 'none' }, context);
    const r = await ra(lab, '--wire', '--timeout', '1');
    context.expect(r).toMatchObject({ mode: 'none', source: 'none', routers: [] });
    context.expect(r.notes[0]).toMatch(/^no router answered within 1\.0 s/);
    context.expect(r.elapsedMs).toBeGreaterThanOrEqual(1000);
    const { stdout } = await lab.inGuest([BIN, 'ra', 'eth0', '--wire', '--timeout', '1']);
    context.expect(stdout).toMatch(/eth0: none .*\n {2}note: no router answered within 1\.0 s/);
  });

  it('collects two routers with their preferences, and the link is stateless if either says O', async (context) => {
    const lab = await guestUp({ mode: 'slaac', preference: 'low' }, context);
    const second = await lab.addRouter('dhcpv6-stateless', { mac: 'fa:16:3e:aa:bb:02', preference: 'high' });
    const r = await waitFor('both routers', () => ra(lab, '--wire'), (x) => x.routers.length === 2);
    context.expect(r.mode).toBe('dhcpv6-stateless');
    const byAddress = Object.fromEntries(r.routers.map((x: any) => [x.address, x]));
    context.expect(byAddress[lab.routerLinkLocal]).toMatchObject({ preference: 'low', other: false });
    context.expect(byAddress[second]).toMatchObject({ preference: 'high', other: true });
  });

  it('reports RDNSS and DNSSL when the router sends them', async (context) => {
    const lab = await guestUp({ mode: 'slaac', rdnss: ['2001:db8:cafe:a::e', '2001:db8:cafe:a::f'], dnssl: ['openstacklocal', 'example.org'] }, context);
    const r = await ra(lab, '--wire');
    context.expect(r.routers[0]).toMatchObject({ rdnss: ['2001:db8:cafe:a::e', '2001:db8:cafe:a::f'], dnssl: ['openstacklocal', 'example.org'], mtu: null });
  });
});

describe.runIf(gate.run).concurrent('v6agent ra from the kernel', () => {
  it.for(['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful'] as const)('agrees with the wire once the kernel has processed a %s RA', async (mode, context) => {
    const lab = await guestUp({ mode }, context);
    const wire = await ra(lab, '--wire');
    // The guest kernel sent its own RS at link-up; wait until it has recorded the answer.
    const kernel = await waitFor('the kernel to record an RA', () => ra(lab), (x) => x.source === 'kernel' || mode === 'dhcpv6-stateful');
    console.log(`lab ra kernel ${mode}: ${kernel.elapsedMs.toFixed(1)} ms`);
    if (mode === 'dhcpv6-stateful') {
      // No SLAAC address forms (A=0), but M is recorded.
      context.expect(kernel.routers.every((x: any) => x.managed)).toBe(true);
    }
    context.expect(kernel).toMatchObject({ source: 'kernel', mode: wire.mode });
    context.expect(kernel.routers.map((x: any) => x.address)).toContain(lab.routerLinkLocal);
  });
});

describe.runIf(gate.run).concurrent('v6agent ra without root', () => {
  it('answers from the kernel and says why it did not ask the wire', async (context) => {
    const lab = await guestUp({ mode: 'dhcpv6-stateless' }, context);
    await waitFor('the kernel to record an RA', () => ra(lab), (x) => x.source === 'kernel');
    const { stdout } = await lab.inGuest(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', BIN, 'ra', 'eth0', '--wire', '--json']);
    const r = JSON.parse(stdout).interfaces[0];
    context.expect(r).toMatchObject({ source: 'kernel', mode: 'dhcpv6-stateless' });
    context.expect(r.notes.join('\n')).toMatch(/not root: no Router Solicitation sent/);
  });
});

describe.runIf(gate.run).concurrent('apply follows the router', () => {
  it('picks stateless DHCPv6 for a legacy ipv6_dhcp drive on an O=1 subnet', async (context) => {
    const { expect } = context;
    const lab = await guestUp({ mode: 'dhcpv6-stateless' }, context);
    const mac = (await lab.guestJson(['link', 'show', 'dev', 'eth0']))[0].address;
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'legacy', ipv4: false, mac });
    const { stdout } = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--stack', 'eni', '--json']);
    const report = JSON.parse(stdout);
    expect(report.observed[0]).toMatchObject({ name: 'eth0', mode: 'dhcpv6-stateless', source: 'wire' });
    expect(report.warnings.map((w: any) => w.message).join('\n')).toMatch(/legacy ipv6_dhcp \(mode unknown\) but the router \(wire\) announces dhcpv6-stateless; following the router/);
    expect(lab.guestFile('etc/network/interfaces.d/50-v6agent')).toMatch(/iface eth0 inet6 auto\n {4}accept_ra 1\n {4}dhcp 1\n/);
    // Live: the sysctls were set in the guest's namespace.
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.accept_ra_rt_info_max_plen')).toBe('128');
  });

  it('keeps the drive when no router answers, and --no-probe asks nobody', async (context) => {
    const { expect } = context;
    const lab = await guestUp({ mode: 'none' }, context);
    const mac = (await lab.guestJson(['link', 'show', 'dev', 'eth0']))[0].address;
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'dhcpv6-stateful', ipv4: false, mac });
    const probed = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--stack', 'eni', '--probe-timeout', '0.5', '--dry-run', '--json'])).stdout);
    expect(probed.observed[0]).toMatchObject({ mode: 'none', source: 'none' });
    expect(probed.interfaces[0].summary).toMatch(/dhcpv6-stateful/);
    const unprobed = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--stack', 'eni', '--no-probe', '--dry-run', '--json'])).stdout);
    expect(unprobed.observed).toEqual([]);
  });

  it('asks nobody on an interface without IPv6, and still applies', async (context) => {
    const { expect } = context;
    const lab = await guestUp({ mode: 'slaac' }, context);
    // Below 1280 the kernel drops the interface's IPv6 state: it is no longer in the AF_INET6 link dump.
    await lab.inGuest(['ip', 'link', 'set', 'eth0', 'mtu', '1200']);
    const mac = (await lab.guestJson(['link', 'show', 'dev', 'eth0']))[0].address;
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const report = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--stack', 'eni', '--dry-run', '--json'])).stdout);
    expect(report.observed).toEqual([]);
    expect(report.interfaces[0]).toMatchObject({ name: 'eth0' });
  });

  it('does not wait for routers on a link that is down', async (context) => {
    const { expect } = context;
    const lab = await guestUp({ mode: 'slaac' }, context);
    await lab.inGuest(['ip', 'link', 'set', 'eth0', 'down']);
    const mac = (await lab.guestJson(['link', 'show', 'dev', 'eth0']))[0].address;
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'dhcpv6-stateless', ipv4: false, mac });
    const { stdout, ms } = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--stack', 'eni', '--probe-timeout', '5', '--dry-run', '--json']);
    expect(JSON.parse(stdout).observed[0]).toMatchObject({ mode: 'none', source: 'none', notes: ['the link is down: no Router Solicitation sent'] });
    expect(ms).toBeLessThan(5000);
  });
});
