/**
 * systemd-networkd itself parses every golden networkd file, ours and those
 * netplan generated from our YAML (VLAN and bond included, which this kernel
 * cannot create): started in a namespace of its
 * own on a case's files, it must log no complaint about any line of them and
 * must load every .netdev. Key names and values are thereby checked against
 * the networkd installed here (Debian 12: systemd 252).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { NAME_PREFIX, killNamespace } from './processes.js';
import { prepareRun, spawnNetworkd } from './networkd.js';
import { labGate } from './requirements.js';

const gate = labGate();
const HERE = 'test/golden';
// Ours, and what netplan generated from our YAML (test/golden/netplan-generate.test.ts).
const DIRS = ['expected-networkd/etc/systemd/network', 'netplan-generate/run/systemd/network'];
const CASES = readdirSync(HERE).flatMap((d) => DIRS.filter((sub) => existsSync(join(HERE, d, sub))).map((sub) => ({ name: d, dir: join(HERE, d, sub) })));
let serial = 0;

/** networkd's log from start until "Enumeration completed" (every file is parsed by then), at most 15 s. */
async function parseLog(dir: string): Promise<string> {
  const ns = `${NAME_PREFIX}${process.pid.toString(36)}xp${(serial++).toString(36)}g`;
  const run = mkdtempSync(join(tmpdir(), `${ns}-`));
  try {
    spawnSync('ip', ['netns', 'add', ns]);
    prepareRun(run);
    const child = spawnNetworkd(ns, run, join(process.cwd(), dir), ['ignore', 'pipe', 'pipe']);
    let log = '';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill(), 15_000);
      const take = (d: Buffer): void => {
        log += d.toString();
        if (log.includes('Enumeration completed\n')) child.kill();
      };
      child.stdout!.on('data', take);
      child.stderr!.on('data', take);
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return log;
  } finally {
    killNamespace(ns);
    rmSync(run, { recursive: true, force: true });
  }
}

describe.runIf(gate.run).concurrent.each(CASES)('systemd-networkd parses golden case $name ($dir)', ({ dir }) => {
  it('without a complaint, loading every netdev', async ({ expect }) => {
    const log = await parseLog(dir);
    expect(log).toContain('Enumeration completed');
    // netplan always writes [DHCP] UseMTU=true; with our fixed mtu networkd says it keeps the fixed one. That is the intent.
    const harmless = /: MTUBytes= in \[Link\] section and UseMTU= in \[DHCP\] section are set\. Disabling UseMTU=\.$/;
    expect(log.split('\n').filter((l) => l.startsWith('/etc/systemd/network/') && !(dir.includes('netplan-generate') && harmless.test(l)))).toEqual([]);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.netdev'))) {
      const netdev = f.replace(/^10-(v6agent|netplan)-/, '').replace(/\.netdev$/, '');
      expect(log).toMatch(new RegExp(`^${netdev.replace('.', '\\.')}: loaded "(vlan|bond)"$`, 'm'));
    }
  });
});
