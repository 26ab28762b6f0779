/**
 * Making an interface fit to ask fe80::a9fe:a9fe: Neutron identifies the VM by
 * the MAC inside the request's source link-local address (neutron
 * agent/metadata/proxy_base.py: `get_mac_addr_by_ipv6`), so it must be the
 * EUI-64 of the MAC and past DAD; and on routed ML2/OVS networks the address
 * is reachable only through the router, announced as an RFC 4191 route that
 * the kernel drops unless accept_ra_rt_info_max_plen >= 128.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eui64Address } from '../model/addr.js';
import { formatIpv6 } from '../model/ipv6Text.js';
import { interfaceName, parseMac } from '../model/names.js';
import { METADATA_V6 } from './metadataService.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Candidate {
  readonly name: string;
  readonly mac: string;
}

const ARPHRD_ETHER = 1;
const IFF_UP = 0x1;

function readSys(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/**
 * Ethernet interfaces with IPv6 (`up`: only those that are up), in natural
 * order. Bridges, bonds and VLANs are left out: the port is the NIC under them.
 */
export function ethernetInterfaces(opts: { up: boolean }, sys = '/sys/class/net'): Candidate[] {
  let names: string[] = [];
  try {
    names = readdirSync(sys);
  } catch {
    return [];
  }
  const out: Candidate[] = [];
  for (const name of names.sort(natural)) {
    const dir = join(sys, name);
    if (!interfaceName(name) || Number(readSys(join(dir, 'type'))) !== ARPHRD_ETHER) continue;
    if (existsSync(join(dir, 'bridge')) || existsSync(join(dir, 'bonding')) || existsSync(`/proc/net/vlan/${name}`)) continue;
    if (opts.up && (parseInt(readSys(join(dir, 'flags')) ?? '0', 16) & IFF_UP) === 0) continue;
    if (!existsSync(`/proc/sys/net/ipv6/conf/${name}`)) continue;
    const mac = parseMac(readSys(join(dir, 'address')));
    if (mac) out.push({ name, mac });
  }
  return out;
}

interface LinkLocal {
  readonly address: string;
  readonly tentative: boolean;
  readonly dadFailed: boolean;
}

// /proc/net/if_inet6: address index plen scope flags name. IFA_F_TENTATIVE 0x40, IFA_F_DADFAILED 0x08.
function linkLocals(iface: string): LinkLocal[] {
  const text = readSys('/proc/net/if_inet6') ?? '';
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[5] === iface && f[3] === '20')
    .map((f) => {
      const flags = parseInt(f[4]!, 16);
      return { address: formatIpv6(Buffer.from(f[0]!, 'hex')), tentative: (flags & 0x40) !== 0, dadFailed: (flags & 0x08) !== 0 };
    });
}

export interface LinkCheck {
  /** The EUI-64 link-local to send from, when the interface has it and DAD is done. */
  readonly source: string | undefined;
  /** What the timeline says. */
  readonly result: string;
  /** Why a 404 on /openstack would be expected from this link (not EUI-64). */
  readonly notEui64: string | undefined;
}

/**
 * Set addr_gen_mode=0 (when allowed to change the system), then wait until a
 * link-local address has left `tentative`, and check it is the EUI-64 of the
 * MAC. Changing addr_gen_mode does not regenerate an address that exists; an
 * interface brought up afterwards gets the EUI-64 one.
 */
export async function checkLinkLocal(c: Candidate, opts: { mutate: boolean; waitMs: number }): Promise<LinkCheck> {
  const modePath = `/proc/sys/net/ipv6/conf/${c.name}/addr_gen_mode`;
  const mode = readSys(modePath);
  if (opts.mutate && mode !== undefined && mode !== '0') {
    try {
      writeFileSync(modePath, '0');
    } catch {
      // reported below through the link-local itself
    }
  }
  const eui = eui64Address('fe80::', c.mac);
  const until = performance.now() + opts.waitMs;
  let lls = linkLocals(c.name);
  while (performance.now() < until && (lls.length === 0 || lls.every((l) => l.tentative && !l.dadFailed))) {
    await sleep(20);
    lls = linkLocals(c.name);
  }
  const own = lls.find((l) => l.address === eui);
  if (own && !own.tentative) return { source: eui, result: `${eui} is the EUI-64 of ${c.mac}`, notEui64: undefined };
  if (own?.dadFailed) return { source: undefined, result: `${eui} failed duplicate address detection`, notEui64: undefined };
  if (own) return { source: undefined, result: `${eui} is still tentative after ${opts.waitMs} ms (duplicate address detection)`, notEui64: undefined };
  const have = lls.map((l) => l.address).join(', ') || 'none';
  const why = `the link-local of ${c.name} (${have}) is not the EUI-64 of its MAC ${c.mac} (${eui}; addr_gen_mode ${mode ?? '?'}): Neutron cannot identify the port and answers 404`;
  return { source: undefined, result: why, notEui64: why };
}

// /proc/net/ipv6_route: dst plen src plen nexthop metric refcnt use flags dev (hex, no colons).
function ipv6Routes(iface: string): string[][] {
  return (readSys('/proc/net/ipv6_route') ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[9] === iface);
}

const METADATA_HEX = 'fe8000000000000000000000a9fea9fe';
const RTF_ADDRCONF = 0x40000;

/** A /128 route to fe80::a9fe:a9fe on this interface (learnt from an RA by the kernel, NetworkManager or networkd). */
export function hasMetadataRoute(iface: string): boolean {
  return ipv6Routes(iface).some((f) => f[0] === METADATA_HEX && f[1] === '80');
}

/** The default routers the kernel learnt from RAs on this interface: a way to the service when no RA came to our probe in time. */
export function kernelRouters(iface: string): string[] {
  return ipv6Routes(iface)
    .filter((f) => f[0] === '0'.repeat(32) && f[1] === '00' && (parseInt(f[8] ?? '0', 16) & RTF_ADDRCONF) !== 0)
    .map((f) => formatIpv6(Buffer.from(f[4]!, 'hex')));
}

export interface RouterHint {
  /** A router on the link (the one announcing the metadata route, if any). */
  readonly router: string | undefined;
  /** It announced `route fe80::a9fe:a9fe/128` (RFC 4191), as Neutron's radvd does on routed ML2/OVS networks. */
  readonly announcesMetadata: boolean;
}

/** Ask the routers of these interfaces (one Router Solicitation each, all at once). Needs root. */
export async function probeMetadataRoutes(ifaces: readonly string[], timeoutMs: number): Promise<Map<string, RouterHint>> {
  const { probeRouters } = await import('../ra/wire.js');
  const hints = new Map<string, RouterHint>();
  for (const w of probeRouters(ifaces, timeoutMs)) {
    const announcing = w.routers.find((r) => r.ra.routes.some((rt) => rt.prefixLength === 128 && rt.prefix === METADATA_V6 && rt.lifetime > 0));
    const any = announcing ?? w.routers.find((r) => r.ra.lifetime > 0) ?? w.routers[0];
    hints.set(w.iface, { router: any?.address, announcesMetadata: announcing !== undefined });
  }
  return hints;
}

/** Run iproute2's `ip`; rejects with its own message. */
async function ip(args: readonly string[]): Promise<void> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => execFile('ip', args, (e, _o, stderr) => (e ? reject(new Error(String(stderr).trim() || e.message)) : resolve())));
}

/** `ip -6 route add fe80::a9fe:a9fe/128 via ROUTER dev IF`; resolves to the undo, or throws with ip's message. */
export async function addTemporaryRoute(iface: string, router: string): Promise<() => Promise<void>> {
  const route = (verb: string): Promise<void> => ip(['-6', 'route', verb, `${METADATA_V6}/128`, 'via', router, 'dev', iface]);
  await route('add');
  return () => route('del').catch(() => undefined);
}

/** addr_gen_mode=0 first (the kernel forms the link-local at link-up, from this mode), then `ip link set IF up`. */
export async function bringLinkUp(iface: string): Promise<string> {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${iface}/addr_gen_mode`, '0');
    await ip(['link', 'set', 'dev', iface, 'up']);
    return 'up';
  } catch (e) {
    return `failed: ${(e as Error).message.split('\n')[0]}`;
  }
}

/** The instance has IPv4 when some interface other than lo has an IPv4 route (an address brings its subnet route). */
export function hasIpv4Route(procRoute = '/proc/net/route'): boolean {
  return (readSys(procRoute) ?? '').split('\n').slice(1).some((l) => {
    const dev = l.split('\t')[0]?.trim();
    return dev !== undefined && dev !== '' && dev !== 'lo';
  });
}
