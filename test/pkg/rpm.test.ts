/**
 * The .rpm packages: metadata with no Requires beyond the scriptlets' shell,
 * the file list and modes; `rpm -i --root` into a small root (its scriptlets
 * chrooted there, as in an image build) enables the unit through its preset,
 * an administrator's preset that disables it wins, and `rpm -e` removes the
 * unit and its link and keeps /var/lib/v6agent.
 */
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isScaffolding, scriptletRoot } from './chroot.js';
import { gate } from './requirements.js';
import { ARCHES, VERSION, expectedUnit, installedTree, requirePackages, rpmFile, run, sha256 } from './packages.js';

const rpm = gate('.rpm tests', { commands: ['rpm', 'ldd', 'mknod', 'systemctl'], root: true });
const WANTS = '/etc/systemd/system/multi-user.target.wants/v6agent.service';
const roots: string[] = [];

beforeAll(requirePackages);
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function root(): string {
  const r = scriptletRoot();
  roots.push(r);
  run('rpm', ['--root', r, '--initdb']);
  return r;
}

// Debian's rpm warns that alien is preferred; --ignorearch lets this x86-64 host hold an aarch64 root's files.
const rpmInstall = (r: string, file: string): string => run('rpm', ['--root', r, '--ignorearch', '--nodeps', '-i', file]);
const rpmErase = (r: string): string => run('rpm', ['--root', r, '--nodeps', '-e', 'v6agent']);

/** What the package put in the root: everything except the scaffolding and rpm's database. */
// Debian's rpm keeps its database in ~/.rpmdb (`rpm -E %_dbpath`), Fedora's in /usr/lib/sysimage/rpm.
const RPMDB = ['/var/lib/rpm', '/usr/lib/sysimage', '/root/.rpmdb'];
const packaged = (r: string): Record<string, string> => Object.fromEntries(Object.entries(installedTree(r, RPMDB)).filter(([p]) => !isScaffolding(p)));

describe.runIf(rpm.run).each(ARCHES)('the $rpm .rpm', (a) => {
  const file = rpmFile(a);
  const query = (format: string): string => run('rpm', ['-qp', '--qf', format, file]);

  it('declares name, version, architecture, licence, packager and summary', () => {
    expect(query('%{NAME} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE}')).toBe(`v6agent ${VERSION}-1 ${a.rpm} Apache-2.0`);
    expect(query('%{PACKAGER}')).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
    expect(query('%{SUMMARY}\n%{DESCRIPTION}')).toMatch(/IPv6/);
  });

  it('requires nothing but the shell its scriptlets run in, and conflicts with nothing', () => {
    const requires = run('rpm', ['-qpR', file]).trim().split('\n').filter((r) => !r.startsWith('rpmlib('));
    expect([...new Set(requires)]).toEqual(['/bin/sh']);
    expect(run('rpm', ['-qp', '--conflicts', '--obsoletes', file]).trim()).toBe('');
  });

  it('lists the binary, the unit, its preset, the man page, README and licences with their modes', () => {
    const files = query('[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\\n]').trim().split('\n').sort();
    expect(files).toEqual([
      '-rw-r--r-- root:root /usr/lib/systemd/system-preset/80-v6agent.preset',
      '-rw-r--r-- root:root /usr/lib/systemd/system/v6agent.service',
      '-rw-r--r-- root:root /usr/share/doc/v6agent/README.md',
      '-rw-r--r-- root:root /usr/share/licenses/v6agent/LICENSE',
      '-rw-r--r-- root:root /usr/share/licenses/v6agent/THIRD-PARTY-LICENSES',
      '-rw-r--r-- root:root /usr/share/man/man8/v6agent.8.gz',
      '-rwxr-xr-x root:root /usr/sbin/v6agent',
      'drwxr-xr-x root:root /usr/share/doc/v6agent',
      'drwxr-xr-x root:root /usr/share/licenses/v6agent',
    ]);
  });

  describe('installed with rpm -i --root', () => {
    let r = '';
    beforeAll(() => {
      r = root();
      rpmInstall(r, file);
    });

    it('puts the binary at /usr/sbin/v6agent and the unit in /usr/lib/systemd/system, enabled by its preset', () => {
      expect(packaged(r)).toEqual({
        '/usr/sbin/v6agent': '0755',
        '/usr/lib/systemd/system/v6agent.service': '0644',
        '/usr/lib/systemd/system-preset/80-v6agent.preset': '0644',
        '/usr/share/doc/v6agent/README.md': '0644',
        '/usr/share/licenses/v6agent/LICENSE': '0644',
        '/usr/share/licenses/v6agent/THIRD-PARTY-LICENSES': '0644',
        '/usr/share/man/man8/v6agent.8.gz': '0644',
        [WANTS]: '-> /usr/lib/systemd/system/v6agent.service',
      });
      expect(sha256(join(r, 'usr/sbin/v6agent'))).toBe(sha256(a.binary));
      expect(readFileSync(join(r, 'usr/lib/systemd/system/v6agent.service'), 'utf8')).toBe(expectedUnit());
    });

    it('on rpm -e removes the unit and its link and keeps /var/lib/v6agent', () => {
      mkdirSync(join(r, 'var/lib/v6agent/backup/20261130T000000Z/etc'), { recursive: true });
      writeFileSync(join(r, 'var/lib/v6agent/backup/20261130T000000Z/etc/hostname'), 'image\n');
      rpmErase(r);
      expect(packaged(r)).toEqual({ '/var/lib/v6agent/backup/20261130T000000Z/etc/hostname': '0644' });
    });
  });

  it("leaves the unit disabled where the administrator's preset says so", () => {
    const r = root();
    mkdirSync(join(r, 'etc/systemd/system-preset'), { recursive: true });
    writeFileSync(join(r, 'etc/systemd/system-preset/10-local.preset'), 'disable v6agent.service\n');
    rpmInstall(r, file);
    const tree = packaged(r);
    expect(tree).toHaveProperty('/usr/sbin/v6agent', '0755');
    expect(tree).not.toHaveProperty(WANTS);
  });
});
