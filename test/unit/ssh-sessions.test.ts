/**
 * The one SSH-session guard (agent/facts/sshSessions.ts), used by doctor --fix
 * (never delete a session's address) and by a live NetworkManager apply (never
 * deactivate a device with the default route or a session on it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalAddress, carriesSession, establishedOn, sessionOn, sshSessions } from '../../agent/facts/sshSessions.js';
import type { Addr, Route } from '../../agent/facts/netlinkTypes.js';

const HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
// 192.0.2.10:22 established, 127.0.0.1:22 listening, 192.0.2.10:8080 established.
const TCP4 = [HEAD, '   0: 0A0200C0:0016 0B0200C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 1 1', '   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1', '   2: 0A0200C0:1F90 0B0200C0:D432 01 00000000:00000000 00:00000000 00000000     0        0 3 1'].join('\n');
// 2001:db8::5 (words in host order), fe80::1, and ::ffff:192.0.2.20, all :22 established.
const TCP6 = [
  HEAD,
  '   0: B80D0120000000000000000005000000:0016 B80D0120000000000000000009000000:D431 01 00000000:00000000 00:00000000 00000000     0        0 4 1',
  '   1: 000080FE000000000000000001000000:0016 000080FE000000000000000002000000:D432 01 00000000:00000000 00:00000000 00000000     0        0 5 1',
  '   2: 0000000000000000FFFF0000140200C0:0016 0000000000000000FFFF0000150200C0:D433 01 00000000:00000000 00:00000000 00000000     0        0 6 1',
].join('\n');

const addr = (iface: string, address: string): Addr => ({ iface, family: address.includes(':') ? 6 : 4, address, prefixLength: 64, scope: 0, flags: 0, validLifetime: null, preferredLifetime: null });
const route = (iface: string, dstLength = 0): Route => ({ family: 6, iface, dst: '::', dstLength, gateway: 'fe80::1', protocol: 'ra', metric: 1024, expires: null, preference: null });

let dirs: string[] = [];
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

describe('established SSH connections from /proc/net/tcp and tcp6', () => {
  it('reads the local address of each established connection on local port 22, only those', () => {
    expect(establishedOn(TCP4)).toEqual(['192.0.2.10']);
    expect(establishedOn(TCP6)).toEqual(['2001:db8::5', 'fe80::1', '192.0.2.20']);
  });

  it('joins them with SSH_CONNECTION, canonical, and reports a table it cannot read', () => {
    const proc = mkdtempSync(join(tmpdir(), 'v6agent-procnet-'));
    dirs.push(proc);
    writeFileSync(join(proc, 'tcp'), TCP4);
    expect(sshSessions({ SSH_CONNECTION: '2001:db8::9 50000 2001:DB8:0::7 22' }, proc)).toEqual({ addresses: ['2001:db8::7', '192.0.2.10'], error: undefined });
    expect(sshSessions({}, join(proc, 'missing')).error).toMatch(/missing\/tcp: ENOENT/);
  });
});

describe('the session guard', () => {
  it('compares addresses in one form: case, zeros, zone and IPv4-mapped do not matter', () => {
    expect(canonicalAddress('2001:DB8:0:0::5')).toBe('2001:db8::5');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(carriesSession('2001:db8::5', ['2001:db8::5'])).toBe(true);
    expect(carriesSession('192.0.2.1', ['2001:db8::5'])).toBe(false);
  });

  it('refuses to deactivate the interface of the default route', () => {
    expect(sessionOn('eth0', [route('eth0')], [], [])).toBe('eth0 carries the default route');
  });

  it('refuses to deactivate the interface an SSH session runs over', () => {
    expect(sessionOn('eth0', [route('eth1')], [addr('eth0', '2001:db8::5'), addr('eth0', 'fe80::1')], ['2001:db8::5'])).toBe('an SSH session runs over eth0 (local address 2001:db8::5)');
    expect(sessionOn('eth0', [], [addr('eth0', 'fe80::1')], [canonicalAddress('fe80::1%eth0')])).toMatch(/SSH session/);
  });

  it('lets it go when neither runs over it (a route that is not a default does not count)', () => {
    expect(sessionOn('eth0', [route('eth1'), route('eth0', 64)], [addr('eth0', '2001:db8::5')], ['192.0.2.9'])).toBeUndefined();
  });
});
