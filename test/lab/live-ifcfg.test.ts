/**
 * The cloud-init `runcmd` case on RHEL ifcfg (initscripts, no NetworkManager):
 * a guest brought up from cloud-init's wrong ifcfg-eth0, a TCP connection open
 * to the router over the same interface, then a live `v6agent apply --stack
 * ifcfg` fixes the mode in place — never ifdown; the DHCPv6 client started
 * with initscripts' own pid and lease files, so its ifdown stops it — and the
 * connection is still alive afterwards. Also `doctor --fix` on such a guest:
 * the information-only DHCPv6 exchange it starts brings the subnet's DNS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { DHCP6_DNS, PREFIX, ROUTER_V6 } from './lab.js';
import { STATEFUL_ADDRESS, STATIC_ADDRESS } from './drive.js';
import { globals, routes6, waitFor } from './guest.js';
import { openConnection } from './connection.js';
import { applyIfcfg, ifcfgGuest, NETWORK_SCRIPTS } from './ifcfg-guest.js';
import { doctor, problems } from './doctor-run.js';
import { labGate } from './requirements.js';

const gate = labGate();

interface Report {
  files: { path: string; status: string }[];
  sysctls: { status: string }[];
  reload?: { actions: { what: string; to: string; status: string }[]; usable: { iface: string; usable: boolean; address?: string }[]; notes: string[] };
}

const steps = (r: Report): string[] => (r.reload?.actions ?? []).map((a) => `${a.status} ${a.to}`);
const PID_FILE = 'run/dhclient6-eth0.pid'; // /var/run/dhclient6-eth0.pid: /var/run is /run
const LEASES = 'varlib/dhclient/dhclient6-eth0.leases';

/** initscripts' (EL7) ifdown-eth DHCP stop, verbatim: see the file. */
const IFDOWN_ETH_DHCP_STOP = resolve('test/lab/ifdown-eth-dhcp-stop.sh');

const alive = (pid: number): boolean => pid > 0 && existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
/** The pid dhclient -nw writes once it has daemonized: its parent may exit before the child writes the file. */
const clientPid = (dir: string): Promise<number> =>
  waitFor('dhclient to write its pid file', async () => (existsSync(join(dir, PID_FILE)) ? Number(readFileSync(join(dir, PID_FILE), 'utf8').trim()) : 0), alive);

describe.runIf(gate.run).concurrent('live apply (runcmd) on RHEL ifcfg fixes the mode in place and keeps open connections', () => {
  it("stateless brought up from cloud-init's ifcfg without DHCPV6C: initscripts' information-only client runs, its DNS appears, the connection lives", async (ctx) => {
    const { expect } = ctx;
    const g = await ifcfgGuest('dhcpv6-stateless', 'fa:16:3e:11:e2:01', ctx);
    const slaac = eui64Address(PREFIX, g.mac);
    await waitFor('the SLAAC address', () => globals(g.lab, 'inet6'), (a) => a.some((x) => x.local === slaac && !x.tentative));
    expect(g.lab.dnsmasqLog()).not.toMatch(/DHCPINFORMATION-REQUEST/);
    const conn = await openConnection(g.lab, ROUTER_V6);

    const report = JSON.parse(await applyIfcfg(g, '--json')) as Report;
    expect(report.files).toContainEqual(expect.objectContaining({ path: `/${NETWORK_SCRIPTS}/ifcfg-eth0`, status: 'changed' }));
    expect(steps(report)).toContain('changed dhclient -6 -1 -S -pf /var/run/dhclient6-eth0.pid -lf /var/lib/dhclient/dhclient6-eth0.leases eth0');
    expect(steps(report).join('\n')).not.toMatch(/ifdown|flush/);
    expect(report.reload!.notes.join('\n')).not.toMatch(/not done yet/);
    expect(report.reload!.usable).toEqual([expect.objectContaining({ iface: 'eth0', usable: true, address: slaac })]);
    expect(g.lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
    expect(g.lab.guestFile('etc/resolv.conf')).toContain(`nameserver ${DHCP6_DNS}`);
    expect(await conn.roundTrip('still-there')).toBe(true);
  });

  it("static brought up from cloud-init's SLAAC ifcfg: the drive's address, gateway and route appear (text report), the link-local connection lives", async (ctx) => {
    const { expect } = ctx;
    const g = await ifcfgGuest('static', 'fa:16:3e:11:e2:02', ctx);
    expect(await globals(g.lab, 'inet6')).toEqual([]);
    const conn = await openConnection(g.lab, `${g.lab.routerLinkLocal}%eth0`);

    const text = await applyIfcfg(g);
    expect(text).toContain(`ran       eth0: ip -6 addr replace ${STATIC_ADDRESS}/64 dev eth0\n`);
    expect(text).toContain(`ran       eth0: ip -6 route replace default via ${ROUTER_V6} dev eth0\n`);
    expect(text).toMatch(new RegExp(`usable {2}eth0: ${STATIC_ADDRESS}, default via ${ROUTER_V6}`));
    expect(text).not.toMatch(/ifdown|not done yet/);
    expect(await globals(g.lab, 'inet6')).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
    expect(await routes6(g.lab)).toContainEqual(expect.objectContaining({ dst: '2001:db8:99::/48', gateway: '2001:db8:cafe:1::fe' }));
    expect(await conn.roundTrip('still-there')).toBe(true);
    // Nothing changed on disk: the running network is not touched again.
    expect(JSON.parse(await applyIfcfg(g, '--json')).reload).toBeUndefined();
  });

  it("stateful brought up from cloud-init's SLAAC ifcfg: the lease arrives from the client started with initscripts' files, and ifdown-eth's own code stops it", async (ctx) => {
    const { expect } = ctx;
    const g = await ifcfgGuest('dhcpv6-stateful', 'fa:16:3e:11:e2:03', ctx);
    const conn = await openConnection(g.lab, `${g.lab.routerLinkLocal}%eth0`);

    const report = JSON.parse(await applyIfcfg(g, '--json')) as Report;
    expect(steps(report)).toContain('changed dhclient -6 -1 -nw -pf /var/run/dhclient6-eth0.pid -lf /var/lib/dhclient/dhclient6-eth0.leases eth0');
    await waitFor("the port's fixed IP from DHCPv6, usable", () => globals(g.lab, 'inet6'), (a) => a.some((x) => x.local === STATEFUL_ADDRESS && !x.tentative), 20_000);
    expect(await conn.roundTrip('still-there')).toBe(true);
    const pid = await clientPid(g.lab.dir);
    expect(alive(pid)).toBe(true);
    await waitFor('the lease in /var/lib/dhclient', async () => (existsSync(join(g.lab.dir, LEASES)) ? readFileSync(join(g.lab.dir, LEASES), 'utf8') : ''), (t) => t.includes(STATEFUL_ADDRESS));

    await g.lab.inGuest(['env', 'DEVICE=eth0', 'bash', IFDOWN_ETH_DHCP_STOP]);
    await waitFor('the client to exit', async () => alive(pid), (a) => !a);
    expect(existsSync(join(g.lab.dir, PID_FILE))).toBe(false);
  });

  it("SLAAC brought up from cloud-init's ifcfg with DHCPV6C=yes: the stateful client ifup-eth started, soliciting a server that is not there, is stopped through its pid file", async (ctx) => {
    const { expect } = ctx;
    const g = await ifcfgGuest('slaac', 'fa:16:3e:11:e2:05', ctx, ['DHCPV6C=yes']);
    // What ifup-eth runs for DHCPV6C=yes (there, in the foreground until -1 gives up; -nw here so the test goes on).
    await g.lab.inGuest(['dhclient', '-6', '-1', '-nw', '-lf', '/var/lib/dhclient/dhclient6-eth0.leases', '-pf', '/var/run/dhclient6-eth0.pid', 'eth0']);
    const pid = await clientPid(g.lab.dir);
    expect(alive(pid)).toBe(true);
    const conn = await openConnection(g.lab, `${g.lab.routerLinkLocal}%eth0`);

    const report = JSON.parse(await applyIfcfg(g, '--json')) as Report;
    expect(steps(report)).toEqual(['changed dhclient -6 -r -pf /var/run/dhclient6-eth0.pid -lf /var/lib/dhclient/dhclient6-eth0.leases eth0', expect.stringMatching(/^changed router solicitation/)]);
    await waitFor('the stateful client to exit', async () => alive(pid), (a) => !a);
    expect(report.reload!.usable).toEqual([expect.objectContaining({ iface: 'eth0', usable: true, address: eui64Address(PREFIX, g.mac) })]);
    expect(await conn.roundTrip('still-there')).toBe(true);
  });

  it('doctor --fix on a stateless guest with no DHCPv6 client: the information-only exchange runs as initscripts would and the DHCPv6 DNS appears', async (ctx) => {
    const { expect } = ctx;
    const g = await ifcfgGuest('dhcpv6-stateless', 'fa:16:3e:11:e2:04', ctx);
    await waitFor('the SLAAC address', () => globals(g.lab, 'inet6'), (a) => a.some((x) => x.local === eui64Address(PREFIX, g.mac) && !x.tentative));
    const before = await doctor(g, '--stack', 'ifcfg');
    expect(problems(before)).toContain('fail ra.dhcpv6');
    expect(before.checks.find((c) => c.id === 'ra.dhcpv6')!.fix).toMatch(/^start an information-only DHCPv6 exchange as initscripts does/);

    const fixed = await doctor(g, '--stack', 'ifcfg', '--fix');
    expect(fixed.fixed.find((f) => f.id === 'ra.dhcpv6')).toEqual({ id: 'ra.dhcpv6', interface: 'eth0', action: 'dhclient -6 -1 -S -pf /var/run/dhclient6-eth0.pid -lf /var/lib/dhclient/dhclient6-eth0.leases eth0', status: 'changed', before: 'fail', after: 'ok' });
    expect(g.lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
    expect(g.lab.guestFile('etc/resolv.conf')).toContain(`nameserver ${DHCP6_DNS}`);
    expect(problems(fixed)).not.toContain('fail dns.ipv6');
  });
});
