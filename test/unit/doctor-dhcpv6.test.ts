/**
 * doctor's ra.dhcpv6 check (pure): M=1 or O=1 with no DHCPv6 client proposes
 * the client the flags need, started as the detected stack would; after
 * --fix ran an information-only exchange that was answered (dhclient 4.4's
 * client then exits), the re-check counts it.
 */
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../agent/doctor/checks/index.js';
import { planRepairs } from '../../agent/doctor/fix.js';
import type { Facts, InterfaceFacts } from '../../agent/doctor/types.js';
import { IFA_F } from '../../agent/facts/netlink.js';
import type { Stack } from '../../agent/plan/types.js';

const LL = 'fe80::f816:3eff:fe00:1';
const GLOBAL = '2001:db8:1:0:f816:3eff:fe00:1';

function facts(flags: { managed: boolean; other: boolean }, o: { stack?: Stack; daemons?: string[][]; informed?: string[] } = {}): Facts {
  const iface: InterfaceFacts = {
    link: { name: 'eth0', index: 2, up: true, loopback: false, mac: 'fa:16:3e:00:00:01', mtu: 1500, inet6Flags: 0x20 },
    conf: { disable_ipv6: '0', forwarding: '0', accept_ra: '1', autoconf: '1', use_tempaddr: '0', addr_gen_mode: '0', accept_ra_rt_info_max_plen: '128', mtu: '1500' },
    addresses: [LL, GLOBAL].map((address) => ({ iface: 'eth0', family: 6 as const, address, prefixLength: 64, scope: address.startsWith('fe80') ? 253 : 0, flags: IFA_F.permanent, validLifetime: null, preferredLifetime: null })),
    ra: { name: 'eth0', mode: flags.managed ? 'dhcpv6-stateful' : 'dhcpv6-stateless', source: 'kernel', elapsedMs: 1, notes: [], routers: [{ address: 'fe80::1', afterMs: null, ...flags, lifetime: null, preference: null, mtu: null, prefixes: [], rdnss: [], dnssl: [], pref64: [], routes: [] }], kernel: null },
  };
  return {
    root: '/',
    stack: o.stack,
    live: { interfaces: [iface], routes: [{ family: 6, iface: 'eth0', dst: '::', dstLength: 0, gateway: 'fe80::1', protocol: 'ra', metric: 1024, expires: 1800, preference: 'medium' }], ipv4Addresses: 1, daemons: o.daemons ?? [], sshAddresses: [], informed: o.informed },
    declared: undefined,
    declaredNote: 'no drive',
    resolv: { owner: 'file', nameservers: ['2001:db8::53'], ours: true },
    files: [],
  };
}

const STATELESS = { managed: false, other: true };
const STATEFUL = { managed: true, other: false };
const dhcpv6 = (f: Facts) => runChecks(f).find((c) => c.id === 'ra.dhcpv6')!;

describe('ra.dhcpv6 repairs', () => {
  it('O=1 with no client: --fix starts an information-only client (no longer a manual fix)', () => {
    const f = facts(STATELESS, { stack: 'eni' });
    expect(dhcpv6(f)).toMatchObject({ status: 'fail', repairs: [{ kind: 'start-dhcpv6', iface: 'eth0', client: 'information-only' }] });
    expect(dhcpv6(f).fix).not.toMatch(/^manual fix/);
    expect(planRepairs(f, runChecks(f)).dhcpv6).toMatchObject([{ iface: 'eth0', client: 'information-only' }]);
  });

  it('M=1 with no client: --fix starts a stateful one', () => {
    expect(dhcpv6(facts(STATEFUL, { stack: 'eni' })).repairs).toEqual([{ kind: 'start-dhcpv6', iface: 'eth0', client: 'stateful' }]);
  });

  it("the fix names the stack's own command: initscripts' pid and lease files on ifcfg, ifupdown's on eni", () => {
    expect(dhcpv6(facts(STATELESS, { stack: 'ifcfg' })).fix).toContain('as initscripts does (dhclient -6 -1 -S -pf /var/run/dhclient6-eth0.pid -lf /var/lib/dhclient/dhclient6-eth0.leases eth0)');
    expect(dhcpv6(facts(STATEFUL, { stack: 'eni' })).fix).toContain('as ifupdown does (dhclient -6 -nw -pf /run/dhclient6.eth0.pid -lf /var/lib/dhcp/dhclient6.eth0.leases -I -df /var/lib/dhcp/dhclient.eth0.leases eth0)');
  });

  it("the daemons' stacks reapply instead", () => {
    expect(dhcpv6(facts(STATELESS, { stack: 'networkmanager' })).fix).toMatch(/^nmcli device reapply eth0/);
    expect(dhcpv6(facts(STATELESS, { stack: 'networkd' })).fix).toMatch(/^networkctl reconfigure eth0/);
  });

  it('an information-only exchange --fix ran and was answered counts as the client, though it exited', () => {
    expect(dhcpv6(facts(STATELESS, { stack: 'ifcfg', informed: ['eth0'] }))).toMatchObject({ status: 'ok', observed: 'O=1; the information request doctor --fix just ran was answered' });
  });

  it('an answered information request does not stand in for a stateful client', () => {
    expect(dhcpv6(facts(STATEFUL, { stack: 'ifcfg', informed: ['eth0'] })).status).toBe('fail');
  });

  it('a running client is ok, with nothing to repair', () => {
    expect(dhcpv6(facts(STATEFUL, { stack: 'ifcfg', daemons: [['/sbin/dhclient', '-6', '-1', '-nw', 'eth0']] }))).toMatchObject({ status: 'ok', observed: 'M=1; running: /sbin/dhclient -6 -1 -nw eth0' });
  });
});
