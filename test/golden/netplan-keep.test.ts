/**
 * Live netplan carry-over: v6agent's own /etc/netplan/90-v6agent.yaml from an
 * earlier run (two NICs) meets a drive that describes only eth0 while eth1 is
 * still here. eth1's definition is written again byte for byte (golden:
 * test/golden/netplan-keep-present/90-v6agent.yaml), with a warning, and
 * netplan itself accepts the result and still generates eth1's networkd file.
 * As for ENI stanzas and NetworkManager profiles; under --root, or once the
 * NIC is gone, the definition goes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warnings } from '../../agent/errors.js';
import { interfaceNames, loadInstance, parseIfaceMappings } from '../../agent/load.js';
import { readTarget, type Target } from '../../agent/sources/target.js';
import { renderNetplan } from '../../distro/netplan.js';
import { NETPLAN_PATH } from '../../distro/netplanFiles.js';
import { netplanBlocks } from '../../distro/netplanKeep.js';
import { rootPerTest } from '../helpers.js';
import { netplanGate, netplanGenerate } from '../netplan.js';

const EARLIER = readFileSync('test/golden/two-nics/expected-netplan/etc/netplan/90-v6agent.yaml', 'utf8');
const GOLDEN = 'test/golden/netplan-keep-present/90-v6agent.yaml';
const update = process.env.UPDATE_GOLDEN === '1';
const gate = netplanGate();

const newRoot = rootPerTest();

/** A root whose netplan dir holds our earlier file; the target as apply reads it, with these live NICs. */
async function targetWith(previous: string, live: ReadonlySet<string> | undefined): Promise<Target> {
  const root = newRoot();
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  writeFileSync(join(root, NETPLAN_PATH), previous, { mode: 0o600 });
  const target = await readTarget(root, false, 'debian', 'netplan');
  return { ...target, live: live !== undefined, liveInterfaces: live };
}

/** The dual-slaac drive: one NIC, eth0 (fa:16:3e:5c:2a:7e). */
async function render(target: Target): Promise<{ yaml: string; warnings: Warnings }> {
  const warnings = new Warnings();
  const instance = await loadInstance('test/golden/dual-slaac/drive', interfaceNames(parseIfaceMappings(['fa:16:3e:5c:2a:7e=eth0']), { sysfs: false, fallback: true }), new Warnings());
  const plan = renderNetplan(instance, target, warnings);
  return { yaml: plan.files.find((f) => f.path === NETPLAN_PATH)!.content as string, warnings };
}

describe('netplan: an earlier definition of a NIC the drive no longer describes', () => {
  it('is kept byte for byte while the NIC is still here (live), with a warning', async () => {
    const { yaml, warnings } = await render(await targetWith(EARLIER, new Set(['lo', 'eth0', 'eth1'])));
    if (update) writeFileSync(GOLDEN, yaml);
    expect(yaml).toBe(readFileSync(GOLDEN, 'utf8'));
    const eth1 = netplanBlocks(EARLIER).find((b) => b.name === 'eth1')!;
    expect(yaml).toContain(`${eth1.lines.join('\n')}\n`);
    expect(warnings.list).toContainEqual({ where: NETPLAN_PATH, message: 'kept the earlier definition for eth1: the drive does not describe it, and the NIC is still here' });
  });

  it('a second run keeps it once, and writes the same file', async () => {
    const first = await render(await targetWith(EARLIER, new Set(['eth0', 'eth1'])));
    const second = await render(await targetWith(first.yaml, new Set(['eth0', 'eth1'])));
    expect(second.yaml).toBe(first.yaml);
  });

  it('is dropped once the NIC is gone', async () => {
    const { yaml, warnings } = await render(await targetWith(EARLIER, new Set(['lo', 'eth0'])));
    expect(netplanBlocks(yaml).map((b) => b.name)).toEqual(['eth0']);
    expect(warnings.list.some((w) => w.message.includes('eth1'))).toBe(false);
  });

  it('is dropped under --root, where no NIC is known', async () => {
    const { yaml } = await render(await targetWith(EARLIER, undefined));
    expect(netplanBlocks(yaml).map((b) => b.name)).toEqual(['eth0']);
  });

  it.runIf(gate.run)('netplan generate accepts the file and still configures the kept NIC', async () => {
    const target = await targetWith(EARLIER, new Set(['eth0', 'eth1']));
    writeFileSync(join(target.root, NETPLAN_PATH), (await render(target)).yaml, { mode: 0o600 });
    const r = netplanGenerate(target.root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const eth1 = join(target.root, 'run/systemd/network/10-netplan-eth1.network');
    expect(existsSync(eth1)).toBe(true);
    expect(readFileSync(eth1, 'utf8')).toMatch(/Address=2001:db8:40:1::10\/64/);
  });
});

describe('netplanBlocks', () => {
  it('reads the section, ID and interface of each definition of our template', () => {
    expect(netplanBlocks(EARLIER).map(({ section, id, name }) => ({ section, id, name }))).toEqual([
      { section: 'ethernets', id: 'eth0', name: 'eth0' },
      { section: 'ethernets', id: 'eth1', name: 'eth1' },
    ]);
  });

  it('names a definition by set-name over its ID, and reads quoted IDs and VLANs', () => {
    const text = ['network:', '  version: 2', '  ethernets:', '    "0-v6agent-eth0":', '      match:', '        macaddress: "fa:16:3e:5c:2a:7e"', '      set-name: "eth0"', '  vlans:', '    vlan100:', '      id: 100', '      link: 0-v6agent-eth0', ''].join('\n');
    expect(netplanBlocks(text).map(({ section, id, name, lines }) => ({ section, id, name, n: lines.length }))).toEqual([
      { section: 'ethernets', id: '0-v6agent-eth0', name: 'eth0', n: 4 },
      { section: 'vlans', id: 'vlan100', name: 'vlan100', n: 3 },
    ]);
  });
});
