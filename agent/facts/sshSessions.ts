/**
 * The SSH-session guard, one for every command that could cut the user off:
 * doctor --fix never deletes an address an SSH session runs on, and a live
 * NetworkManager apply never deactivates a device that carries one (or the
 * default route). The sessions are those of the process that runs us
 * (SSH_CONNECTION) and every established TCP connection on local port 22,
 * read from the kernel's /proc/net/tcp and tcp6 (the same table `ss` asks
 * for over sock_diag), so a session from another terminal counts too.
 */
import { readFileSync } from 'node:fs';
import { Address4, Address6 } from 'ip-address';
import { formatIpv6 } from '../model/ipv6Text.js';
import type { Addr, Route } from './netlinkTypes.js';

const SSH_PORT = 22;
const ESTABLISHED = '01';

/** An address in one comparable form: RFC 5952 for IPv6, dotted quad for IPv4 (and IPv4-mapped IPv6); no zone. */
export function canonicalAddress(text: string): string {
  const bare = text.trim().replace(/%.*$/, '').toLowerCase();
  try {
    if (bare.includes(':')) {
      const a = new Address6(bare);
      return a.is4() ? a.to4().correctForm() : a.correctForm();
    }
    return new Address4(bare).correctForm();
  } catch {
    return bare;
  }
}

/** One hex address of /proc/net/tcp{,6}: 32-bit words in host (little-endian) byte order. */
function procAddress(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (bytes.length === 4) return [...bytes].join('.');
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? [...bytes.subarray(12)].join('.') : formatIpv6(bytes);
}

/** Local addresses of the established connections on local `port` in a /proc/net/tcp or tcp6 table. */
export function establishedOn(table: string, port = SSH_PORT): string[] {
  const out: string[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    const m = local ? /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(local) : null;
    if (m && state === ESTABLISHED && parseInt(m[2]!, 16) === port) out.push(procAddress(m[1]!));
  }
  return out;
}

/**
 * The local addresses SSH sessions run on, canonical. Undefined `error` when
 * both tables were read; otherwise what failed (the caller then cannot rule
 * a session out).
 */
export function sshSessions(env: NodeJS.ProcessEnv = process.env, procNet = '/proc/net'): { addresses: string[]; error: string | undefined } {
  const addresses = new Set<string>();
  // SSH_CONNECTION: "client-address client-port server-address server-port".
  const own = env.SSH_CONNECTION?.trim().split(/\s+/)[2];
  if (own) addresses.add(canonicalAddress(own));
  const errors: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    try {
      for (const a of establishedOn(readFileSync(`${procNet}/${table}`, 'utf8'))) addresses.add(canonicalAddress(a));
    } catch (e) {
      // No tcp6 table when IPv6 is disabled in the kernel: no IPv6 session either.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || table === 'tcp') errors.push(`${procNet}/${table}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { addresses: [...addresses], error: errors.length ? errors.join('; ') : undefined };
}

/** Whether `address` is one an SSH session runs on. */
export function carriesSession(address: string, sessions: readonly string[]): boolean {
  const a = canonicalAddress(address);
  return sessions.some((s) => canonicalAddress(s) === a);
}

/**
 * Why `iface` must not be deactivated, if it must not: it carries a default
 * route, or an SSH session has its local address on it. Pure.
 */
export function sessionOn(iface: string, routes: readonly Route[], addresses: readonly Addr[], sessions: readonly string[]): string | undefined {
  if (routes.some((r) => r.iface === iface && r.dstLength === 0)) return `${iface} carries the default route`;
  const via = addresses.find((a) => a.iface === iface && carriesSession(a.address, sessions));
  return via ? `an SSH session runs over ${iface} (local address ${via.address})` : undefined;
}
