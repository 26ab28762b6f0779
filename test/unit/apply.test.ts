/** The writer: atomic, backed up, confined to the root, idempotent, and silent under --dry-run. */
import { chownSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { previewFiles, writeFiles } from '../../agent/apply/write.js';
import { resolveInRoot } from '../../agent/apply/rootPath.js';
import { runApply, type ApplyOptions } from '../../agent/commands/apply.js';
import { makeRoot, readTree, removeRoot } from '../helpers.js';

let roots: string[] = [];
const root = (): string => {
  const r = makeRoot();
  roots.push(r);
  return r;
};
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

const file = (path: string, content: string, mode = 0o644) => ({ path, content, mode });

/** `apply --root ROOT --distro debian` on a golden case's drive, never probing. */
const renderOffline = (root: string, drive: string, over: Partial<ApplyOptions> = {}) =>
  runApply({ configDrive: `test/golden/${drive}/drive`, root, distro: 'debian', stack: 'eni', iface: [], dryRun: false, probe: false, probeTimeoutMs: 0, ...over });

describe('writing files', () => {
  it('creates files with the planned mode and reports them created', async () => {
    const r = root();
    const [res] = await writeFiles(r, [file('/etc/x.conf', 'a\n', 0o600)], 'T');
    expect(res!.status).toBe('created');
    expect(statSync(join(r, 'etc/x.conf')).mode & 0o777).toBe(0o600);
  });

  it('backs up a file it replaces, under /var/lib/v6agent/backup/<stamp>', async () => {
    const r = root();
    writeFileSync(join(r, 'etc/x.conf'), 'old\n');
    const [res] = await writeFiles(r, [file('/etc/x.conf', 'new\n')], 'T1');
    expect(res).toMatchObject({ status: 'changed', backup: '/var/lib/v6agent/backup/T1/etc/x.conf' });
    expect(readFileSync(join(r, 'var/lib/v6agent/backup/T1/etc/x.conf'), 'utf8')).toBe('old\n');
    expect(readFileSync(join(r, 'etc/x.conf'), 'utf8')).toBe('new\n');
  });

  it('writes nothing and backs up nothing when content and mode already match', async () => {
    const r = root();
    await writeFiles(r, [file('/etc/x.conf', 'a\n')], 'T1');
    const [res] = await writeFiles(r, [file('/etc/x.conf', 'a\n')], 'T2');
    expect(res!.status).toBe('unchanged');
    expect(existsSync(join(r, 'var/lib/v6agent/backup'))).toBe(false);
  });

  it('leaves no temp files behind', async () => {
    const r = root();
    await writeFiles(r, [file('/etc/a', '1\n'), file('/etc/b', '2\n')], 'T');
    expect(readdirSync(join(r, 'etc')).filter((n) => n.includes('v6agent'))).toEqual([]);
  });

  it('writes none of the files when one of them cannot be written', async () => {
    const r = root();
    mkdirSync(join(r, 'etc/blocked'));
    writeFileSync(join(r, 'etc/ro'), 'x');
    // A path through a regular file cannot be created: the whole plan must fail untouched.
    await expect(writeFiles(r, [file('/etc/a', '1\n'), file('/etc/ro/b', '2\n')], 'T')).rejects.toThrow(/nothing written/);
    expect(existsSync(join(r, 'etc/a'))).toBe(false);
  });

  it('previews a unified diff and writes nothing', async () => {
    const r = root();
    writeFileSync(join(r, 'etc/x.conf'), 'a\nb\n');
    const [res] = previewFiles(r, [file('/etc/x.conf', 'a\nc\n')]);
    expect(res!.diff).toBe('--- a/etc/x.conf\n+++ b/etc/x.conf\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
    expect(readFileSync(join(r, 'etc/x.conf'), 'utf8')).toBe('a\nb\n');
  });
});

describe('symlinks inside --root', () => {
  it('re-anchors an absolute symlink at the root instead of following it out', async () => {
    const r = root();
    mkdirSync(join(r, 'var/home'), { recursive: true });
    symlinkSync('/var/home', join(r, 'home'));
    expect(resolveInRoot(r, '/home/debian/.ssh/authorized_keys')).toBe(join(r, 'var/home/debian/.ssh/authorized_keys'));
  });

  it('never climbs above the root through ..', async () => {
    const r = root();
    symlinkSync('../../../../../../tmp', join(r, 'etc/escape'));
    expect(resolveInRoot(r, '/etc/escape/x')).toBe(join(r, 'tmp/x'));
  });

  it('writes a key file through a /home symlink into the image, not the host', async () => {
    const r = root();
    mkdirSync(join(r, 'var/home'), { recursive: true });
    symlinkSync('/var/home', join(r, 'home'));
    await renderOffline(r, 'v6only-slaac');
    expect(existsSync(join(r, 'var/home/debian/.ssh/authorized_keys'))).toBe(true);
  });
});

describe('apply', () => {
  it('--dry-run writes nothing and reports what it would change', async () => {
    const r = root();
    const report = await renderOffline(r, 'dual-slaac', { dryRun: true });
    expect(report.changed).toBe(true);
    expect(report.files.every((f) => f.diff)).toBe(true);
    expect(Object.keys(readTree(r))).toEqual(['/etc/passwd']);
  });

  it('--root changes no live sysctl and no host name', async () => {
    const report = await renderOffline(root(), 'dual-slaac');
    expect(report.sysctls).toEqual([]);
    expect(report.actions).toEqual([]);
  });

  it('keeps keys already in authorized_keys and appends the missing ones', async () => {
    const r = root();
    mkdirSync(join(r, 'home/debian/.ssh'), { recursive: true });
    writeFileSync(join(r, 'home/debian/.ssh/authorized_keys'), 'ssh-rsa AAAAmine me@home\n', { mode: 0o600 });
    // The user's own home, as in a real image (debian is uid 1000 in the fixture's passwd).
    for (const p of ['home/debian', 'home/debian/.ssh', 'home/debian/.ssh/authorized_keys']) chownSync(join(r, p), 1000, 1000);
    await renderOffline(r, 'dual-slaac');
    const text = readFileSync(join(r, 'home/debian/.ssh/authorized_keys'), 'utf8');
    expect(text.startsWith('ssh-rsa AAAAmine me@home\nssh-ed25519 ')).toBe(true);
  });

  it('adds the interfaces.d source line to an existing /etc/network/interfaces that lacks it', async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network'));
    writeFileSync(join(r, 'etc/network/interfaces'), 'auto lo\niface lo inet loopback\n');
    await renderOffline(r, 'dual-slaac');
    expect(readFileSync(join(r, 'etc/network/interfaces'), 'utf8')).toMatch(/^auto lo\niface lo inet loopback\n\n# Added by v6agent.*\nsource \/etc\/network\/interfaces\.d\/\*\n$/);
  });

  const CLOUD_INIT_ENI = '# This file is generated from information provided by the datasource.  Changes\n# to it will not persist across an instance reboot.\nauto eth0\niface eth0 inet dhcp\n\n# control-alias eth0\niface eth0 inet6 dhcp\n';

  it("backs up and removes cloud-init's ENI file for our interfaces, and stops cloud-init writing it again", async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network/interfaces.d'), { recursive: true });
    mkdirSync(join(r, 'etc/cloud/cloud.cfg.d'), { recursive: true });
    writeFileSync(join(r, 'etc/network/interfaces.d/50-cloud-init'), CLOUD_INIT_ENI);
    const report = await renderOffline(r, 'dual-slaac');
    const removed = report.files.find((f) => f.path === '/etc/network/interfaces.d/50-cloud-init');
    expect(removed).toMatchObject({ status: 'removed' });
    expect(existsSync(join(r, 'etc/network/interfaces.d/50-cloud-init'))).toBe(false);
    expect(readFileSync(join(r, 'var/lib/v6agent/backup', removed!.backup!.split('/backup/')[1]!), 'utf8')).toBe(CLOUD_INIT_ENI);
    expect(readFileSync(join(r, 'etc/cloud/cloud.cfg.d/99-v6agent-network.cfg'), 'utf8')).toMatch(/network:\n {2}config: disabled\n/);
    expect((await renderOffline(r, 'dual-slaac')).changed).toBe(false);
  });

  it('never follows a symlink in interfaces.d to a file it would remove', async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network/interfaces.d'), { recursive: true });
    mkdirSync(join(r, 'home/debian'), { recursive: true });
    writeFileSync(join(r, 'home/debian/notes'), CLOUD_INIT_ENI);
    symlinkSync('/home/debian/notes', join(r, 'etc/network/interfaces.d/50-cloud-init'));
    const report = await renderOffline(r, 'dual-slaac');
    expect(report.files.filter((f) => f.status === 'removed')).toEqual([]);
    expect(readFileSync(join(r, 'home/debian/notes'), 'utf8')).toBe(CLOUD_INIT_ENI);
  });

  it("reports, and keeps, an admin's own file that configures our interfaces", async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network/interfaces.d'), { recursive: true });
    writeFileSync(join(r, 'etc/network/interfaces.d/eth0'), 'iface eth0 inet6 static\n    address 2001:db8::9/64\n');
    const report = await renderOffline(r, 'dual-slaac');
    expect(report.warnings).toContainEqual({ where: '/etc/network/interfaces.d/eth0', message: 'also configures eth0; ifupdown will run both stanzas (remove them from this file)' });
    expect(existsSync(join(r, 'etc/network/interfaces.d/eth0'))).toBe(true);
  });

  it("leaves cloud-init's file alone when it configures none of our interfaces", async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network/interfaces.d'), { recursive: true });
    writeFileSync(join(r, 'etc/network/interfaces.d/50-cloud-init'), CLOUD_INIT_ENI.replace(/eth0/g, 'eth5'));
    const report = await renderOffline(r, 'dual-slaac');
    expect(report.files.some((f) => f.status === 'removed')).toBe(false);
  });

  it('routes DNS through systemd-resolved when it owns resolv.conf', async () => {
    const r = root();
    symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(r, 'etc/resolv.conf'));
    const report = await renderOffline(r, 'v6only-slaac');
    expect(readFileSync(join(r, 'etc/systemd/resolved.conf.d/60-v6agent.conf'), 'utf8')).toContain('DNS=2001:db8:53::53\n');
    expect(report.notes.join('\n')).toMatch(/systemd-resolved/);
  });
});
