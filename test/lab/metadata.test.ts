/**
 * IPv6-only instances without a config drive: `dist/v6agent` in the guest
 * namespace gets its host name, keys and cache from a metadata server of the
 * test's own on fe80::a9fe:a9fe — on-link, and behind the router with radvd
 * announcing the /128 route — which, like Neutron, answers only the EUI-64
 * link-local of the guest's MAC. The guest sees no config drive (its
 * /sys/class/block is empty), and has private /etc, /run, /var/lib, /root, /home.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it, type TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { readTree } from '../helpers.js';
import { Lab, ROUTER_V4, type LabOptions } from './lab.js';
import { addresses, linkUp, waitFor } from './guest.js';
import { makePrivate, MetadataServer, privateGuestArgv, type ServerOptions, type ServedInstance } from './metadata-server.js';
import { KEY, servedInstance, UUID } from './metadata-instance.js';
import { labGate } from './requirements.js';
import { eui64Address } from '../../agent/model/addr.js';

const gate = labGate();
const run = promisify(execFile);
let serial = 0;

interface Guest {
  lab: Lab;
  mac: string;
  priv: string;
}

async function guest(opts: Partial<Omit<LabOptions, 'guestMac'>>, context: TestContext, prepare?: (lab: Lab) => Promise<void>): Promise<Guest> {
  const mac = `fa:16:3e:6d:00:${(serial++).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, ...opts, guestMac: mac });
  context.onTestFinished(() => lab.destroy());
  if (prepare) await prepare(lab);
  await linkUp(lab);
  const priv = join(lab.dir, 'private');
  makePrivate(priv);
  return { lab, mac, priv };
}

async function serve(g: Guest, opts: Omit<ServerOptions, 'instances'> & { instances?: ServedInstance[] }, context: TestContext): Promise<MetadataServer> {
  const server = await MetadataServer.start(g.lab, { instances: [servedInstance(g.mac)], ...opts });
  context.onTestFinished(() => server.stop());
  return server;
}

/** Run the binary in the guest with its own /root and /home, and no block devices (no config drive). */
async function v6agent(g: Guest, args: readonly string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  try {
    const r = await g.lab.inGuest(privateGuestArgv(g.priv, [BIN, ...args]), timeoutMs);
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof x.code !== 'number') throw e;
    return { code: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '', ms: performance.now() - t0 };
  }
}

/** A packet capture on the guest's port, for assertions on the wire. */
async function capture(g: Guest, context: TestContext): Promise<() => Promise<(filter: string) => Promise<number>>> {
  const file = join(g.lab.dir, `wire-${serial++}.pcap`);
  const child = spawn('ip', ['netns', 'exec', g.lab.guest, 'tcpdump', '-i', 'eth0', '-n', '--immediate-mode', '-U', '-Z', 'root', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  context.onTestFinished(() => void (child.exitCode === null && child.kill('SIGKILL')));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
  });
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
    return async (filter: string) => {
      const { stdout } = await run('tcpdump', ['-r', file, '-n', filter], { maxBuffer: 64 * 1024 * 1024 });
      return stdout.split('\n').filter(Boolean).length;
    };
  };
}

function authorizedKeys(g: Guest): string {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === 'authorized_keys') found.push(readFileSync(p, 'utf8'));
    }
  };
  walk(g.priv);
  return found.join('');
}

function cache(g: Guest): { mode: number; json: any } {
  const p = join(g.lab.dir, 'run/v6agent/instance.json');
  return { mode: statSync(p).mode & 0o777, json: JSON.parse(readFileSync(p, 'utf8')) };
}

async function metadataRoutes(g: Guest): Promise<unknown[]> {
  return (await g.lab.guestJson(['-6', 'route', 'show', 'table', 'all'])).filter((r: { dst: string }) => r.dst === 'fe80::a9fe:a9fe');
}

describe.runIf(gate.run).concurrent('metadata over IPv6 without a config drive', () => {
  it.for([
    { topology: 'on-link', metadataRoute: false },
    { topology: 'routed', metadataRoute: true },
  ] as const)('apply fills host name, keys and cache from a $topology fe80::a9fe:a9fe and sends no IPv4 packet', async (c, context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: c.metadataRoute }, context);
    const server = await serve(g, { ipv6: c.topology }, context);
    const stop = await capture(g, context);
    const r = await v6agent(g, ['apply', '--json']);
    const count = await stop();
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    console.log(`lab metadata ${c.topology}: apply took ${r.ms.toFixed(0)} ms, the walk ${report.discovery.elapsedMs} ms`);
    expect(report.discovery).toMatchObject({ answered: 'ipv6', origin: 'http://[fe80::a9fe:a9fe%25eth0]/openstack/latest' });
    expect(report.source).toBe('http://[fe80::a9fe:a9fe%25eth0]/openstack/latest');
    // The network from the service's network_data.json, as from a drive: SLAAC on eth0, no IPv4.
    expect(g.lab.guestFile('etc/network/interfaces.d/50-v6agent')).toMatch(/iface eth0 inet6 auto\n {4}accept_ra 1\n/);
    expect(g.lab.guestFile('etc/network/interfaces.d/50-v6agent')).not.toMatch(/inet dhcp/);
    expect(g.lab.guestFile('etc/hostname')).toBe('v6meta\n');
    expect(g.lab.guestFile('etc/hosts')).toMatch(/v6meta\.novalocal v6meta/);
    expect(authorizedKeys(g)).toContain(KEY);
    const { mode, json } = cache(g);
    expect(mode).toBe(0o600);
    expect(json).toMatchObject({ instanceId: UUID, instance: { hostname: 'v6meta', discovery: { answered: 'ipv6' } } });
    // Neutron saw the EUI-64 link-local of the MAC.
    expect(server.for('/openstack')[0]).toMatchObject({ remote: `${eui64Address('fe80::', g.mac)}%${c.topology === 'on-link' ? 'md0' : 'br0'}`, status: 200 });
    // On the wire: IPv6 to the service, and not one IPv4 (or ARP) packet.
    expect(await count("ip6 and tcp port 80")).toBeGreaterThan(0);
    expect(await count('ip or arp')).toBe(0);
    const steps = report.discovery.attempts.map((a: any) => a.step);
    if (c.topology === 'routed') {
      expect(steps).toContain(`route add fe80::a9fe:a9fe/128 via ${g.lab.routerLinkLocal}`);
      expect(steps).toContain('route del fe80::a9fe:a9fe/128');
    } else expect(steps.some((s: string) => s.startsWith('route add'))).toBe(false);
    // The temporary route is gone. The /128 left, in the routed topology, is the kernel's own from the RA:
    // apply sets accept_ra_rt_info_max_plen=128 before it solicits, so the kernel keeps it from then on.
    const left = (await metadataRoutes(g)) as { protocol: string }[];
    expect(left.filter((r) => r.protocol !== 'ra')).toEqual([]);
    if (c.topology === 'on-link') expect(left).toEqual([]);
  });

  it('metadata walks the same sources, prints the instance, the source and the timeline, and writes nothing', async (context) => {
    const { expect } = context;
    const g = await guest({}, context);
    await serve(g, { ipv6: 'routed' }, context);
    const etcBefore = readTree(join(g.lab.guestRoot, 'etc'));
    const r = await v6agent(g, ['metadata']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^uuid: {6}6f1c2b1e-0d3a-4c55-9e77-00000000a9fe\n/);
    expect(r.stdout).toMatch(/\nsource: {4}ipv6 \(http:\/\/\[fe80::a9fe:a9fe%25eth0\]\/openstack\/latest\) after \d+ ms\ntried:\n/);
    expect(r.stdout).toMatch(/ drive drive {4}find config drive: none/);
    expect(r.stdout).toMatch(/ ipv6 {2}eth0 {5}GET \/openstack\/latest\/meta_data\.json: 200/);
    expect(existsSync(join(g.lab.dir, 'run/v6agent'))).toBe(false);
    expect(existsSync(join(g.lab.dir, 'varlib/v6agent'))).toBe(false);
    expect(readTree(join(g.lab.guestRoot, 'etc'))).toEqual(etcBefore);
    expect(await metadataRoutes(g)).toEqual([]);
  });

  it('metadata --cached prints what apply cached', async (context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: false }, context);
    await serve(g, { ipv6: 'on-link' }, context);
    expect((await v6agent(g, ['metadata', '--cached'])).stderr).toMatch(/instance\.json: not found: no apply has run on this boot/);
    expect((await v6agent(g, ['apply'])).code).toBe(0);
    const r = await v6agent(g, ['metadata', '--cached', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 1, instanceId: UUID, instance: { hostname: 'v6meta', discovery: { answered: 'ipv6' } } });
  });

  it('explains the 404 a stable-privacy link-local gets', async (context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: false }, context, async (lab) => {
      await lab.setGuestSysctl('net.ipv6.conf.eth0.stable_secret', '2001:db8:5ec:2e7::1');
      await lab.setGuestSysctl('net.ipv6.conf.eth0.addr_gen_mode', '2');
    });
    const ll = (await addresses(g.lab)).find((a) => a.scope === 'link')!.local;
    expect(ll).not.toBe(eui64Address('fe80::', g.mac));
    const server = await serve(g, { ipv6: 'on-link' }, context);
    const r = await v6agent(g, ['metadata', '--source', 'ipv6']);
    expect(r.code).toBe(1);
    expect(server.for('/openstack')).toEqual([expect.objectContaining({ remote: `${ll}%md0`, status: 404 })]);
    expect(r.stderr).toMatch(/\/openstack: 404: the port was not identified: the link-local of eth0 \(fe80::[0-9a-f:]+\) is not the EUI-64 of its MAC/);
    expect(r.stderr).toContain(`(${eui64Address('fe80::', g.mac)}; addr_gen_mode 2)`);
  });

  it('falls back to the IPv4 service on a dual-stack guest when the IPv6 one is down', async (context) => {
    const { expect } = context;
    const g = await guest({}, context);
    await g.lab.inGuest(['ip', 'addr', 'add', '192.0.2.10/24', 'dev', 'eth0']);
    await g.lab.inGuest(['ip', 'route', 'add', 'default', 'via', ROUTER_V4]);
    const server = await serve(g, { ipv6: 'none', ipv4: true }, context);
    const r = await v6agent(g, ['metadata', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    console.log(`lab metadata IPv4 fallback: ${m.discovery.elapsedMs} ms`);
    expect(m).toMatchObject({ hostname: 'v6meta', discovery: { answered: 'ipv4', origin: 'http://169.254.169.254/openstack/latest' } });
    expect(m.discovery.attempts.filter((a: any) => a.source === 'ipv6').length).toBeGreaterThan(0);
    expect(server.for('/openstack')[0]).toMatchObject({ remote: '::ffff:192.0.2.10', status: 200 });
  });

  it('with no server at all, apply writes the fallback configuration and gives a clear verdict within the budget', async (context) => {
    const { expect } = context;
    const g = await guest({}, context);
    const stop = await capture(g, context);
    const hostnameBefore = g.lab.guestFile('etc/hostname');
    const r = await v6agent(g, ['apply', '--metadata-timeout', '5']);
    const count = await stop();
    console.log(`lab metadata no server: verdict after ${r.ms.toFixed(0)} ms`);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(5000 + 3000);
    expect(r.stderr).toMatch(/^v6agent: no metadata source answered within \d+\.\d s \(budget 5\.0 s\):\n {2}config drive: none\n {2}ipv6 eth0: /);
    expect(r.stderr).toContain('no IPv4 address or route: the IPv4 service is not asked');
    expect(r.stdout).toContain('fallback: no metadata source answered; wrote the fallback configuration');
    expect(g.lab.guestFile('etc/network/interfaces.d/50-v6agent')).toMatch(/iface eth0 inet6 auto/);
    expect(g.lab.guestFile('etc/hostname')).toBe(hostnameBefore);
    expect(await count('ip or arp')).toBe(0);
  });

  it('with no server, keeps the configuration an earlier source gave this VM instead of the fallback', async (context) => {
    const { expect } = context;
    const g = await guest({}, context);
    mkdirSync(join(g.lab.dir, 'varlib/v6agent'), { recursive: true });
    writeFileSync(join(g.lab.dir, 'varlib/v6agent/instance-id'), `${UUID}\n`);
    const etcBefore = readTree(join(g.lab.guestRoot, 'etc'));
    const r = await v6agent(g, ['apply', '--metadata-timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^v6agent: no metadata source answered within/);
    expect(r.stderr).toContain(`kept the configuration written for instance ${UUID} (/var/lib/v6agent/instance-id): nothing written`);
    expect(readTree(join(g.lab.guestRoot, 'etc'))).toEqual(etcBefore);
  });

  it('finds the service on the second of two interfaces', async (context) => {
    const { expect } = context;
    const g = await guest({}, context);
    // A second subnet, its port moved into the first guest as eth1; only there is a service (on-link).
    const second = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: 'fa:16:3e:6d:01:01', metadataRoute: false });
    context.onTestFinished(() => second.destroy());
    const server = await MetadataServer.start(second, { ipv6: 'on-link', instances: [servedInstance('fa:16:3e:6d:01:01', 'second')] });
    context.onTestFinished(() => server.stop());
    await run('ip', ['-n', second.guest, 'link', 'set', 'eth0', 'name', 'eth1']);
    await run('ip', ['-n', second.guest, 'link', 'set', 'eth1', 'netns', g.lab.guest]);
    await g.lab.inGuest(['ip', 'link', 'set', 'eth1', 'up']);
    await waitFor('eth1 link-local', async () => (await g.lab.guestJson(['addr', 'show', 'dev', 'eth1']))[0].addr_info, (a: any[]) => a.some((x) => x.scope === 'link' && !x.tentative));
    const r = await v6agent(g, ['metadata', '--source', 'ipv6', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m).toMatchObject({ hostname: 'second', discovery: { answered: 'ipv6', origin: 'http://[fe80::a9fe:a9fe%25eth1]/openstack/latest' } });
    // Both raced, eth1 started one stagger (150 ms) after eth0.
    const firstStep = (iface: string): number => m.discovery.attempts.find((a: any) => a.where === iface && /^(GET|route add) /.test(a.step)).atMs;
    expect(firstStep('eth1') - firstStep('eth0')).toBeGreaterThanOrEqual(140);
  });

  it('retries 429 and 5xx answers, with backoff', async (context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: false }, context);
    const path = '/openstack/latest/meta_data.json';
    const server = await serve(g, { ipv6: 'on-link', faults: { [path]: [429, 503, 500] } }, context);
    const r = await v6agent(g, ['metadata', '--source', 'ipv6', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(server.for(path).map((x) => x.status)).toEqual([429, 503, 500, 200]);
    const tries = JSON.parse(r.stdout).discovery.attempts.filter((a: any) => a.step === `GET ${path}`);
    expect(tries.map((a: any) => a.result)).toEqual(['429', '503', '500', '200']);
    // Backoff: each try starts after the one before it ended plus a pause (200, 400, 800 ms).
    for (let i = 1; i < tries.length; i++) expect(tries[i].atMs - (tries[i - 1].atMs + tries[i - 1].ms)).toBeGreaterThanOrEqual(150 * 2 ** (i - 1));
  });

  it('refuses a 10 MiB answer without retrying it', async (context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: false }, context);
    const path = '/openstack/latest/meta_data.json';
    const server = await serve(g, { ipv6: 'on-link', huge: [path] }, context);
    const r = await v6agent(g, ['metadata', '--source', 'ipv6']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/meta_data\.json: the answer is more than the 1048576 bytes accepted \(ETOOBIG\)/);
    expect(server.for(path)).toHaveLength(1);
  });

  it('--json: when nothing answers, stdout is one error object with the timeline beside it, exit 1', async (context) => {
    const { expect } = context;
    const g = await guest({ metadataRoute: false }, context);
    const r = await v6agent(g, ['metadata', '--source', 'ipv6', '--timeout', '1', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: false, error: { code: 'failure', exitCode: 1 }, discovery: { answered: 'none' } });
    expect(json.error.message).toMatch(/^no metadata source answered/);
    expect(json.discovery.attempts.length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`v6agent: ${json.error.message.split('\n')[0]}`);
  });
});
