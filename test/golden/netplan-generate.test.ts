/**
 * netplan itself reads every netplan golden case: `netplan generate --root-dir`
 * must accept the YAML, and what it generates for networkd is golden too
 * (test/golden/<case>/netplan-generate/run/...), so a change in our YAML shows
 * as a change in what networkd will be given. Needs netplan.io (installed by
 * test/lab/prereqs.sh when root; required under CI=true).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { makeRoot, readTree, removeRoot, writeTree } from '../helpers.js';
import { netplanGate, netplanGenerate } from '../netplan.js';

const HERE = 'test/golden';
const CASES = readdirSync(HERE).filter((d) => existsSync(join(HERE, d, 'drive')));
const update = process.env.UPDATE_GOLDEN === '1';

const gate = netplanGate();

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

describe.runIf(gate.run).each(CASES)('netplan generate on golden case %s', (name) => {
  it('accepts the YAML and generates the expected backend files', async () => {
    const root = makeRoot();
    roots.push(root);
    const { iface } = JSON.parse(readFileSync(join(HERE, name, 'case.json'), 'utf8')) as { iface: string[] };
    const report = await runApply({ configDrive: join(HERE, name, 'drive'), root, distro: 'debian', stack: 'netplan', iface, dryRun: false, probe: false, probeTimeoutMs: 0 });
    const r = netplanGenerate(root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The backend's files (networkd here; NetworkManager's if a renderer: said so); udev rules and units are netplan's own.
    const generated: Record<string, string> = {};
    for (const dir of ['/run/systemd/network', '/run/NetworkManager/system-connections']) {
      if (!existsSync(join(root, dir))) continue;
      for (const [p, text] of Object.entries(readTree(join(root, dir)))) generated[`${dir}${p}`] = text;
    }
    if (report.interfaces.length) expect(Object.keys(generated).some((p) => p.startsWith('/run/systemd/network/10-netplan-'))).toBe(true);
    const expectedDir = join(HERE, name, 'netplan-generate');
    if (update) writeTree(expectedDir, generated);
    expect(generated).toEqual(existsSync(expectedDir) ? readTree(expectedDir) : {});
  });
});
