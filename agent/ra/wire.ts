/**
 * Asking routers: a Router Solicitation out of each interface, and every
 * valid Router Advertisement that comes back within the window (RFC 4861
 * §6.1.2: hop limit 255, link-local source, code 0; the codec checks the rest).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIpv6 } from '../model/ipv6Text.js';
import { parseMac } from '../model/names.js';
import { decodeRouterAdvertisement, encodeRouterSolicitation, ICMP6_ROUTER_ADVERTISEMENT, RaDecodeError, type RouterAdvertisement } from './codec.js';
import * as c from './libc.js';

export interface ObservedRouter {
  /** The router's link-local address. */
  readonly address: string;
  readonly ra: RouterAdvertisement;
  /** Milliseconds from our first Router Solicitation. */
  readonly afterMs: number;
  /** The raw ICMPv6 message, for fixtures and debugging. */
  readonly bytes: Buffer;
}

export interface WireResult {
  readonly iface: string;
  readonly routers: readonly ObservedRouter[];
  readonly solicitations: number;
  /** Packets dropped as invalid, with why. */
  readonly dropped: readonly string[];
}

// RFC 4861 §10 host constants. The initial random delay (MAX_RTR_SOLICITATION_DELAY)
// is skipped: the kernel already spent it at link-up, and one host cannot cause a storm.
const RTR_SOLICITATION_INTERVAL_MS = 4000;
const MAX_RTR_SOLICITATIONS = 3;
/**
 * Once one router answered, how long to wait for others on the same link.
 * Routers that answer an RS at once (radvd's default, OVN) do so within ~2 ms
 * here; multicast-only routers are rate-limited to one RA per 3 s, so a longer
 * settle would not catch them either: the deadline does.
 */
export const SETTLE_MS = 15;

const BUF = 1500;
const SOCKADDR_IN6 = 28;
const CONTROL = 128;

interface Probe {
  iface: string;
  index: number;
  fd: number;
  rs: Uint8Array;
  sent: number;
  nextSendAt: number;
  firstAnswerAt: number | undefined;
  routers: Map<string, ObservedRouter>;
  dropped: string[];
  /** Native memory recvmsg writes into, allocated once per probe. */
  rx: { data: c.NativeBuffer; name: c.NativeBuffer; control: c.NativeBuffer };
}

/** Whether `iface` has a usable (non-tentative) link-local address, from /proc/net/if_inet6. */
function hasUsableLinkLocal(iface: string): boolean {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8')
      .split('\n')
      .some((l) => {
        const [addr, , , scope, flags, name] = l.trim().split(/\s+/);
        // scope 0x20 = link; IFA_F_TENTATIVE 0x40, IFA_F_DADFAILED 0x08
        return name === iface && addr?.startsWith('fe80') && scope === '20' && (parseInt(flags ?? '0', 16) & 0x48) === 0;
      });
  } catch {
    return false;
  }
}

function macOf(iface: string): string | undefined {
  try {
    const mac = parseMac(readFileSync(`/sys/class/net/${iface}/address`, 'utf8'));
    return mac !== '00:00:00:00:00:00' ? mac : undefined;
  } catch {
    return undefined;
  }
}

function openProbe(iface: string, now: number): Probe {
  const index = c.ifNameToIndex(iface);
  if (!index) throw c.lastError(`${iface}: no such interface`);
  const fd = c.socket(c.AF_INET6, c.SOCK_RAW | c.SOCK_CLOEXEC, c.IPPROTO_ICMPV6);
  if (fd < 0) throw c.lastError('raw ICMPv6 socket (needs root or CAP_NET_RAW)');
  const opt = (level: number, name: number, value: Buffer, what: string): void => {
    if (c.setsockopt(fd, level, name, value, value.length) < 0) {
      const err = c.lastError(`${iface}: ${what}`);
      c.close(fd);
      throw err;
    }
  };
  opt(c.SOL_SOCKET, c.SO_BINDTODEVICE, Buffer.from(`${iface}\0`), 'SO_BINDTODEVICE');
  // ICMP6_FILTER: a set bit blocks that type. Block all but Router Advertisements.
  const filter = Buffer.alloc(32, 0xff);
  const word = (ICMP6_ROUTER_ADVERTISEMENT >> 5) * 4;
  filter.writeUInt32LE((filter.readUInt32LE(word) & ~(1 << (ICMP6_ROUTER_ADVERTISEMENT & 31))) >>> 0, word);
  opt(c.IPPROTO_ICMPV6, c.ICMP6_FILTER, filter, 'ICMP6_FILTER');
  opt(c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, c.int32(1), 'IPV6_RECVHOPLIMIT');
  opt(c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, c.int32(255), 'IPV6_MULTICAST_HOPS');
  opt(c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, c.int32(index), 'IPV6_MULTICAST_IF');
  // RFC 4861 §4.1: no source link-layer option when the source is the unspecified address.
  const rs = encodeRouterSolicitation(hasUsableLinkLocal(iface) ? macOf(iface) : undefined);
  const rx = { data: c.nativeBuffer(BUF), name: c.nativeBuffer(SOCKADDR_IN6), control: c.nativeBuffer(CONTROL) };
  return { iface, index, fd, rs, sent: 0, nextSendAt: now, firstAnswerAt: undefined, routers: new Map(), dropped: [], rx };
}

/** sockaddr_in6 for ff02::2 (all routers) on interface `index`. */
function allRouters(index: number): Buffer {
  const sa = Buffer.alloc(28); // family u16, port u16, flowinfo u32, addr [16], scope_id u32
  sa.writeUInt16LE(c.AF_INET6, 0);
  sa[8] = 0xff;
  sa[9] = 0x02;
  sa[23] = 0x02;
  sa.writeUInt32LE(index, 24);
  return sa;
}

function solicit(p: Probe, now: number): void {
  const dest = allRouters(p.index);
  if (c.sendto(p.fd, p.rs, p.rs.length, 0, dest, dest.length) < 0) p.dropped.push(`sending RS: ${c.lastError('sendto').message}`);
  p.sent++;
  p.nextSendAt = p.sent < MAX_RTR_SOLICITATIONS ? now + RTR_SOLICITATION_INTERVAL_MS : Infinity;
}

function receive(p: Probe, startedAt: number): void {
  const { data, name, control } = p.rx;
  const iov = { base: data.ptr, len: BUF };
  const msg = { name: name.ptr, namelen: SOCKADDR_IN6, iov: [iov], iovlen: 1, control: control.ptr, controllen: CONTROL, flags: 0 };
  const n = Number(c.recvmsg(p.fd, msg, 0x40 /* MSG_DONTWAIT */));
  if (n < 0) return;
  const now = performance.now();
  const bytes = data.read(n);
  const source = formatIpv6(name.read(SOCKADDR_IN6).subarray(8, 24));
  const hopLimit = hopLimitFrom(control.read(CONTROL));
  if (hopLimit !== 255) return void p.dropped.push(`from ${source}: hop limit ${hopLimit ?? 'unknown'}, not 255`);
  if (!source.startsWith('fe80:')) return void p.dropped.push(`from ${source}: not a link-local source`);
  capture(p.iface, source, bytes);
  try {
    const ra = decodeRouterAdvertisement(bytes);
    // Later RAs from the same router replace earlier ones: they are newer.
    if (!p.routers.has(source)) p.routers.set(source, { address: source, ra, afterMs: now - startedAt, bytes });
    else p.routers.set(source, { ...p.routers.get(source)!, ra, bytes });
    p.firstAnswerAt ??= now;
  } catch (e) {
    if (!(e instanceof RaDecodeError)) throw e;
    p.dropped.push(`from ${source}: ${e.message}`);
  }
}

/**
 * V6AGENT_RA_CAPTURE=DIR saves every RA received as hex (`IFACE_ROUTER.hex`),
 * for bug reports from real clouds and for the decoder's test fixtures.
 */
function capture(iface: string, source: string, bytes: Buffer): void {
  const dir = process.env.V6AGENT_RA_CAPTURE;
  if (dir) writeFileSync(join(dir, `${iface}_${source.replace(/:/g, '-')}.hex`), `${bytes.toString('hex')}\n`);
}

/** Walk the control messages (struct cmsghdr: len u64, level i32, type i32, data) for IPV6_HOPLIMIT. */
function hopLimitFrom(control: Buffer): number | undefined {
  for (let at = 0; at + 16 <= control.length; ) {
    const len = Number(control.readBigUInt64LE(at));
    if (len < 16) return undefined;
    if (control.readInt32LE(at + 8) === c.IPPROTO_IPV6 && control.readInt32LE(at + 12) === c.IPV6_HOPLIMIT) return control.readInt32LE(at + 16);
    at += (len + 7) & ~7;
  }
  return undefined;
}

/**
 * Solicit on every interface at once and listen until each has answered (plus
 * a short settle for other routers on the link) or the timeout passes.
 */
export function probeRouters(ifaces: readonly string[], timeoutMs: number): WireResult[] {
  const startedAt = performance.now();
  const probes: Probe[] = [];
  try {
    for (const iface of ifaces) probes.push(openProbe(iface, startedAt));
    const deadline = startedAt + timeoutMs;
    for (;;) {
      const now = performance.now();
      for (const p of probes) if (now >= p.nextSendAt && p.firstAnswerAt === undefined) solicit(p, now);
      const waiting = probes.filter((p) => p.firstAnswerAt === undefined || now < p.firstAnswerAt + SETTLE_MS);
      if (waiting.length === 0 || now >= deadline) break;
      const wakeAt = Math.min(deadline, ...waiting.map((p) => (p.firstAnswerAt === undefined ? p.nextSendAt : p.firstAnswerAt + SETTLE_MS)));
      const fds = waiting.map((p) => ({ fd: p.fd, events: c.POLLIN, revents: 0 }));
      c.poll(fds, fds.length, Math.max(0, Math.ceil(wakeAt - now)));
      fds.forEach((f, i) => {
        if (f.revents & c.POLLIN) receive(waiting[i]!, startedAt);
      });
    }
    return probes.map((p) => ({ iface: p.iface, routers: [...p.routers.values()], solicitations: p.sent, dropped: p.dropped }));
  } finally {
    for (const p of probes) {
      c.close(p.fd);
      for (const b of Object.values(p.rx)) b.free();
    }
  }
}
