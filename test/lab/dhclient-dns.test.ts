/**
 * resolv.conf and dhclient agree (distro/dhclient.ts): on a dual-stack port
 * under ifupdown, dnsmasq hands out its own DNS with the DHCPv4 lease and the
 * DHCPv6 answer, and Debian's dhclient-script would write those over the
 * drive's nameservers at every bind and renewal. With v6agent's enter hook
 * it does not, and the next `apply` has nothing to change.
 */
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { DHCP4_DNS, DHCP6_DNS, LAB_DOMAIN, Lab, ROUTER_V4, type LabMode } from './lab.js';
import { DRIVE_DNS, writeLabDrive } from './drive.js';
import { globals, waitFor } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();
const HOOK = 'etc/dhcp/dhclient-enter-hooks.d/v6agent';
const V4 = ['-4', '-pf', '/run/dhclient.eth0.pid', '-lf', '/var/lib/dhcp/dhclient.eth0.leases'];
let serial = 0;

/** A live `apply` in the guest (its own /etc, /run, /var/lib), then ifup: dhclient -4 binds, dhclient -6 runs. */
async function appliedAndUp(mode: LabMode, { expect, onTestFinished }: TestContext) {
  const mac = `fa:16:3e:5c:d0:${(serial++).toString(16).padStart(2, '0')}`;
  const lab = await Lab.create({ mode, ipv4: true, guestMac: mac });
  onTestFinished(() => lab.destroy());
  const drive = writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4: true, mac });
  const apply = async () => JSON.parse((await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--json'])).stdout);
  expect((await apply()).changed).toBe(true);
  await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
  await waitFor('a DHCPv4 lease', () => globals(lab, 'inet'), (a) => a.some((x) => x.local.startsWith('192.0.2.')));
  return { lab, apply };
}

const acks = (lab: Lab) => (lab.dnsmasqLog().match(/DHCPACK\(br0\)/g) ?? []).length;
/** DHCPv6 exchanges the server logged: a reply to a lease request, or an information request (answered, unlogged). */
const replies6 = (lab: Lab) => (lab.dnsmasqLog().match(/DHCP(REPLY|INFORMATION-REQUEST)\(br0\)/g) ?? []).length;

/** Release the DHCPv4 lease and bind again (DISCOVER … ACK → BOUND): dhclient-script runs make_resolv_conf. */
async function rebind4(lab: Lab): Promise<void> {
  const before = acks(lab);
  await lab.inGuest(['dhclient', ...V4, '-r', 'eth0']);
  await lab.inGuest(['dhclient', ...V4, '-1', 'eth0']);
  if (acks(lab) <= before) throw new Error(`lab: no new DHCPACK after the re-bind:\n${lab.dnsmasqLog()}`);
}

const resolv = (lab: Lab) => lab.guestFile('etc/resolv.conf') ?? '';

describe.runIf(gate.run).concurrent('dhclient and the drive\'s nameservers', () => {
  it('dnsmasq hands out DNS on IPv4 with the lease, and answers there', async (context) => {
    const { expect } = context;
    const { lab } = await appliedAndUp('slaac', context);
    expect((await lab.inGuest(['cat', '/var/lib/dhcp/dhclient.eth0.leases'])).stdout).toContain(`option domain-name-servers ${DHCP4_DNS};`);
    const query = `const r = new (require('node:dns').promises.Resolver)(); r.setServers(['${DHCP4_DNS}']); r.resolve4('router.${LAB_DOMAIN}').then((a) => console.log(a.join(' ')));`;
    expect((await lab.inGuest([process.execPath, '-e', query])).stdout).toBe(`${ROUTER_V4}\n`);
  });

  it("without v6agent's hook, a DHCPv4 bind replaces the drive's nameservers with the lease's (the lab exercises the real interaction)", async (context) => {
    const { expect } = context;
    const { lab } = await appliedAndUp('slaac', context);
    // The hook is sourced by every later dhclient-script run; remove it and bind again.
    await lab.inGuest(['rm', `/${HOOK}`]);
    await rebind4(lab);
    expect(resolv(lab)).toContain(`nameserver ${DHCP4_DNS}`);
    expect(resolv(lab)).not.toContain(DRIVE_DNS);
  });

  it.for(['dhcpv6-stateless', 'dhcpv6-stateful'] as const)('%s: a bind and a renewal of both clients keep them, and the next apply changes nothing', async (mode, context) => {
    const { expect } = context;
    const { lab, apply } = await appliedAndUp(mode, context);
    const ours = `# Written by v6agent from the OpenStack config drive.\nnameserver ${DRIVE_DNS}\n`;
    expect(lab.guestFile(HOOK)).toMatch(/make_resolv_conf\(\) \{ :; \}/);
    expect(resolv(lab)).toBe(ours);

    await rebind4(lab);
    // DHCPv6 again: -S asks for information once more (BOUND6/RENEW6); stateful is stopped and solicits a lease anew.
    const before6 = replies6(lab);
    const v6 = ['-6', '-pf', '/run/dhclient6.eth0.pid', '-lf', '/var/lib/dhcp/dhclient6.eth0.leases'];
    if (mode === 'dhcpv6-stateful') await lab.inGuest(['dhclient', ...v6, '-x', 'eth0']);
    await lab.inGuest(['dhclient', ...v6, '-1', ...(mode === 'dhcpv6-stateless' ? ['-S'] : []), 'eth0'], 20_000);
    expect(replies6(lab)).toBeGreaterThan(before6);
    // The server did offer DNS of its own in both families; none of it reached resolv.conf.
    expect(lab.dnsmasqLog()).toContain(DHCP6_DNS);
    expect(resolv(lab)).toBe(ours);

    const second = await apply();
    expect(second.changed).toBe(false);
    expect(second.files.filter((f: { status: string }) => f.status !== 'unchanged')).toEqual([]);
    expect((await lab.inGuest([BIN, 'apply', '--config-drive', join(lab.dir, 'drive')])).stdout).toMatch(/nothing to change/);
    expect(resolv(lab)).toBe(ours);
  });
});
