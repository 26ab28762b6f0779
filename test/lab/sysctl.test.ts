/**
 * The sysctl drop-in takes effect: a port that starts as many images ship it
 * (stable-privacy addresses, temporary addresses preferred) ends up with only
 * the EUI-64 link-local and SLAAC addresses Neutron's port security allows.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { eui64Address } from '../../agent/model/addr.js';
import { BIN } from '../bin.js';
import { Lab, PREFIX } from './lab.js';
import { writeLabDrive } from './drive.js';
import { addresses, waitFor } from './guest.js';
import { labGate } from './requirements.js';

const gate = labGate();

/** A SLAAC lab whose guest port is set to stable-privacy and temporary addresses, link still down. */
async function privacyLab(mac: string, { onTestFinished }: TestContext): Promise<Lab> {
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: mac });
  onTestFinished(() => lab.destroy());
  await lab.setGuestSysctl('net.ipv6.conf.eth0.stable_secret', '2001:db8:5ec:7e7::1');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.addr_gen_mode', '2');
  await lab.setGuestSysctl('net.ipv6.conf.eth0.use_tempaddr', '2');
  return lab;
}

const linkLocalEui64 = (mac: string) => eui64Address('fe80::', mac);

describe.runIf(gate.run).concurrent('sysctl drop-in', () => {
  it('without it, the starting point really is stable-privacy and temporary addresses', async (context) => {
    const { expect } = context;
    const mac = 'fa:16:3e:5c:90:01';
    const lab = await privacyLab(mac, context);
    await lab.inGuest(['ip', 'link', 'set', 'eth0', 'up']);
    const addrs = await waitFor('SLAAC addresses', () => addresses(lab), (a) => a.some((x) => x.temporary && !x.tentative));
    const ll = addrs.find((a) => a.scope === 'link')!;
    expect(ll.local).not.toBe(linkLocalEui64(mac));
    expect(addrs.filter((a) => a.scope === 'global').map((a) => a.local)).not.toContain(eui64Address(PREFIX, mac));
  });

  it('with it, the link-local and SLAAC addresses are EUI-64 and none is temporary', async (context) => {
    const { expect } = context;
    const mac = 'fa:16:3e:5c:90:02';
    const lab = await privacyLab(mac, context);
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const r = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${mac}=eth0`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.addr_gen_mode')).toBe('0');
    expect(await lab.guestSysctl('net.ipv6.conf.eth0.use_tempaddr')).toBe('0');
    await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
    const eui64 = eui64Address(PREFIX, mac);
    const addrs = await waitFor('the EUI-64 SLAAC address', () => addresses(lab), (a) => a.some((x) => x.local === eui64 && !x.tentative));
    expect(addrs.filter((a) => a.family === 'inet6').map((a) => a.local).sort()).toEqual([eui64, linkLocalEui64(mac)].sort());
    expect(addrs.some((a) => a.temporary || a['stable-privacy'])).toBe(false);
  });
});
