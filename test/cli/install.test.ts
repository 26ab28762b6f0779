/** `v6agent install` / `uninstall --root`: the built binary bakes itself and its unit into an image tree. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary, v6agent } from '../bin.js';
import { installTargets } from '../../agent/commands/install.js';

const UNIT = readFileSync('templates/v6agent.service', 'utf8');
const LINK = 'etc/systemd/system/multi-user.target.wants/v6agent.service';
const DROP_IN = 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg';

let temps: string[] = [];
function image(): string {
  const dir = mkdtempSync(join(tmpdir(), 'v6agent-install-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
  temps = [];
});
beforeAll(requireBinary);

function install(root: string, ...more: string[]): ReturnType<typeof v6agent> {
  const r = v6agent(['install', '--root', root, ...more]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r;
}

describe('v6agent install --root', () => {
  it('copies the running binary to /usr/local/sbin/v6agent, mode 0755', () => {
    const root = image();
    install(root);
    const placed = join(root, 'usr/local/sbin/v6agent');
    expect(statSync(placed).mode & 0o7777).toBe(0o755);
    expect(readFileSync(placed).equals(readFileSync(BIN))).toBe(true);
  });

  it('writes templates/v6agent.service and enables it with the WantedBy= symlink, as systemctl --root enable does', () => {
    const root = image();
    install(root);
    expect(readFileSync(join(root, 'etc/systemd/system/v6agent.service'), 'utf8')).toBe(UNIT);
    expect(lstatSync(join(root, LINK)).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(root, LINK))).toBe('/etc/systemd/system/v6agent.service');
  });

  it('changes nothing on a second run and says so', () => {
    const root = image();
    install(root);
    const again = install(root, '--json');
    const report = JSON.parse(again.stdout) as { changed: boolean; files: { status: string }[] };
    expect(report.changed).toBe(false);
    expect(report.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(install(root).stdout).toMatch(/nothing to change: already installed/);
  });

  it('--dry-run lists what it would place and writes nothing', () => {
    const root = image();
    const r = install(root, '--dry-run');
    expect(r.stdout).toMatch(/created\s+\/usr\/local\/sbin\/v6agent/);
    expect(r.stdout).toMatch(/would change 3 path\(s\)/);
    expect(existsSync(join(root, 'usr'))).toBe(false);
    expect(existsSync(join(root, 'etc'))).toBe(false);
  });

  it('disables cloud-init network configuration only where cloud-init is in the image', () => {
    const without = image();
    install(without);
    expect(existsSync(join(without, DROP_IN))).toBe(false);
    const withCloudInit = image();
    mkdirSync(join(withCloudInit, 'etc/cloud'), { recursive: true });
    install(withCloudInit);
    expect(readFileSync(join(withCloudInit, DROP_IN), 'utf8')).toMatch(/^network:\n {2}config: disabled\n$/m);
  });

  it('stays inside the root when the image has an absolute symlink on the way', () => {
    const root = image();
    mkdirSync(join(root, 'usr/local/bin-real'), { recursive: true });
    symlinkSync('/usr/local/bin-real', join(root, 'usr/local/sbin'));
    install(root);
    expect(statSync(join(root, 'usr/local/bin-real/v6agent')).isFile()).toBe(true);
  });

  it('refuses a --root that is not a directory, with exit 2', () => {
    const r = v6agent(['install', '--root', '/nonexistent/image']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('v6agent: --root /nonexistent/image: not a directory\n');
  });
});

describe('v6agent uninstall --root', () => {
  it('removes the binary, the unit, its link and the cloud-init drop-in, and keeps /var/lib/v6agent', () => {
    const root = image();
    mkdirSync(join(root, 'etc/cloud'), { recursive: true });
    mkdirSync(join(root, 'var/lib/v6agent'), { recursive: true });
    writeFileSync(join(root, 'var/lib/v6agent/instance-id'), 'a-uuid\n');
    install(root);
    const r = v6agent(['uninstall', '--root', root]);
    expect(r.status).toBe(0);
    for (const p of ['usr/local/sbin/v6agent', 'etc/systemd/system/v6agent.service', LINK, DROP_IN]) expect(existsSync(join(root, p))).toBe(false);
    expect(readFileSync(join(root, 'var/lib/v6agent/instance-id'), 'utf8')).toBe('a-uuid\n');
    expect(r.stdout).toMatch(/kept \/var\/lib\/v6agent/);
  });

  it('changes nothing when nothing is installed, and says so', () => {
    const r = v6agent(['uninstall', '--root', image()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/nothing to change: not installed/);
  });

  it('leaves a cloud-init drop-in the admin has edited', () => {
    const root = image();
    mkdirSync(join(root, 'etc/cloud'), { recursive: true });
    install(root);
    writeFileSync(join(root, DROP_IN), 'network: {config: disabled}\n# mine\n');
    const r = v6agent(['uninstall', '--root', root]);
    expect(r.status).toBe(0);
    expect(readFileSync(join(root, DROP_IN), 'utf8')).toMatch(/# mine/);
    expect(r.stdout).toMatch(/changed since v6agent wrote it: left in place/);
  });
});

describe('the boot unit', () => {
  const directive = (key: string): string[] =>
    UNIT.split('\n')
      .filter((l) => l.startsWith(`${key}=`))
      .flatMap((l) => l.slice(key.length + 1).split(/\s+/));

  it('runs once, before every network manager and cloud-init, after local file systems and udev', () => {
    expect(directive('Type')).toEqual(['oneshot']);
    expect(directive('RemainAfterExit')).toEqual(['yes']);
    expect(directive('DefaultDependencies')).toEqual(['no']);
    expect(directive('Wants')).toEqual(['network-pre.target']);
    expect(directive('Before')).toEqual(expect.arrayContaining(['network-pre.target', 'shutdown.target', 'cloud-init-local.service']));
    expect(directive('Conflicts')).toEqual(['shutdown.target']);
    expect(directive('After')).toEqual(expect.arrayContaining(['local-fs.target', 'systemd-udev-trigger.service']));
  });

  it('is bounded, can be disabled by a file or the kernel command line, and logs to journal and console', () => {
    expect(Number(directive('TimeoutStartSec')[0])).toBeGreaterThan(0);
    expect(directive('ConditionPathExists')).toEqual(['!/etc/v6agent/disabled']);
    expect(directive('ConditionKernelCommandLine')).toEqual(['!v6agent=disabled']);
    expect(directive('StandardOutput')).toEqual(['journal+console']);
    expect(directive('ExecStart')).toEqual(['/usr/local/sbin/v6agent', 'apply', '--boot']);
  });

  it('is wanted by multi-user.target', () => {
    expect(installTargets(UNIT)).toEqual({ wants: ['multi-user.target'], requires: [] });
  });

  /** An image tree with the units ours names (network-pre.target, systemd-udev-trigger.service, …), as a Debian image has them. */
  function systemdImage(ctx: { skip: () => void }): string | undefined {
    if (spawnSync('sh', ['-c', 'command -v systemd-analyze'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI === 'true') throw new Error('systemd-analyze is missing under CI (Debian package systemd)');
      console.log('systemd-analyze verify skipped: systemd-analyze is not installed');
      ctx.skip();
      return undefined;
    }
    const root = image();
    for (const dir of ['/usr/lib/systemd/system', '/lib/systemd/system']) {
      if (existsSync(dir)) cpSync(dir, join(root, dir), { recursive: true, verbatimSymlinks: true });
    }
    return root;
  }

  function verify(root: string, ...units: string[]): ReturnType<typeof spawnSync> {
    return spawnSync('systemd-analyze', ['verify', '--man=no', '--recursive-errors=yes', `--root=${root}`, ...units], { encoding: 'utf8' });
  }

  it('passes systemd-analyze verify on the installed tree with nothing on stderr', (ctx) => {
    const root = systemdImage(ctx);
    if (!root) return;
    install(root);
    const r = verify(root, 'v6agent.service');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("passes systemd-analyze verify beside Debian 12's cloud-init-local.service: ordered before it, no cycle", (ctx) => {
    const root = systemdImage(ctx);
    if (!root) return;
    // cloud-init 22.4.2-1+deb12u4's unit (test/fixtures/systemd), Before=sysinit.target: ours must not create a cycle.
    mkdirSync(join(root, 'etc/cloud'), { recursive: true });
    mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
    cpSync('test/fixtures/systemd/cloud-init-local.service', join(root, 'usr/lib/systemd/system/cloud-init-local.service'));
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/cloud-init'), '#!/bin/sh\n', { mode: 0o755 });
    install(root);
    const r = verify(root, 'v6agent.service', 'cloud-init-local.service');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
