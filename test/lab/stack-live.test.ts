/**
 * Live stack detection against real ifupdown: once ifup has brought the port
 * up in the guest, a live `apply` with no --stack reports ifupdown from its
 * state in the guest's /run, not the host's enabled units. (networkd and the
 * netplan chain: test/lab/networkd.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { BIN } from '../bin.js';
import { Lab } from './lab.js';
import { writeLabDrive } from './drive.js';
import { labGate } from './requirements.js';

const gate = labGate();

describe.runIf(gate.run)('live apply sees what is running', () => {
  it('ifupdown, from /run/network/ifstate', async ({ expect, onTestFinished }) => {
    const mac = 'fa:16:3e:6d:40:01';
    const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: mac });
    onTestFinished(() => lab.destroy());
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac });
    const render = spawnSync(BIN, ['apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${mac}=eth0`], { encoding: 'utf8' });
    expect(render.status, render.stderr).toBe(0);
    await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
    const { stdout } = await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--no-probe', '--dry-run', '--json']);
    const report = JSON.parse(stdout) as { stack: { name: string; evidence: string[] } };
    expect(report.stack).toEqual({ name: 'eni', evidence: ['running: ifupdown (/run/network/ifstate)'] });
  });
});
