/**
 * `apply --boot` in a lab guest whose port starts down, as at boot: the link
 * is brought up for the probe, the router is asked, and the host name and SSH
 * keys are applied once per instance (meta_data.json uuid vs
 * /var/lib/v6agent/instance-id). The VM test (test/vm) proves the same in a real boot.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { BIN } from '../bin.js';
import { Lab } from './lab.js';
import { writeLabDrive } from './drive.js';
import { labGate } from './requirements.js';

const gate = labGate();

async function bootOnce(lab: Lab, drive: string, mac: string): Promise<any> {
  // A longer probe than the default 2 s: link-local DAD comes first, and the machine running the suite may be busy.
  const r = await lab.inGuest([BIN, 'apply', '--boot', '--probe-timeout', '5', '--config-drive', drive, '--distro', 'debian', '--iface', `${mac}=eth0`, '--json'], 60_000);
  return JSON.parse(r.stdout);
}

async function guest(ctx: TestContext, mac: string): Promise<{ lab: Lab; drive: string }> {
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: mac });
  ctx.onTestFinished(() => lab.destroy());
  writeFileSync(join(lab.guestRoot, 'etc/resolv.conf'), '# from the image\n');
  return { lab, drive: writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac }) };
}

describe.runIf(gate.run)('apply --boot', () => {
  it('brings the down port up only for the probe, asks the router, and prints the budget line', async (ctx) => {
    const { expect } = ctx;
    const mac = 'fa:16:3e:b0:07:01';
    const { lab, drive } = await guest(ctx, mac);
    const [before] = await lab.guestJson(['link', 'show', 'dev', 'eth0']);
    expect(before.flags).not.toContain('UP');
    const report = await bootOnce(lab, drive, mac);
    expect(report.links).toEqual([expect.objectContaining({ what: 'link eth0', from: 'down', to: 'up', status: 'changed' })]);
    expect(report.apply.observed).toEqual([expect.objectContaining({ name: 'eth0', mode: 'slaac', source: 'wire' })]);
    expect(report.earlySysctls.map((s: { what: string }) => s.what)).toContain('net.ipv6.conf.eth0.addr_gen_mode');
    expect(report.timing.totalMs).toBeLessThan(report.timing.budgetMs);
    // No address or route of ours: that is the network manager's job, which starts next.
    const routes = await lab.guestJson(['-6', 'route', 'show', 'dev', 'eth0', 'proto', 'static']);
    expect(routes).toEqual([]);
    const text = await lab.inGuest([BIN, 'apply', '--boot', '--config-drive', drive, '--distro', 'debian', '--iface', `${mac}=eth0`]);
    expect(text.stdout).toMatch(/^v6agent boot: same instance 00000000-0000-4000-8000-00000000cafe: host name and SSH keys left as they are; drive wait [\d.]+ s, router probe [\d.]+ s, write [\d.]+ s; total [\d.]+ s of a [\d.]+ s budget$/m);
  });

  it('sets the host name once per instance: the next boot of the same instance keeps an admin change, a new instance id sets it again', async (ctx) => {
    const { expect } = ctx;
    const mac = 'fa:16:3e:b0:07:02';
    const { lab, drive } = await guest(ctx, mac);
    const first = await bootOnce(lab, drive, mac);
    expect(first.newInstance).toBe(true);
    expect(lab.guestFile('etc/hostname')).toBe('lab\n');
    expect(readFileSync(join(lab.dir, 'varlib/v6agent/instance-id'), 'utf8')).toBe('00000000-0000-4000-8000-00000000cafe\n');

    writeFileSync(join(lab.guestRoot, 'etc/hostname'), 'renamed-by-admin\n');
    const second = await bootOnce(lab, drive, mac);
    expect(second.newInstance).toBe(false);
    expect(lab.guestFile('etc/hostname')).toBe('renamed-by-admin\n');
    expect(second.apply.files.map((f: { path: string }) => f.path)).not.toContain('/etc/hostname');

    const meta = join(drive, 'openstack/latest/meta_data.json');
    writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(meta, 'utf8')), uuid: '00000000-0000-4000-8000-0000000beef0' }));
    const third = await bootOnce(lab, drive, mac);
    expect(third.newInstance).toBe(true);
    expect(lab.guestFile('etc/hostname')).toBe('lab\n');
  });
});
