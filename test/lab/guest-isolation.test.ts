/**
 * The lab guest neither depends on nor touches the host: its /etc is the tree
 * the lab seeds (test/lab/seed.ts), not the host's, and what a guest command
 * writes to /etc, /root or /home lands in the lab's own directory.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { Lab } from './lab.js';
import { labGate } from './requirements.js';

const gate = labGate();

async function guest({ onTestFinished }: TestContext, mac: string): Promise<Lab> {
  const lab = await Lab.create({ mode: 'none', ipv4: false, guestMac: mac });
  onTestFinished(() => lab.destroy());
  return lab;
}

describe.runIf(gate.run).concurrent('the lab guest', () => {
  it("sees the lab's seeded /etc and nothing of the host's", async (context) => {
    const lab = await guest(context, 'fa:16:3e:5c:f0:01');
    const { stdout } = await lab.inGuest(['ls', '-A', '/etc']);
    context.expect(stdout.split('\n').filter(Boolean).sort()).toEqual(readdirSync(join(lab.guestRoot, 'etc')).sort());
    context.expect((await lab.inGuest(['cat', '/etc/os-release'])).stdout).toBe(lab.guestFile('etc/os-release'));
  });

  it('writes /etc, /root and /home into the lab, never the host', async (context) => {
    const lab = await guest(context, 'fa:16:3e:5c:f0:02');
    const name = `v6agent-lab-probe-${process.pid}-${Date.now()}`;
    const paths = ['/etc', '/root', '/home'].map((d) => `${d}/${name}`);
    await lab.inGuest(['touch', ...paths]);
    for (const p of paths) {
      context.expect(existsSync(join(lab.guestRoot, p)), p).toBe(true);
      context.expect(existsSync(p), `host ${p}`).toBe(false);
    }
  });
});
