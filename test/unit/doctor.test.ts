/**
 * doctor's pure parts: checks over hand-made facts (what the lab cannot
 * easily produce: DAD failure, MTU, a global gateway), and the JSON and
 * Prometheus outputs against their documented shapes, the latter through a
 * strict parser of the text exposition format.
 */
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../agent/doctor/checks/index.js';
import { reportJson, reportPrometheus, reportText, type DoctorReport } from '../../agent/doctor/format.js';
import type { Facts, Finding, InterfaceFacts } from '../../agent/doctor/types.js';
import { IFA_F, type Addr, type Route } from '../../agent/facts/netlink.js';

const MAC = 'fa:16:3e:00:00:01';
const LL = 'fe80::f816:3eff:fe00:1';
const GLOBAL = '2001:db8:1:0:f816:3eff:fe00:1';

const addr = (address: string, o: Partial<Addr> = {}): Addr => ({ iface: 'eth0', family: 6, address, prefixLength: 64, scope: address.startsWith('fe80') ? 253 : 0, flags: IFA_F.permanent, validLifetime: null, preferredLifetime: null, ...o });
const route = (o: Partial<Route> = {}): Route => ({ family: 6, iface: 'eth0', dst: '::', dstLength: 0, gateway: 'fe80::1', protocol: 'ra', metric: 1024, expires: 1800, preference: 'medium', ...o });

/** A healthy SLAAC interface, with `change` applied. */
function facts(change: { iface?: Partial<InterfaceFacts>; link?: Partial<InterfaceFacts['link']>; routes?: Route[] } = {}): Facts {
  const iface: InterfaceFacts = {
    link: { name: 'eth0', index: 2, up: true, loopback: false, mac: MAC, mtu: 1500, inet6Flags: 0x20, ...change.link },
    conf: { disable_ipv6: '0', forwarding: '0', accept_ra: '1', autoconf: '1', use_tempaddr: '0', addr_gen_mode: '0', accept_ra_rt_info_max_plen: '128', mtu: '1500' },
    addresses: [addr(LL), addr(GLOBAL, { flags: 0 })],
    ra: { name: 'eth0', mode: 'slaac', source: 'kernel', elapsedMs: 1, notes: [], routers: [{ address: 'fe80::1', afterMs: null, managed: false, other: false, lifetime: null, preference: null, mtu: null, prefixes: [], rdnss: [], dnssl: [], pref64: [], routes: [] }], kernel: null },
    ...change.iface,
  };
  return {
    root: '/',
    live: { interfaces: [iface], routes: change.routes ?? [route()], ipv4Addresses: 1, daemons: [], sshAddresses: [] },
    declared: undefined,
    declaredNote: 'no drive',
    resolv: { owner: 'file', nameservers: ['2001:db8::53'], ours: true },
    files: [],
  };
}

const problems = (f: Finding[]): string[] => f.filter((c) => c.status !== 'ok').map((c) => `${c.status} ${c.id}`).sort();

describe('doctor checks (pure)', () => {
  it('a healthy SLAAC interface has no problems', () => {
    expect(problems(runChecks(facts()))).toEqual([]);
  });

  it('a dadfailed address fails address.dad naming it; a tentative one only warns', () => {
    const failed = runChecks(facts({ iface: { addresses: [addr(LL), addr(GLOBAL, { flags: 0 }), addr('2001:db8:1::5', { flags: IFA_F.dadfailed | IFA_F.tentative | IFA_F.permanent })] } }));
    expect(problems(failed)).toEqual(['fail address.dad']);
    expect(failed.find((c) => c.id === 'address.dad')!.observed).toBe('dadfailed: 2001:db8:1::5/64');
    expect(problems(runChecks(facts({ iface: { addresses: [addr(LL), addr(GLOBAL, { flags: 0 }), addr('2001:db8:1::6', { flags: IFA_F.tentative | IFA_F.permanent })] } })))).toEqual(['warn address.dad']);
  });

  it('--fix never deletes a temporary address an SSH session runs on; it deletes the others', () => {
    const TEMP = '2001:db8:1::7';
    const OTHER = '2001:db8:1::8';
    const f = facts({ iface: { addresses: [addr(LL), addr(GLOBAL, { flags: 0 }), addr(TEMP, { flags: IFA_F.temporary }), addr(OTHER, { flags: IFA_F.temporary })] } });
    const deleted = (sshAddresses: string[]) => runChecks({ ...f, live: { ...f.live!, sshAddresses } }).flatMap((c) => c.repairs ?? []).filter((r) => r.kind === 'delete-address').map((r) => (r as { address: string }).address);
    expect(deleted([])).toEqual([TEMP, OTHER]);
    expect(deleted(['2001:db8:1:0::7'])).toEqual([OTHER]);
  });

  it('an MTU below 1280 fails mtu.minimum', () => {
    expect(problems(runChecks(facts({ link: { mtu: 1200 } })))).toEqual(['fail mtu.minimum']);
  });

  it("an MTU above the router's MTU option fails mtu.network", () => {
    const f = facts();
    const i = f.live!.interfaces[0]!;
    const ra = { ...i.ra!, routers: [{ ...i.ra!.routers[0]!, mtu: 1450 }] };
    const r = runChecks({ ...f, live: { ...f.live!, interfaces: [{ ...i, ra, conf: { ...i.conf, mtu: '1500' } }] } });
    expect(problems(r)).toEqual(['fail mtu.network']);
    expect(r.find((c) => c.id === 'mtu.network')!.expected).toBe("at most 1450 (the router's MTU option)");
  });

  it('a default route via a global address warns; via a link-local it is ok', () => {
    expect(problems(runChecks(facts({ routes: [route({ gateway: '2001:db8:1::1', protocol: 'static', expires: null })] })))).toEqual(['warn route.default']);
  });

  it('no IPv6 default route anywhere fails route.default, naming router lifetime 0', () => {
    const f = facts({ routes: [] });
    const i = f.live!.interfaces[0]!;
    const ra = { ...i.ra!, routers: [{ ...i.ra!.routers[0]!, lifetime: 0 }] };
    const r = runChecks({ ...f, live: { ...f.live!, interfaces: [{ ...i, ra }] } });
    expect(problems(r)).toEqual(['fail route.default']);
    expect(r.find((c) => c.id === 'route.default')!.observed).toMatch(/router lifetime 0/);
  });

  it('under NetworkManager, a router announcing the metadata route that was not installed fails route.metadata', () => {
    const base = facts();
    const f = { ...base, live: { ...base.live!, daemons: [['/usr/sbin/NetworkManager']] } };
    const i = f.live!.interfaces[0]!;
    const ra = { ...i.ra!, source: 'wire' as const, routers: [{ ...i.ra!.routers[0]!, routes: [{ prefix: 'fe80::a9fe:a9fe/128', preference: 'medium' as const, lifetime: 1800 }] }] };
    const withRa = { ...f, live: { ...f.live!, interfaces: [{ ...i, ra }] } };
    expect(problems(runChecks(withRa))).toEqual(['fail route.metadata']);
    const installed = { ...withRa, live: { ...withRa.live, routes: [route(), route({ dst: 'fe80::a9fe:a9fe', dstLength: 128 })] } };
    expect(problems(runChecks(installed))).toEqual([]);
  });

  it('not root and the kernel has heard no router: ra.router only warns that it could not ask', () => {
    const f = facts();
    const i = f.live!.interfaces[0]!;
    const ra = { ...i.ra!, mode: 'none' as const, source: 'none' as const, routers: [], notes: ['not root: no Router Solicitation sent (a raw ICMPv6 socket needs CAP_NET_RAW)'] };
    const r = runChecks({ ...f, live: { ...f.live!, interfaces: [{ ...i, ra }] } });
    expect(problems(r)).toEqual(['warn ra.router']);
  });

  it('NetworkManager or networkd running: accept_ra = 0 and addr_gen_mode = 1 are theirs, not findings', () => {
    const f = facts();
    const i = f.live!.interfaces[0]!;
    const r = runChecks({ ...f, live: { ...f.live!, daemons: [['/usr/sbin/NetworkManager', '--no-daemon']], interfaces: [{ ...i, conf: { ...i.conf, accept_ra: '0', addr_gen_mode: '1' } }] } });
    expect(problems(r)).toEqual([]);
  });

  it('an IPv6-only VM using the systemd-resolved stub is not told it lacks an IPv6 nameserver', () => {
    const f = facts();
    expect(problems(runChecks({ ...f, live: { ...f.live!, ipv4Addresses: 0 }, resolv: { owner: 'systemd-resolved', nameservers: ['127.0.0.53'], ours: false } }))).toEqual([]);
  });
});

// ---- outputs ----

const REPORT: DoctorReport = {
  checks: [
    { id: 'sysctl.use_tempaddr', interface: 'eth0', status: 'fail', observed: 'net.ipv6.conf.eth0.use_tempaddr = 2', expected: '0', why: 'w', fix: 'f', repairs: [{ kind: 'sysctl', iface: 'eth0', key: 'use_tempaddr', value: '0' }] },
    { id: 'nm.addr_gen_mode', interface: 'we"ird\\name\n', status: 'warn', observed: 'o', expected: 'e', why: 'w', fix: 'manual fix: x' },
    { id: 'dns.ipv6', interface: null, status: 'ok', observed: 'o', expected: 'e', why: '', fix: '' },
  ],
  fixed: [{ id: 'sysctl.use_tempaddr', interface: 'eth0', action: 'net.ipv6.conf.eth0.use_tempaddr = 0 (was 2)', status: 'changed', before: 'fail', after: 'ok' }],
};

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format 0.0.4, strictly: HELP/TYPE before samples, valid names, escapes, floats, no duplicate series. */
function parsePrometheus(text: string): Sample[] {
  if (!text.endsWith('\n')) throw new Error('must end with a newline');
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const series = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
      if (!m || !NAME.test(m[2]!)) throw new Error(`bad comment line: ${line}`);
      if (m[1] === 'TYPE') {
        if (!['gauge', 'counter', 'untyped', 'histogram', 'summary'].includes(m[3]!)) throw new Error(`bad type: ${line}`);
        if (types.has(m[2]!)) throw new Error(`second TYPE for ${m[2]}`);
        if (samples.some((s) => s.name === m[2])) throw new Error(`TYPE after samples of ${m[2]}`);
        types.set(m[2]!, m[3]!);
      } else helps.add(m[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
      if (!l) throw new Error(`bad labels: ${m[3]}`);
      if (l[1]! in labels) throw new Error(`duplicate label ${l[1]}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const value = Number(m[4]);
    if (!Number.isFinite(value)) throw new Error(`bad value ${m[4]}`);
    if (!types.has(m[1]!) || !helps.has(m[1]!)) throw new Error(`${m[1]} has no HELP/TYPE before its samples`);
    const key = `${m[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`duplicate series ${key}`);
    series.add(key);
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

describe('doctor outputs', () => {
  it('--json has exactly the documented shape and drops internal fields', () => {
    const j = JSON.parse(reportJson(REPORT));
    expect(Object.keys(j)).toEqual(['checks', 'fixed']);
    for (const c of j.checks) expect(Object.keys(c)).toEqual(['id', 'interface', 'status', 'observed', 'expected', 'why', 'fix']);
    for (const f of j.fixed) expect(Object.keys(f)).toEqual(['id', 'interface', 'action', 'status', 'before', 'after']);
    expect(j.checks[2].interface).toBeNull();
  });

  it('--format prometheus parses strictly: one gauge per check and interface (0 ok, 1 warn, 2 fail), counts, fixes', () => {
    const samples = parsePrometheus(reportPrometheus(REPORT, 1_700_000_000_000));
    const checks = samples.filter((s) => s.name === 'v6agent_doctor_check');
    expect(checks).toEqual([
      { name: 'v6agent_doctor_check', labels: { check: 'sysctl.use_tempaddr', interface: 'eth0' }, value: 2 },
      { name: 'v6agent_doctor_check', labels: { check: 'nm.addr_gen_mode', interface: 'we"ird\\name\n' }, value: 1 },
      { name: 'v6agent_doctor_check', labels: { check: 'dns.ipv6', interface: '' }, value: 0 },
    ]);
    expect(samples.filter((s) => s.name === 'v6agent_doctor_checks').map((s) => [s.labels.status, s.value])).toEqual([['ok', 1], ['warn', 1], ['fail', 1]]);
    expect(samples.find((s) => s.name === 'v6agent_doctor_fixed')!.value).toBe(1);
    expect(samples.find((s) => s.name === 'v6agent_doctor_last_run_timestamp_seconds')!.value).toBe(1_700_000_000);
  });

  it('the strict parser rejects what Prometheus rejects', () => {
    expect(() => parsePrometheus('x 1\n')).toThrow(/HELP\/TYPE/);
    expect(() => parsePrometheus('# HELP x h\n# TYPE x gauge\nx{a="1} 1\n')).toThrow(/bad/);
    expect(() => parsePrometheus('# HELP x h\n# TYPE x gauge\nx 1\nx 2\n')).toThrow(/duplicate/);
  });

  it('text: one line per finding with status, evidence, why and fix; a summary; colour only when asked', () => {
    const plain = reportText(REPORT, false);
    expect(plain).toBe(
      [
        'fixed sysctl.use_tempaddr eth0: net.ipv6.conf.eth0.use_tempaddr = 0 (was 2) (fail → ok)',
        'fail sysctl.use_tempaddr eth0: net.ipv6.conf.eth0.use_tempaddr = 2 (expected 0) — w; fix: f',
        'warn nm.addr_gen_mode we"ird\\name\n: o (expected e) — w; manual fix: x',
        'ok   dns.ipv6: o',
        '1 failed, 1 warnings, 1 ok',
        '',
      ].join('\n'),
    );
    expect(plain).not.toMatch(/\x1b\[/);
    expect(reportText(REPORT, true)).toMatch(/\x1b\[31mfail\x1b\[0m/);
  });
});
