/** The dhclient enter hook (distro/dhclient.ts): written where it is needed, and it stands down when resolv.conf is not ours. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { DHCLIENT_HOOK } from '../../distro/dhclient.js';
import { makeRoot, removeRoot } from '../helpers.js';

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

async function render(drive: string, prepare?: (root: string) => void, distro = 'debian'): Promise<string> {
  const root = makeRoot();
  roots.push(root);
  prepare?.(root);
  await runApply({ configDrive: `test/golden/${drive}/drive`, root, distro, stack: distro === 'debian' ? 'eni' : 'ifcfg', iface: [], dryRun: false, probe: false, probeTimeoutMs: 0 });
  return root;
}

/** Source the hook as dhclient-script does, after its own make_resolv_conf, with /etc/resolv.conf at `resolv`. */
function sourced(hook: string, resolv: string): string {
  const script = `make_resolv_conf() { echo dhclient-writes; }\n${hook.replaceAll('/etc/resolv.conf', resolv)}\nmake_resolv_conf\n`;
  return spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout;
}

describe('dhclient enter hook', () => {
  it('is written beside our resolv.conf where ifup starts dhclient, and tests for its first line', async () => {
    const root = await render('dual-slaac');
    const hook = readFileSync(join(root, DHCLIENT_HOOK), 'utf8');
    const firstLine = readFileSync(join(root, 'etc/resolv.conf'), 'utf8').split('\n')[0]!;
    expect(hook).toContain(`grep -qxF '${firstLine}' /etc/resolv.conf`);
  });

  it('keeps dhclient from writing while resolv.conf is ours, and lets it write once it is not', async () => {
    const root = await render('dual-slaac');
    const hook = readFileSync(join(root, DHCLIENT_HOOK), 'utf8');
    expect(sourced(hook, join(root, 'etc/resolv.conf'))).toBe('');
    writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 192.0.2.99\n');
    expect(sourced(hook, join(root, 'etc/resolv.conf'))).toBe('dhclient-writes\n');
    expect(sourced(hook, join(root, 'etc/no-such-file'))).toBe('dhclient-writes\n');
  });

  it('is not written where no dhclient runs (SLAAC, IPv6-only)', async () => {
    expect(existsSync(join(await render('v6only-slaac'), DHCLIENT_HOOK))).toBe(false);
  });

  it('is not written where a resolver owns resolv.conf, nor for ifcfg', async () => {
    const resolved = await render('dual-slaac', (r) => symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(r, 'etc/resolv.conf')));
    expect(existsSync(join(resolved, DHCLIENT_HOOK))).toBe(false);
    const resolvconf = await render('dual-slaac', (r) => {
      mkdirSync(join(r, 'run/resolvconf'), { recursive: true });
      symlinkSync('../run/resolvconf/resolv.conf', join(r, 'etc/resolv.conf'));
    });
    expect(existsSync(join(resolvconf, DHCLIENT_HOOK))).toBe(false);
    expect(existsSync(join(await render('dual-slaac', undefined, 'rhel'), DHCLIENT_HOOK))).toBe(false);
  });
});
