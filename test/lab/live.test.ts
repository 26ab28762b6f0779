/**
 * The cloud-init `runcmd` case, for ifupdown: a guest brought up with
 * cloud-init's wrong stanza, a TCP connection open to the router over the same
 * interface, then a live `v6agent apply` fixes the mode in place — and the
 * connection is still alive afterwards (no ifdown, no link bounce).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { DHCP6_DNS, Lab, PREFIX, type LabMode } from './lab.js';
import { STATIC_ADDRESS, writeLabDrive } from './drive.js';
import { globals, waitFor } from './guest.js';
import { labGate } from './requirements.js';
import { openConnection } from './connection.js';

const gate = labGate();
/** The guest as cloud-init left it: its own (wrong) stanza, brought up by ifupdown. */
async function guestWithCloudInitStanza(mode: LabMode, stanza: string, ctx: TestContext, mac: string): Promise<{ lab: Lab; drive: string }> {
  const lab = await Lab.create({ mode, ipv4: false, guestMac: mac });
  ctx.onTestFinished(() => lab.destroy());
  mkdirSync(join(lab.guestRoot, 'etc/network/interfaces.d'), { recursive: true });
  writeFileSync(join(lab.guestRoot, 'etc/network/interfaces'), 'source /etc/network/interfaces.d/*\n');
  // A plain file, as on an ifupdown image (whatever the host's /etc/resolv.conf is).
  writeFileSync(join(lab.guestRoot, 'etc/resolv.conf'), '# from the image\n');
  writeFileSync(join(lab.guestRoot, 'etc/network/interfaces.d/50-cloud-init'), `# This file is generated from information provided by the datasource.\nauto eth0\n${stanza}`);
  await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
  // The drive states the subnet's nameserver, the one dnsmasq's DHCPv6 also hands out (as on Neutron).
  return { lab, drive: writeLabDrive(join(lab.dir, 'drive'), { mode, ipv4: false, mac, dns: DHCP6_DNS }) };
}

async function liveApply(lab: Lab, drive: string, mac: string): Promise<any> {
  const r = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--distro', 'debian', '--iface', `${mac}=eth0`, '--json'], 60_000);
  return JSON.parse(r.stdout);
}

describe.runIf(gate.run)('live apply (runcmd) on ifupdown fixes the mode in place and keeps open connections', () => {
  it('stateless brought up without `dhcp 1`: the DHCPv6 information request happens, its DNS appears, the connection lives', async (ctx) => {
    const { expect } = ctx;
    const mac = 'fa:16:3e:11:e0:01';
    const { lab, drive } = await guestWithCloudInitStanza('dhcpv6-stateless', 'iface eth0 inet6 auto\n', ctx, mac);
    const slaac = eui64Address(PREFIX, mac);
    await waitFor('the SLAAC address', () => globals(lab, 'inet6'), (a) => a.some((x) => x.local === slaac && !x.tentative));
    expect(lab.dnsmasqLog()).not.toMatch(/DHCPINFORMATION-REQUEST/);
    const conn = await openConnection(lab, '2001:db8:cafe:1::1');

    const report = await liveApply(lab, drive, mac);
    expect(report.reload.actions.map((a: { to: string }) => a.to)).toContainEqual(expect.stringMatching(/^dhclient -6 -1 -S -pf \/run\/dhclient6\.eth0\.pid/));
    expect(report.reload.actions.map((a: { to: string }) => a.to).join('\n')).not.toMatch(/ifdown/);
    expect(report.reload.usable).toEqual([expect.objectContaining({ iface: 'eth0', usable: true, address: slaac })]);
    expect(lab.dnsmasqLog()).toMatch(/DHCPINFORMATION-REQUEST/);
    expect(lab.guestFile('etc/resolv.conf')).toContain(`nameserver ${DHCP6_DNS}`);
    expect(await conn.roundTrip('still-there')).toBe(true);
  });

  it('static brought up as `inet6 auto`: the drive address and gateway appear, the link-local connection lives', async (ctx) => {
    const { expect } = ctx;
    const mac = 'fa:16:3e:11:e0:02';
    const { lab, drive } = await guestWithCloudInitStanza('static', 'iface eth0 inet6 auto\n', ctx, mac);
    await waitFor('a usable link-local address', () => lab.guestJson(['-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']), (l: any[]) => l[0]?.addr_info?.some((a: any) => !a.tentative));
    expect(await globals(lab, 'inet6')).toEqual([]);
    const conn = await openConnection(lab, `${lab.routerLinkLocal}%eth0`);

    const report = await liveApply(lab, drive, mac);
    expect(report.reload.usable).toEqual([expect.objectContaining({ iface: 'eth0', usable: true, address: STATIC_ADDRESS })]);
    expect(await globals(lab, 'inet6')).toContainEqual(expect.objectContaining({ local: STATIC_ADDRESS, prefixlen: 64 }));
    expect(await conn.roundTrip('still-there')).toBe(true);
    // A second apply changes no file or sysctl, so it touches the running network not at all.
    // (Each lab command has a fresh UTS namespace, so only the host name is set again.)
    const again = await liveApply(lab, drive, mac);
    expect(again.files.filter((f: { status: string }) => f.status !== 'unchanged')).toEqual([]);
    expect(again.sysctls.filter((f: { status: string }) => f.status !== 'unchanged')).toEqual([]);
    expect(again.reload).toBeUndefined();
  });
});
