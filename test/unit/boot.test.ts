/** The pure parts of install and apply --boot: per-instance filtering, unit parsing, udev settling. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../agent/plan/types.js';
import { bootPlan, INSTANCE_ID_PATH, parseInstanceId } from '../../agent/plan/perInstance.js';
import { enableLinks, installTargets } from '../../agent/commands/install.js';
import { unsettledNics } from '../../agent/sources/bootWait.js';

const PLAN: Plan = {
  files: [
    { path: '/etc/hostname', content: 'vm\n', mode: 0o644 },
    { path: '/etc/hosts', content: '127.0.1.1 vm\n', mode: 0o644 },
    { path: '/etc/network/interfaces.d/50-v6agent', content: 'auto eth0\n', mode: 0o644 },
    { path: '/etc/resolv.conf', content: 'nameserver 2001:db8::53\n', mode: 0o644 },
    { path: '/home/debian/.ssh/authorized_keys', content: 'ssh-ed25519 AAAA k\n', mode: 0o600 },
  ],
  removals: [],
  sysctls: [{ key: 'net.ipv6.conf.eth0.use_tempaddr', proc: 'net/ipv6/conf/eth0/use_tempaddr', value: '0' }],
  actions: [{ kind: 'set-hostname', hostname: 'vm' }],
  notes: [],
};

describe('once per instance (apply --boot)', () => {
  it('a new instance id gets everything, plus the id to remember it', () => {
    const { plan, newInstance } = bootPlan(PLAN, 'uuid-2', 'uuid-1');
    expect(newInstance).toBe(true);
    expect(plan.files.map((f) => f.path)).toEqual([...PLAN.files.map((f) => f.path), INSTANCE_ID_PATH]);
    expect(plan.files.at(-1)!.content).toBe('uuid-2\n');
    expect(plan.actions).toEqual(PLAN.actions);
  });

  it('the same instance keeps network, DNS and sysctls but leaves host name, hosts and SSH keys alone', () => {
    const { plan, newInstance } = bootPlan(PLAN, 'uuid-1', 'uuid-1');
    expect(newInstance).toBe(false);
    expect(plan.files.map((f) => f.path)).toEqual(['/etc/network/interfaces.d/50-v6agent', '/etc/resolv.conf']);
    expect(plan.sysctls).toEqual(PLAN.sysctls);
    expect(plan.actions).toEqual([]);
  });

  it('without a uuid every boot is treated as new, and no id is stored', () => {
    const { plan, newInstance } = bootPlan(PLAN, undefined, 'uuid-1');
    expect(newInstance).toBe(true);
    expect(plan.files.map((f) => f.path)).not.toContain(INSTANCE_ID_PATH);
  });

  it('reads a stored id with or without its newline; empty is none', () => {
    expect(parseInstanceId('uuid-1\n')).toBe('uuid-1');
    expect(parseInstanceId('  \n')).toBeUndefined();
    expect(parseInstanceId(undefined)).toBeUndefined();
  });
});

describe('install', () => {
  it('enables through WantedBy= and RequiredBy= as systemctl does', () => {
    const unit = '[Unit]\nWantedBy=ignored.target\n[Install]\nWantedBy=multi-user.target  network-pre.target\nRequiredBy=x.target\n';
    expect(installTargets(unit)).toEqual({ wants: ['multi-user.target', 'network-pre.target'], requires: ['x.target'] });
    expect(enableLinks(unit).map((l) => l.path)).toEqual([
      '/etc/systemd/system/multi-user.target.wants/v6agent.service',
      '/etc/systemd/system/network-pre.target.wants/v6agent.service',
      '/etc/systemd/system/x.target.requires/v6agent.service',
    ]);
  });
});

describe('waiting for udev at boot', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fake(nics: { name: string; index: number; processed: boolean; device?: boolean }[]): { net: string; udev: string } {
    dir = mkdtempSync(join(tmpdir(), 'v6agent-udev-'));
    const net = join(dir, 'sys/class/net');
    const udev = join(dir, 'run/udev');
    mkdirSync(join(udev, 'data'), { recursive: true });
    writeFileSync(join(udev, 'control'), '');
    for (const n of nics) {
      mkdirSync(join(net, n.name), { recursive: true });
      writeFileSync(join(net, n.name, 'ifindex'), `${n.index}\n`);
      if (n.device !== false) mkdirSync(join(net, n.name, 'device'));
      if (n.processed) writeFileSync(join(udev, 'data', `n${n.index}`), '');
    }
    return { net, udev };
  }

  it('names the NICs udev has not processed yet (no /run/udev/data/n<ifindex>), ignoring virtual links', () => {
    const { net, udev } = fake([
      { name: 'ens3', index: 2, processed: true },
      { name: 'eth1', index: 3, processed: false },
      { name: 'lo', index: 1, processed: false, device: false },
    ]);
    expect(unsettledNics(net, udev)).toEqual(['eth1']);
  });

  it('waits for nothing when udev is not running', () => {
    const { net, udev } = fake([{ name: 'eth1', index: 3, processed: false }]);
    rmSync(join(udev, 'control'));
    expect(unsettledNics(net, udev)).toEqual([]);
  });
});
