/**
 * Live reload on the script-driven stacks, the pure step planning: never
 * ifdown; `ip -6 … replace` for static; the DHCPv6 client the mode needs, with
 * the pid and lease files of the stack's own ifup/ifdown (ifupdown's or
 * initscripts').
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Interface } from '../../agent/model/instance.js';
import type { Ipv6Mode } from '../../agent/model/modes.js';
import { dhcpv6Steps, inPlaceSteps, runningClient } from '../../agent/apply/liveInPlace.js';
import { changedInterfaces } from '../../agent/apply/reload.js';
import { IFUPDOWN, INITSCRIPTS, dhclientConventions, dhclientStart, type DhclientConventions } from '../../distro/dhcpv6Client.js';

function iface(mode: Ipv6Mode, name = 'eth0'): Interface {
  return {
    name,
    mac: 'fa:16:3e:00:00:01',
    kind: { type: 'physical' },
    bondMaster: undefined,
    mtu: undefined,
    ipv4: { method: 'dhcp' },
    ipv6: { mode, addresses: [{ address: '2001:db8:cafe:1::5', prefix: 64 }], gateway: '2001:db8:cafe:1::1', routes: [{ network: '2001:db8:99::', prefix: 48, gateway: '2001:db8:cafe:1::fe' }] },
  };
}

const STATIC_STEPS = [
  ['ip', '-6', 'addr', 'replace', '2001:db8:cafe:1::5/64', 'dev', 'eth0'],
  ['ip', '-6', 'route', 'replace', 'default', 'via', '2001:db8:cafe:1::1', 'dev', 'eth0'],
  ['ip', '-6', 'route', 'replace', '2001:db8:99::/48', 'via', '2001:db8:cafe:1::fe', 'dev', 'eth0'],
];

describe.each([
  { stack: 'ifupdown', c: IFUPDOWN },
  { stack: 'initscripts (ifcfg)', c: INITSCRIPTS },
])('live reload in place on $stack: never ifdown', ({ c }) => {
  it('static: replaces the address, the default route and each route in place, and starts no client', () => {
    expect(inPlaceSteps(c, iface('static'), undefined)).toEqual(STATIC_STEPS);
  });

  it('no step is ever an ifdown or a flush', () => {
    for (const mode of ['slaac', 'dhcpv6-stateless', 'dhcpv6-stateful', 'static', 'dhcp-unknown'] as const) {
      for (const running of [undefined, { kind: 'stateful' as const }, { kind: 'information-only' as const }]) {
        expect(inPlaceSteps(c, iface(mode), running).flat().join(' ')).not.toMatch(/ifdown|flush|link set|addr del/);
      }
    }
  });

  it('stateful: starts a daemon that does not block (-nw) unless one already runs', () => {
    expect(inPlaceSteps(c, iface('dhcpv6-stateful'), undefined)).toEqual([dhclientStart(c, 'eth0', 'stateful')]);
    expect(dhclientStart(c, 'eth0', 'stateful')).toContain('-nw');
    expect(inPlaceSteps(c, iface('dhcpv6-stateful'), { kind: 'stateful' })).toEqual([]);
  });

  it('stateless: an information-only client running already is left alone', () => {
    expect(inPlaceSteps(c, iface('dhcpv6-stateless'), { kind: 'information-only' })).toEqual([]);
  });

  it('slaac: releases a stateful client the mode forbids through its pid file, and starts none', () => {
    expect(inPlaceSteps(c, iface('slaac'), { kind: 'stateful' })).toEqual([['dhclient', '-6', '-r', '-pf', c.pidFile('eth0'), '-lf', c.leaseFile('eth0'), 'eth0']]);
  });

  it('stateful after stateless: stops the information-only client (-x), then starts the stateful one', () => {
    expect(inPlaceSteps(c, iface('dhcpv6-stateful'), { kind: 'information-only' })).toEqual([
      ['dhclient', '-6', '-x', '-pf', c.pidFile('eth0'), '-lf', c.leaseFile('eth0'), 'eth0'],
      dhclientStart(c, 'eth0', 'stateful'),
    ]);
  });
});

describe('the conventions of each stack', () => {
  it("ifupdown: stateless runs its `dhcp 1` client once, with its pid and lease paths", () => {
    expect(inPlaceSteps(IFUPDOWN, iface('dhcpv6-stateless'), undefined)).toEqual([
      ['dhclient', '-6', '-1', '-S', '-pf', '/run/dhclient6.eth0.pid', '-lf', '/var/lib/dhcp/dhclient6.eth0.leases', '-I', '-df', '/var/lib/dhcp/dhclient.eth0.leases', 'eth0'],
    ]);
  });

  it("initscripts: stateless runs ifup-eth's DHCPV6C client (-1, DHCPV6C_OPTIONS=-S) with /var/run/dhclient6-IF.pid and /var/lib/dhclient", () => {
    expect(inPlaceSteps(INITSCRIPTS, iface('dhcpv6-stateless'), undefined)).toEqual([
      ['dhclient', '-6', '-1', '-S', '-pf', '/var/run/dhclient6-eth0.pid', '-lf', '/var/lib/dhclient/dhclient6-eth0.leases', 'eth0'],
    ]);
  });

  it('initscripts: stateful keeps ifup-eth\'s -1 (no lease on the first try: the client exits, as ifup would fail)', () => {
    expect(dhclientStart(INITSCRIPTS, 'eth0', 'stateful')).toEqual(['dhclient', '-6', '-1', '-nw', '-pf', '/var/run/dhclient6-eth0.pid', '-lf', '/var/lib/dhclient/dhclient6-eth0.leases', 'eth0']);
  });

  it("initscripts: a per-interface dhclient6-IF.conf goes in with -cf, as ifup-eth's generate_config_file_name does", () => {
    expect(INITSCRIPTS.configFiles('eth0')).toEqual(['/etc/dhcp/dhclient6-eth0.conf', '/etc/dhclient6-eth0.conf']);
    expect(dhcpv6Steps(INITSCRIPTS, 'eth0', 'information-only', undefined, '/etc/dhcp/dhclient6-eth0.conf')[0]).toEqual(
      ['dhclient', '-6', '-1', '-S', '-cf', '/etc/dhcp/dhclient6-eth0.conf', '-pf', '/var/run/dhclient6-eth0.pid', '-lf', '/var/lib/dhclient/dhclient6-eth0.leases', 'eth0'],
    );
  });

  it('only the script-driven stacks have conventions: the daemons run DHCPv6 themselves', () => {
    expect(dhclientConventions('eni')).toBe(IFUPDOWN);
    expect(dhclientConventions('ifcfg')).toBe(INITSCRIPTS);
    for (const s of ['networkmanager', 'networkd', 'netplan'] as const) expect(dhclientConventions(s)).toBeUndefined();
  });
});

describe('the running client, from the stack\'s pid file', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setUp(cmdline: string[]): DhclientConventions {
    dir = mkdtempSync(join(tmpdir(), 'v6agent-dhclient-'));
    mkdirSync(join(dir, 'proc/4242'), { recursive: true });
    writeFileSync(join(dir, 'proc/4242/cmdline'), `${cmdline.join('\0')}\0`);
    writeFileSync(join(dir, 'pid'), '4242\n');
    return { ...INITSCRIPTS, pidFile: () => join(dir, 'pid') };
  }

  it('an information-only client (-S) and a stateful one are told apart', () => {
    expect(runningClient(setUp(['/sbin/dhclient', '-6', '-1', '-S', 'eth0']), 'eth0', join(dir, 'proc'))).toEqual({ pid: 4242, kind: 'information-only' });
    rmSync(dir, { recursive: true, force: true });
    expect(runningClient(setUp(['/sbin/dhclient', '-6', '-1', 'eth0']), 'eth0', join(dir, 'proc'))).toEqual({ pid: 4242, kind: 'stateful' });
  });

  it('a pid file that names another program, or a DHCPv4 client, is no DHCPv6 client', () => {
    expect(runningClient(setUp(['/usr/bin/sleep', '100']), 'eth0', join(dir, 'proc'))).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
    expect(runningClient(setUp(['/sbin/dhclient', 'eth0']), 'eth0', join(dir, 'proc'))).toBeUndefined();
  });
});

describe('changedInterfaces on ifcfg', () => {
  const f = (path: string) => ({ path, status: 'changed' as const });
  it('ifcfg-IF and route6-IF are that interface\'s own files', () => {
    expect(changedInterfaces('ifcfg', ['eth0', 'eth1'], [f('/etc/sysconfig/network-scripts/ifcfg-eth1'), f('/etc/sysconfig/network-scripts/route6-eth1')], false)).toEqual(['eth1']);
  });

  it("a VLAN's file is the VLAN's, not its parent's", () => {
    expect(changedInterfaces('ifcfg', ['eth0', 'eth0.100'], [f('/etc/sysconfig/network-scripts/ifcfg-eth0.100')], false)).toEqual(['eth0.100']);
  });
});
