/**
 * Probing never fails a run (issue 9, item 5), proven live in the guest
 * namespace: koffi loads with /tmp mounted noexec; with no executable place at
 * all, apply still applies and says why it asked nobody; the RA-processing
 * sysctls are set before the Router Solicitation, so its answer already
 * installs the metadata route. And a drive for another machine writes nothing.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { Lab, type LabOptions } from './lab.js';
import { writeLabDrive } from './drive.js';
import { linkUp } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();
let serial = 0;

async function guestUp(opts: Omit<LabOptions, 'guestMac' | 'ipv4'>, { onTestFinished }: TestContext): Promise<{ lab: Lab; mac: string }> {
  const mac = `fa:16:3e:5c:b1:${(serial++).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ ...opts, ipv4: false, guestMac: mac });
  onTestFinished(() => lab.destroy());
  await linkUp(lab);
  return { lab, mac };
}

/**
 * argv run with each of `dirs` made noexec, contents kept: a bind mount onto
 * itself, remounted noexec, in the guest command's own mount namespace only.
 */
function noexec(dirs: readonly string[], argv: readonly string[]): string[] {
  const mounts = dirs.map((d) => `mount -n --bind ${d} ${d} && mount -n -o remount,bind,noexec,nosuid,nodev ${d}`);
  // The binary itself may live under one of them (a checkout in /tmp): its own directory stays executable.
  const bin = dirname(BIN);
  const keep = dirs.some((d) => bin === d || bin.startsWith(`${d}/`)) ? [`mount -n --bind ${bin} ${bin} && mount -n -o remount,bind,exec ${bin}`] : [];
  return ['sh', '-c', `${[...mounts, ...keep].join(' && ')} && exec "$@"`, 'sh', ...argv];
}

describe.runIf(gate.run).concurrent('probing never fails a run', () => {
  it('loads the FFI module with /tmp mounted noexec, and leaves nothing in /run', async (context) => {
    const { expect } = context;
    const { lab } = await guestUp({ mode: 'slaac' }, context);
    const { stdout } = await lab.inGuest(noexec(['/tmp'], [BIN, 'ra', 'eth0', '--wire', '--json']));
    expect(JSON.parse(stdout).interfaces[0]).toMatchObject({ name: 'eth0', mode: 'slaac', source: 'wire' });
    expect(readdirSync(join(lab.dir, 'run'))).not.toContain('v6agent');
  });

  it('applies with a warning when no directory allows loading the FFI module', async (context) => {
    const { expect } = context;
    const { lab, mac } = await guestUp({ mode: 'slaac' }, context);
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const argv = ['env', '-u', 'XDG_RUNTIME_DIR', BIN, 'apply', '--config-drive', drive, '--json'];
    const report = JSON.parse((await lab.inGuest(noexec(['/tmp', '/run'], argv))).stdout);
    expect(report.observed).toEqual([]);
    const probe = report.warnings.find((w: { where: string }) => w.where === 'probe');
    expect(probe.message).toMatch(/^routers not asked \(cannot load the FFI module \(koffi\.node\): no private directory allows executable mappings \(tried .*\/tmp: .*\)\); the drive decides each mode$/);
    // The usability check after the reload reads netlink through the same module: not made, and said so.
    const usable = report.warnings.find((w: { where: string }) => w.where === 'usable');
    expect(usable.message).toMatch(/^whether IPv6 is usable was not checked: addresses and routes could not be read \(cannot load the FFI module \(koffi\.node\): no private directory allows executable mappings/);
    expect(report.reload.usable).toEqual([]);
    expect(lab.guestFile('etc/network/interfaces.d/50-v6agent')).toMatch(/iface eth0 inet6 auto/);
  });

  it('sets the RA sysctls before soliciting, so the answer installs the fe80::a9fe:a9fe route', async (context) => {
    const { expect } = context;
    const { lab, mac } = await guestUp({ mode: 'slaac' }, context);
    // The kernel's own RS at link-up was answered while route information was still ignored.
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.accept_ra_rt_info_max_plen')).toBe('0');
    expect(await lab.guestJson(['-6', 'route', 'show', 'fe80::a9fe:a9fe/128', 'dev', 'eth0'])).toEqual([]);
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const report = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--json'])).stdout);
    expect(report.observed[0]).toMatchObject({ mode: 'slaac', source: 'wire' });
    // Read at once: radvd's next unsolicited RA is at least 30 s away.
    const [route] = await lab.guestJson(['-6', 'route', 'show', 'fe80::a9fe:a9fe/128', 'dev', 'eth0']);
    expect(route).toMatchObject({ dst: 'fe80::a9fe:a9fe', gateway: lab.routerLinkLocal, protocol: 'ra' });
    expect(report.sysctls.find((s: { what: string }) => s.what === 'net.ipv6.conf.eth0.accept_ra_rt_info_max_plen')).toMatchObject({ from: '0', to: '128', status: 'changed' });
  });

  it('writes nothing and exits 3 live when no link of the drive matches a NIC', async (context) => {
    const { expect } = context;
    const { lab } = await guestUp({ mode: 'slaac' }, context);
    const stanza = 'auto eth0\niface eth0 inet6 auto\n';
    mkdirSync(join(lab.guestRoot, 'etc/network/interfaces.d'), { recursive: true });
    writeFileSync(join(lab.guestRoot, 'etc/network/interfaces.d/50-v6agent'), stanza);
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac: '52:54:00:12:34:56' });
    const failed = await lab.inGuest([BIN, 'apply', '--config-drive', drive]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(3);
    expect(failed?.stderr).toMatch(/links: no link matches a NIC of this machine: tap0 \(52:54:00:12:34:56\); no network configuration written/);
    expect(readFileSync(join(lab.guestRoot, 'etc/network/interfaces.d/50-v6agent'), 'utf8')).toBe(stanza);
    expect(readdirSync(join(lab.guestRoot, 'etc/sysctl.d')).filter((n) => n.includes('v6agent'))).toEqual([]);
  });

  it("keeps the stanza of a NIC that is here when the drive's link for it matches no NIC", async (context) => {
    const { expect } = context;
    const { lab, mac } = await guestUp({ mode: 'slaac' }, context);
    await lab.inGuest(['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
    const eth1 = 'auto eth1\niface eth1 inet static\n    address 192.0.2.50/24\n';
    mkdirSync(join(lab.guestRoot, 'etc/network/interfaces.d'), { recursive: true });
    writeFileSync(join(lab.guestRoot, 'etc/network/interfaces.d/50-v6agent'), `auto eth0\niface eth0 inet dhcp\n\n${eth1}`);
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const nd = join(drive, 'openstack/latest/network_data.json');
    const json = JSON.parse(readFileSync(nd, 'utf8'));
    json.links.push({ id: 'tap1', type: 'ovs', ethernet_mac_address: '52:54:00:00:00:99' });
    writeFileSync(nd, JSON.stringify(json));
    const report = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--no-probe', '--json'])).stdout);
    const text = lab.guestFile('etc/network/interfaces.d/50-v6agent')!;
    expect(text).toMatch(/iface eth0 inet6 auto/);
    expect(text).toContain(eth1);
    expect(report.warnings.map((w: { message: string }) => w.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/no interface has MAC 52:54:00:00:00:99; link skipped/), 'kept the earlier stanza for eth1: the drive does not describe it, and the NIC is still here']),
    );
    const again = JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--no-probe', '--json'])).stdout);
    expect(again.files.find((f: { path: string }) => f.path === '/etc/network/interfaces.d/50-v6agent').status).toBe('unchanged');
  });

  it("netplan: keeps v6agent's earlier definition of a NIC that is here when the drive's link for it matches no NIC", async (context) => {
    const { expect } = context;
    const { lab, mac } = await guestUp({ mode: 'slaac' }, context);
    await lab.inGuest(['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p']);
    const eth1 = '    eth1:\n      dhcp4: false\n      addresses:\n        - "192.0.2.50/24"\n';
    mkdirSync(join(lab.guestRoot, 'etc/netplan'), { recursive: true });
    writeFileSync(join(lab.guestRoot, 'etc/netplan/90-v6agent.yaml'), `network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n${eth1}`, { mode: 0o600 });
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const nd = join(drive, 'openstack/latest/network_data.json');
    const json = JSON.parse(readFileSync(nd, 'utf8'));
    json.links.push({ id: 'tap1', type: 'ovs', ethernet_mac_address: '52:54:00:00:00:99' });
    writeFileSync(nd, JSON.stringify(json));
    const apply = [BIN, 'apply', '--config-drive', drive, '--stack', 'netplan', '--no-probe', '--no-reload', '--json'];
    const report = JSON.parse((await lab.inGuest(apply)).stdout);
    const text = lab.guestFile('etc/netplan/90-v6agent.yaml')!;
    expect(text).toMatch(/^ {4}eth0:\n(?: {6}.*\n)* {6}dhcp6: true$/m);
    expect(text).toContain(eth1);
    expect(report.warnings.map((w: { message: string }) => w.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/no interface has MAC 52:54:00:00:00:99; link skipped/), 'kept the earlier definition for eth1: the drive does not describe it, and the NIC is still here']),
    );
    const again = JSON.parse((await lab.inGuest(apply)).stdout);
    expect(again.files.find((f: { path: string }) => f.path === '/etc/netplan/90-v6agent.yaml').status).toBe('unchanged');
  });
});

describe.runIf(gate.run).concurrent('probing without root', () => {
  it('warns that no router was asked and lets the drive decide', async (context) => {
    const { expect } = context;
    // No router has spoken yet, so the kernel cannot answer: only the wire could, which needs root.
    const { lab, mac } = await guestUp({ mode: 'none' }, context);
    // The lab's own directory is 0700: the drive goes where nobody can read it.
    const shared = mkdtempSync(join(tmpdir(), 'v6agent-drive-'));
    context.onTestFinished(() => rmSync(shared, { recursive: true, force: true }));
    chmodSync(shared, 0o755);
    const drive = writeLabDrive(join(shared, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', BIN, 'apply', '--config-drive', drive, '--dry-run', '--json'];
    const report = JSON.parse((await lab.inGuest(asNobody)).stdout);
    expect(report.interfaces[0].summary).toMatch(/slaac/);
    expect(report.warnings).toContainEqual({ where: 'eth0', message: expect.stringMatching(/^routers not asked \(not root: .*\); the drive decides the mode$/) });
  });
});
