/**
 * A Neutron-like IPv6 subnet in network namespaces, made per test and removed
 * afterwards. Topology:
 *
 *   guest netns "…g": eth0 (the instance's port, MAC fa:16:3e:…)
 *          │ veth
 *   router netns "…r": rp0 ─ br0 ─ k0 (keeper veth, so a guest link bounce
 *                      does not drop br0's carrier and restart radvd)
 *                      br0: 2001:db8:cafe:1::1/64, 192.0.2.1/24; radvd; dnsmasq
 *
 * The guest runs commands with its own /etc, /root and /home (a minimal tree
 * the lab seeds, ./seed.ts, which is also where `v6agent apply --root`
 * renders), /run and /var/lib: it neither reads nor writes the host's files.
 * Only documentation prefixes and link-local addresses are used.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { killNamespace, NAME_PREFIX } from './processes.js';
import { PRIVATE_TREES, seedGuestTree } from './seed.js';
import { eui64Address } from '../../agent/model/addr.js';

const run = promisify(execFile);

export const PREFIX = '2001:db8:cafe:1::';
export const ROUTER_V6 = '2001:db8:cafe:1::1';
export const ROUTER_V4 = '192.0.2.1';
export const DHCP6_DNS = '2001:db8:cafe:a::e';
/** dnsmasq answers DNS here on dual-stack subnets, and DHCPv4 hands it out (as Neutron's dnsmasq does). */
export const DHCP4_DNS = ROUTER_V4;
export const LAB_DOMAIN = 'lab.test';
export const DHCP6_RANGE = ['2001:db8:cafe:1::100', '2001:db8:cafe:1::1ff'] as const;
const ROUTER_MAC = 'fa:16:3e:aa:bb:01';

/** Router behaviour per Neutron subnet mode (neutron/agent/linux/ra.py). */
export type LabMode = 'slaac' | 'dhcpv6-stateless' | 'dhcpv6-stateful' | 'static';

/** One router's RA options beyond the mode. */
export interface RouterOptions {
  readonly preference?: 'high' | 'medium' | 'low';
  readonly rdnss?: readonly string[];
  readonly dnssl?: readonly string[];
  readonly mtu?: number;
  /** Announce `route fe80::a9fe:a9fe/128` as Neutron's radvd does on routed networks (default true). */
  readonly metadataRoute?: boolean;
}

export interface LabOptions extends RouterOptions {
  /** `none`: no radvd at all. */
  readonly mode: LabMode | 'none';
  /** Serve DHCPv4 too (dual-stack port). */
  readonly ipv4: boolean;
  readonly guestMac: string;
  /** Also plug a tap of this name (or these: one per NIC of a VM) into the bridge, for a VM that QEMU runs in the router namespace (test/vm). */
  readonly tap?: string | readonly string[];
  /**
   * DHCPv6-stateful as Neutron serves it: dnsmasq in static mode hands the guest's MAC exactly this
   * address (the port's fixed IP, Neutron's hosts file) instead of leasing from DHCP6_RANGE.
   */
  readonly dhcp6FixedAddress?: string;
}

let counter = 0;

/**
 * The environment of a guest command: ours, less what points into the host's
 * /etc (the guest's /etc is its own seeded tree; Node warns on a missing
 * NODE_EXTRA_CA_CERTS file, which would reach every stderr we assert on).
 */
function guestEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Processes and namespaces we created, so an interrupted run can still clean up. */
const live = new Set<Lab>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const lab of live) lab.destroySync();
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const lab of live) lab.destroySync();
});

export class Lab {
  readonly router: string;
  readonly guest: string;
  readonly dir: string;
  private readonly daemons: ChildProcess[] = [];

  private constructor(readonly opts: LabOptions) {
    const id = `${NAME_PREFIX}${process.pid.toString(36)}x${(counter++).toString(36)}`;
    this.router = `${id}r`;
    this.guest = `${id}g`;
    this.dir = mkdtempSync(join(tmpdir(), `${id}-`));
  }

  static async create(opts: LabOptions): Promise<Lab> {
    const lab = new Lab(opts);
    live.add(lab);
    try {
      await lab.build();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** The guest's own /etc, /root and /home live under this: point `v6agent apply --root` at it. */
  get guestRoot(): string {
    return join(this.dir, 'root');
  }

  private async build(): Promise<void> {
    for (const d of ['run/network', 'varlib/dhcp']) mkdirSync(join(this.dir, d), { recursive: true });
    seedGuestTree(this.guestRoot);
    const R = this.router;
    const G = this.guest;
    await ip('netns', 'add', R);
    await ip('netns', 'add', G);
    // Router: no DAD on its own addresses, forwarding on so radvd advertises a default route.
    await nsSysctl(R, 'net.ipv6.conf.default.accept_dad', '0');
    await nsSysctl(R, 'net.ipv6.conf.all.forwarding', '1');
    await ip('-n', R, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', R, 'link', 'set', 'br0', 'address', ROUTER_MAC);
    await ip('-n', R, 'link', 'add', 'rp0', 'type', 'veth', 'peer', 'name', 'eth0');
    await ip('-n', R, 'link', 'set', 'eth0', 'netns', G);
    await ip('-n', R, 'link', 'add', 'k0', 'type', 'veth', 'peer', 'name', 'k1');
    for (const port of ['rp0', 'k0']) await ip('-n', R, 'link', 'set', port, 'master', 'br0', 'up');
    await ip('-n', R, 'link', 'set', 'k1', 'up');
    for (const tap of [this.opts.tap ?? []].flat()) {
      await ip('-n', R, 'tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ip('-n', R, 'link', 'set', tap, 'master', 'br0', 'up');
    }
    await ip('-n', R, 'link', 'set', 'br0', 'up');
    await ip('-n', R, 'addr', 'add', `${ROUTER_V6}/64`, 'dev', 'br0', 'nodad');
    await ip('-n', R, 'addr', 'add', `${ROUTER_V4}/24`, 'dev', 'br0');
    // Guest: the port starts down, as at boot.
    await ip('-n', G, 'link', 'set', 'lo', 'up');
    await ip('-n', G, 'link', 'set', 'eth0', 'address', this.opts.guestMac);
    if (this.opts.mode !== 'none') this.startRadvd(this.router, 'br0', this.opts.mode, this.opts, 'radvd');
    if (this.opts.mode === 'dhcpv6-stateless' || this.opts.mode === 'dhcpv6-stateful' || this.opts.ipv4) this.startDnsmasq();
  }

  /** The router's link-local address (EUI-64 of its MAC, DAD off). */
  get routerLinkLocal(): string {
    return eui64LinkLocal(ROUTER_MAC);
  }

  /**
   * A second router on the same link, in a namespace of its own with its own
   * MAC and link-local address, plugged into the bridge. Returns its link-local.
   */
  async addRouter(mode: LabMode, opts: RouterOptions & { mac: string }): Promise<string> {
    const ns = `${this.router.slice(0, -1)}s`;
    await ip('netns', 'add', ns);
    this.extra.push(ns);
    await nsSysctl(ns, 'net.ipv6.conf.default.accept_dad', '0');
    await nsSysctl(ns, 'net.ipv6.conf.all.forwarding', '1');
    await ip('-n', this.router, 'link', 'add', 'rp1', 'type', 'veth', 'peer', 'name', 'up0');
    await ip('-n', this.router, 'link', 'set', 'up0', 'netns', ns);
    await ip('-n', this.router, 'link', 'set', 'rp1', 'master', 'br0', 'up');
    await ip('-n', ns, 'link', 'set', 'up0', 'address', opts.mac);
    await ip('-n', ns, 'link', 'set', 'up0', 'up');
    this.startRadvd(ns, 'up0', mode, opts, 'radvd2');
    return eui64LinkLocal(opts.mac);
  }

  private readonly extra: string[] = [];

  private startRadvd(ns: string, iface: string, m: LabMode, o: RouterOptions, name: string): void {
    const lines = [
      `interface ${iface} {`,
      '  AdvSendAdvert on;',
      '  MinRtrAdvInterval 30;',
      '  MaxRtrAdvInterval 100;',
      ...(o.mtu ? [`  AdvLinkMTU ${o.mtu};`] : []),
      ...(o.preference ? [`  AdvDefaultPreference ${o.preference};`] : []),
      ...(m === 'dhcpv6-stateless' ? ['  AdvOtherConfigFlag on;'] : []),
      ...(m === 'dhcpv6-stateful' ? ['  AdvManagedFlag on;'] : []),
      ...(m === 'static' ? [] : [`  prefix ${PREFIX}/64 {`, '    AdvOnLink on;', `    AdvAutonomous ${m === 'dhcpv6-stateful' ? 'off' : 'on'};`, '  };']),
      ...(o.rdnss?.length ? [`  RDNSS ${o.rdnss.join(' ')} {`, '  };'] : []),
      ...(o.dnssl?.length ? [`  DNSSL ${o.dnssl.join(' ')} {`, '  };'] : []),
      ...(o.metadataRoute === false ? [] : ['  route fe80::a9fe:a9fe/128 {', '  };']),
      '};',
    ];
    const conf = join(this.dir, `${name}.conf`);
    writeFileSync(conf, `${lines.join('\n')}\n`);
    this.daemon(ns, ['radvd', '-n', '-C', conf, '-p', join(this.dir, `${name}.pid`), '-m', 'logfile', '-l', join(this.dir, `${name}.log`)]);
  }

  private startDnsmasq(): void {
    const args = [
      'dnsmasq', '-k', '--conf-file=/dev/null', '--interface=br0', '--bind-interfaces',
      `--pid-file=${join(this.dir, 'dnsmasq.pid')}`, `--dhcp-leasefile=${join(this.dir, 'dnsmasq.leases')}`,
      `--log-facility=${join(this.dir, 'dnsmasq.log')}`, '--log-dhcp', '--user=root', '--group=root',
    ];
    // As Neutron's dhcp.py: stateless answers information requests; stateful leases addresses.
    if (this.opts.mode === 'dhcpv6-stateless') args.push(`--dhcp-range=${PREFIX},static,64,1h`);
    if (this.opts.mode === 'dhcpv6-stateful' && this.opts.dhcp6FixedAddress) args.push(`--dhcp-range=${PREFIX},static,64,1h`, `--dhcp-host=${this.opts.guestMac},[${this.opts.dhcp6FixedAddress}]`);
    else if (this.opts.mode === 'dhcpv6-stateful') args.push(`--dhcp-range=${DHCP6_RANGE[0]},${DHCP6_RANGE[1]},64,1h`);
    if (this.opts.mode === 'dhcpv6-stateless' || this.opts.mode === 'dhcpv6-stateful') {
      args.push(`--dhcp-option=option6:dns-server,[${DHCP6_DNS}]`, '--dhcp-option=option6:domain-search,openstacklocal');
    }
    if (this.opts.ipv4) {
      // A DNS server on the router's IPv4 address (port 53 of the router's own namespace), answering only for the
      // lab's domain, handed out with the lease: dhclient -4 then rewrites resolv.conf, as on a real dual-stack port.
      args.push('--dhcp-range=192.0.2.100,192.0.2.200,255.255.255.0,1h', `--dhcp-option=option:router,${ROUTER_V4}`);
      args.push('--port=53', '--no-resolv', '--no-hosts', `--host-record=router.${LAB_DOMAIN},${ROUTER_V4}`, `--dhcp-option=option:dns-server,${DHCP4_DNS}`, `--dhcp-option=option:domain-name,${LAB_DOMAIN}`);
    } else {
      args.push('--port=0');
    }
    this.daemon(this.router, args);
  }

  private daemon(ns: string, argv: string[]): void {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      if (code && !this.destroyed) console.error(`lab ${ns}: ${argv[0]} exited ${code}: ${stderr.trim()}`);
    });
    this.daemons.push(child);
  }

  /**
   * Run a command in the guest with its private /etc, /root, /home, /run and
   * /var/lib. `ip netns exec` already gives each command a mount namespace of
   * its own, slave to the host's, so these mounts never propagate back.
   */
  async inGuest(argv: readonly string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; ms: number }> {
    const setup = [
      // No ld.so.cache in the guest's /etc: the loader falls back to the default library directories.
      ...PRIVATE_TREES.map((t) => `mount -n --bind ${this.guestRoot}${t} ${t}`),
      // Each command gets a fresh UTS namespace: start it from the guest's /etc/hostname, as boot would.
      'hostname -F /etc/hostname',
      `mount -n --bind ${this.dir}/run /run`,
      // All of /var/lib: dhclient's leases, and the backups a live `v6agent apply` makes.
      `mount -n --bind ${this.dir}/varlib /var/lib`,
      'exec "$@"',
    ].join(' && ');
    const t0 = performance.now();
    // A UTS namespace too: a live `v6agent apply` sets the host name, which must stay the guest's.
    const r = await run('ip', ['netns', 'exec', this.guest, 'unshare', '--uts', 'sh', '-c', setup, 'sh', ...argv], { timeout: timeoutMs, killSignal: 'SIGKILL', env: guestEnv() });
    return { ...r, ms: performance.now() - t0 };
  }

  async guestJson(args: readonly string[]): Promise<any> {
    const { stdout } = await run('ip', ['-n', this.guest, '-j', ...args]);
    return JSON.parse(stdout);
  }

  async guestSysctl(key: string): Promise<string> {
    const { stdout } = await run('ip', ['netns', 'exec', this.guest, 'sysctl', '-n', key]);
    return stdout.trim();
  }

  async setGuestSysctl(key: string, value: string): Promise<void> {
    await nsSysctl(this.guest, key, value);
  }

  /** The guest's /etc/resolv.conf as it is now (what v6agent wrote, or dhclient after it). */
  guestFile(path: string): string | undefined {
    const p = join(this.guestRoot, path);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  }

  /** What dnsmasq logged (every DHCP exchange, with --log-dhcp); empty if it was not started. */
  dnsmasqLog(): string {
    const p = join(this.dir, 'dnsmasq.log');
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  guestStateFiles(): string[] {
    return [...readdirSync(join(this.dir, 'run')).map((f) => `/run/${f}`), ...readdirSync(join(this.dir, 'varlib/dhcp')).map((f) => `/var/lib/dhcp/${f}`)];
  }

  private destroyed = false;

  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** Stop every process in both namespaces (ours by construction), then delete them. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of [this.guest, ...this.extra, this.router]) killNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function eui64LinkLocal(mac: string): string {
  return eui64Address('fe80::', mac);
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

async function nsSysctl(ns: string, key: string, value: string): Promise<void> {
  await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
}
