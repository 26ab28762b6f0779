/**
 * `dist/v6agent doctor` in a lab guest (its own netns, /etc, /run): a guest
 * configured by `v6agent apply` + ifup is all-ok; each misconfiguration made
 * inside the guest namespace is reported as exactly its findings, and where
 * doctor claims a fix, `--fix` clears them and a second doctor is clean.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { Lab, PREFIX, type LabMode } from './lab.js';
import { STATEFUL_ADDRESS, writeLabDrive } from './drive.js';
import { addresses, linkUp, waitFor } from './guest.js';
import { labGate } from './requirements.js';
import { doctor, problems, type DoctorGuest } from './doctor-run.js';

const gate = labGate();
const run = promisify(execFile);
let serial = 0;

type Guest = DoctorGuest;

/** A guest on a `mode` subnet with v6agent's files rendered and sysctls loaded; `ifup` runs unless told not to. */
async function guest(mode: LabMode | 'none', { expect, onTestFinished }: TestContext, how: { ifup?: boolean; driveMode?: LabMode } = {}): Promise<Guest> {
  const mac = `fa:16:3e:5c:d0:${(serial++).toString(16).padStart(2, '0')}`;
  // DHCPv6-stateful as Neutron serves it: the port's fixed IP (the drive's address) to this MAC, not a lease from a range.
  const lab = await Lab.create({ mode, ipv4: false, guestMac: mac, mtu: 1450, dhcp6FixedAddress: STATEFUL_ADDRESS });
  onTestFinished(() => lab.destroy());
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: how.driveMode ?? (mode === 'none' ? 'slaac' : mode), ipv4: false, mac });
  const r = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${mac}=eth0`]);
  expect(r.stderr).toBe('');
  await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
  if (how.ifup === false) await linkUp(lab);
  else await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
  if (mode === 'slaac' || mode === 'dhcpv6-stateless') await eui64Ready(lab, mac);
  if (mode === 'dhcpv6-stateful' && how.ifup !== false) await waitFor("the port's fixed IP from DHCPv6", () => addresses(lab), (a) => a.some((x) => x.local === STATEFUL_ADDRESS));
  await waitFor('DAD to finish', () => addresses(lab), (a) => a.length > 0 && a.every((x) => !x.tentative));
  return { lab, mac, drive };
}

/** The EUI-64 SLAAC address is there and DAD is done on every address: nothing left tentative. */
async function eui64Ready(lab: Lab, mac: string): Promise<void> {
  const want = eui64Address(PREFIX, mac);
  await waitFor('the EUI-64 SLAAC address, all DAD done', () => addresses(lab), (a) => a.some((x) => x.local === want) && a.every((x) => !x.tentative));
}

/**
 * An HTTP server on fe80::a9fe:a9fe in the router's namespace, as Neutron's metadata proxy listens there;
 * it serves /openstack only when `found` (python's http.server answers 404 otherwise).
 */
async function metadataServer(lab: Lab, found: boolean, { onTestFinished }: TestContext): Promise<void> {
  await run('ip', ['-n', lab.router, 'addr', 'add', 'fe80::a9fe:a9fe/128', 'dev', 'br0', 'nodad']);
  const dir = join(lab.dir, 'metadata');
  mkdirSync(dir);
  if (found) writeFileSync(join(dir, 'openstack'), 'latest\n');
  const server = spawn('ip', ['netns', 'exec', lab.router, 'python3', '-m', 'http.server', '80', '--bind', '::', '--directory', dir], { stdio: 'ignore' });
  onTestFinished(() => void server.kill());
  await waitFor('the metadata server to listen', async () => (await run('ip', ['netns', 'exec', lab.router, 'ss', '-Hltn', 'sport = :80'])).stdout, (o) => o.includes(':80'));
}

describe.runIf(gate.run).concurrent('v6agent doctor on a lab guest', () => {
  it.for(['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static'] as const)('a healthy %s guest configured by apply + ifup is all-ok, exit 0', async (mode, context) => {
    const g = await guest(mode, context);
    const r = await doctor(g);
    context.expect(problems(r), JSON.stringify(r.checks, null, 1)).toEqual([]);
    context.expect(r.code).toBe(0);
    context.expect(r.checks.map((c) => c.id)).toEqual(context.expect.arrayContaining(['sysctl.use_tempaddr', 'address.link_local', 'route.default', 'ra.router', 'dns.ipv6']));
    // Stateful: the lease is the port's fixed IP, and the client that got it is still running to renew it.
    if (mode === 'dhcpv6-stateful') {
      context.expect(r.checks.find((c) => c.id === 'address.declared')).toMatchObject({ status: 'ok', observed: STATEFUL_ADDRESS });
      context.expect(r.checks.find((c) => c.id === 'ra.dhcpv6')!.observed).toMatch(/^M=1; running: dhclient .*-6.* eth0/);
    }
  });

  it('use_tempaddr = 2: names the sysctl and the temporary address; --fix clears both', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.use_tempaddr', '2');
    await g.lab.inGuest(['rdisc6', '-1', 'eth0']); // an RA now: the kernel forms a temporary address
    await waitFor('a usable temporary address', () => addresses(g.lab), (a) => a.some((x) => x.temporary && !x.tentative));
    const before = await doctor(g);
    expect(problems(before)).toEqual(['fail address.temporary', 'fail sysctl.use_tempaddr']);
    expect(before.code).toBe(1);
    expect(before.checks.find((c) => c.id === 'sysctl.use_tempaddr')).toMatchObject({ observed: 'net.ipv6.conf.eth0.use_tempaddr = 2', expected: '0' });
    const fixed = await doctor(g, '--fix');
    expect(fixed.fixed.map((f) => `${f.id} ${f.before}→${f.after}`).sort()).toEqual(['address.temporary fail→ok', 'sysctl.use_tempaddr fail→ok']);
    expect(problems(fixed)).toEqual([]);
    expect(await g.lab.guestSysctl('net.ipv6.conf.eth0.use_tempaddr')).toBe('0');
    expect(g.lab.guestFile('etc/sysctl.d/60-v6agent-eth0.conf')).toMatch(/^net\.ipv6\.conf\.eth0\.use_tempaddr = 0$/m);
    expect(problems(await doctor(g))).toEqual([]);
  });

  it('--fix never deletes a temporary address an SSH session (established on local port 22) runs on', async (context) => {
    const { expect, onTestFinished } = context;
    const g = await guest('slaac', context);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.use_tempaddr', '2');
    await g.lab.inGuest(['rdisc6', '-1', 'eth0']);
    const temp = (await waitFor('a usable temporary address', () => addresses(g.lab), (a) => a.some((x) => x.temporary && !x.tentative))).find((x) => x.temporary && !x.tentative)!.local;
    // A session from another terminal: no SSH_CONNECTION in doctor's environment, only the kernel's TCP table shows it.
    const server = spawn('ip', ['netns', 'exec', g.lab.guest, process.execPath, '-e', `require('net').createServer((s) => s.pipe(s)).listen(22, ${JSON.stringify(temp)}, () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void server.kill());
    await new Promise((r) => server.stdout!.once('data', r));
    const client = spawn('ip', ['netns', 'exec', g.lab.router, process.execPath, '-e', `require('net').connect({ host: ${JSON.stringify(temp)}, port: 22 }).on('connect', () => console.log('connected')).on('data', () => {})`], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void client.kill());
    await new Promise((r) => client.stdout!.once('data', r));
    const fixed = await doctor(g, '--fix');
    expect(fixed.fixed.map((f) => `${f.id} ${f.before}→${f.after}`)).toEqual(['sysctl.use_tempaddr fail→ok']);
    expect(problems(fixed)).toEqual(['fail address.temporary']);
    expect((await addresses(g.lab)).map((x) => x.local)).toContain(temp);
  });

  it('stable-privacy (stable_secret set, link bounced): names the sysctl and every non-EUI-64 address; --fix and the next RA restore EUI-64 only', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await g.lab.inGuest(['ip', 'link', 'set', 'eth0', 'down']);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.stable_secret', '2001:db8:5ec:7e7::1');
    await g.lab.inGuest(['ip', 'link', 'set', 'eth0', 'up']);
    await waitFor('a stable-privacy SLAAC address', () => addresses(g.lab), (a) => a.some((x) => x.scope === 'global' && x.local !== eui64Address(PREFIX, g.mac)) && a.every((x) => !x.tentative));
    const before = await doctor(g);
    expect(problems(before)).toEqual(['fail address.declared', 'fail address.eui64', 'fail address.link_local', 'fail sysctl.addr_gen_mode']);
    expect(before.checks.find((c) => c.id === 'sysctl.addr_gen_mode')!.observed).toBe('net.ipv6.conf.eth0.addr_gen_mode = 2 (stable_secret set)');
    // The kernel adds the EUI-64 link-local at once; --fix then removes the stable-privacy one.
    const fixed = await doctor(g, '--fix');
    expect(fixed.fixed.map((f) => f.id).sort()).toEqual(['address.link_local', 'sysctl.addr_gen_mode']);
    expect((await addresses(g.lab)).filter((a) => a.scope === 'link').map((a) => a.local)).toEqual([eui64Address('fe80::', g.mac)]);
    // The SLAAC address follows on the next RA; then the stable-privacy one is stray and --fix removes it.
    await g.lab.inGuest(['rdisc6', '-1', 'eth0']);
    await eui64Ready(g.lab, g.mac);
    expect(problems(await doctor(g))).toEqual(['warn address.eui64']);
    expect((await doctor(g, '--fix')).fixed).toMatchObject([{ id: 'address.eui64', status: 'changed', after: 'ok' }]);
    expect(problems(await doctor(g))).toEqual([]);
  });

  it('accept_ra_rt_info_max_plen = 0: the metadata route would be dropped; --fix sets 128', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.accept_ra_rt_info_max_plen', '0');
    const before = await doctor(g);
    expect(problems(before)).toEqual(['warn sysctl.accept_ra_rt_info_max_plen']);
    expect(before.code).toBe(0);
    expect((await doctor(g, '--fix')).fixed).toMatchObject([{ id: 'sysctl.accept_ra_rt_info_max_plen', status: 'changed', before: 'warn', after: 'ok' }]);
    expect(problems(await doctor(g))).toEqual([]);
  });

  it('forwarding = 1 with accept_ra = 1: RAs silently ignored; --fix sets accept_ra = 2', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.forwarding', '1');
    const before = await doctor(g);
    expect(problems(before)).toContain('fail sysctl.accept_ra');
    expect(before.checks.find((c) => c.id === 'sysctl.accept_ra')!.observed).toBe('net.ipv6.conf.eth0.accept_ra = 1 with net.ipv6.conf.eth0.forwarding = 1');
    await doctor(g, '--fix');
    expect(await g.lab.guestSysctl('net.ipv6.conf.eth0.accept_ra')).toBe('2');
    await g.lab.inGuest(['rdisc6', '-1', 'eth0']);
    expect(problems(await doctor(g))).toEqual([]);
  });

  it('disable_ipv6 = 1: one finding, not a cascade; --fix re-enables IPv6 and SLAAC comes back', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await g.lab.setGuestSysctl('net.ipv6.conf.eth0.disable_ipv6', '1');
    expect(problems(await doctor(g))).toEqual(['fail sysctl.disable_ipv6']);
    await doctor(g, '--fix');
    await eui64Ready(g.lab, g.mac);
    expect(problems(await doctor(g))).toEqual([]);
  });

  it("an O=1 router with no DHCPv6 client configured or running: names the missing client; --fix runs ifupdown's information-only exchange", async (context) => {
    const { expect } = context;
    const g = await guest('dhcpv6-stateless', context, { ifup: false });
    rmSync(join(g.lab.guestRoot, 'etc/network/interfaces.d/50-v6agent'));
    const r = await doctor(g);
    expect(problems(r)).toEqual(['fail ra.dhcpv6']);
    expect(r.checks.find((c) => c.id === 'ra.dhcpv6')!.observed).toBe('O=1 from the router, but no DHCPv6 client runs for eth0 or is configured');
    expect(g.lab.dnsmasqLog()).not.toMatch(/DHCPINFORMATION-REQUEST/);
    const fixed = await doctor(g, '--fix');
    expect(fixed.fixed).toEqual([{ id: 'ra.dhcpv6', interface: 'eth0', action: 'dhclient -6 -1 -S -pf /run/dhclient6.eth0.pid -lf /var/lib/dhcp/dhclient6.eth0.leases -I -df /var/lib/dhcp/dhclient.eth0.leases eth0', status: 'changed', before: 'fail', after: 'ok' }]);
    expect(g.lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
    expect(problems(fixed)).toEqual([]);
  });

  it('an M=1 router with no DHCPv6 client: --fix starts dhclient -6, which keeps running, and the lease arrives', async (context) => {
    const { expect } = context;
    const g = await guest('dhcpv6-stateful', context, { ifup: false });
    rmSync(join(g.lab.guestRoot, 'etc/network/interfaces.d/50-v6agent'));
    const before = await doctor(g);
    // Until a client asks, the port's fixed IP is missing too (a warning on a stateful subnet: the lease decides).
    expect(problems(before)).toEqual(['fail address.global', 'fail ra.dhcpv6', 'warn address.declared']);
    const fixed = await doctor(g, '--fix');
    expect(fixed.fixed).toMatchObject([{ id: 'ra.dhcpv6', status: 'changed', before: 'fail', after: 'ok' }]);
    expect(fixed.fixed[0]!.action).toBe('dhclient -6 -nw -pf /run/dhclient6.eth0.pid -lf /var/lib/dhcp/dhclient6.eth0.leases -I -df /var/lib/dhcp/dhclient.eth0.leases eth0');
    await waitFor("the port's fixed IP from DHCPv6, usable", () => addresses(g.lab), (a) => a.some((x) => x.local === STATEFUL_ADDRESS && !x.tentative));
    expect(problems(await doctor(g))).toEqual([]);
  });

  it('no router on the link: no router, no global address, no default route', async (context) => {
    const { expect } = context;
    const g = await guest('none', context, { ifup: false });
    const r = await doctor(g);
    expect(problems(r)).toEqual(['fail address.declared', 'fail address.global', 'fail ra.router', 'fail route.default']);
    expect(r.code).toBe(1);
  });

  it("a router in a different mode from the drive's: reports the disagreement", async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context, { driveMode: 'dhcpv6-stateless', ifup: false });
    await eui64Ready(g.lab, g.mac);
    const r = await doctor(g);
    expect(problems(r)).toEqual(['warn ra.mode']);
    expect(r.checks.find((c) => c.id === 'ra.mode')!.observed).toBe('the router says slaac, the drive says dhcpv6-stateless');
  });

  it('no config drive and the IPv6 metadata service answers 404: fail naming the URL', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await metadataServer(g.lab, false, context);
    const r = await doctor(g, '--no-config-drive');
    expect(problems(r)).toEqual(['fail metadata.service']);
    expect(r.checks.find((c) => c.id === 'metadata.service')!.observed).toBe('no config drive, and http://[fe80::a9fe:a9fe%eth0]/openstack answers 404');
  });

  it('no config drive and the IPv6 metadata service answers: ok', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    await metadataServer(g.lab, true, context);
    const r = await doctor(g, '--no-config-drive');
    expect(problems(r)).toEqual([]);
    expect(r.checks.find((c) => c.id === 'metadata.service')).toMatchObject({ status: 'ok', observed: 'http://[fe80::a9fe:a9fe%eth0]/openstack answers 200' });
  });

  it('no config drive and nothing answers on fe80::a9fe:a9fe: fail, the metadata service is unreachable', async (context) => {
    const { expect } = context;
    const g = await guest('slaac', context);
    const r = await doctor(g, '--no-config-drive');
    expect(problems(r)).toEqual(['fail metadata.service']);
    expect(r.checks.find((c) => c.id === 'metadata.service')!.observed).toMatch(/^no config drive, and http:\/\/\[fe80::a9fe:a9fe%eth0\]\/openstack: /);
  });
});
