/**
 * The .deb packages: metadata, file list and modes, the binary of their own
 * architecture; installed with dpkg into an empty root (maintainer scripts run
 * chrootless with DPKG_ROOT, as for an image being built, so deb-systemd-helper
 * makes the links itself) they enable the unit; removed, the unit goes and
 * /var/lib/v6agent stays.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gate } from './requirements.js';
import { ARCHES, VERSION, debFile, expectedUnit, installedTree, requirePackages, run, sha256 } from './packages.js';

const dpkg = gate('.deb tests', { commands: ['dpkg', 'dpkg-deb', 'deb-systemd-helper'], root: true });
const WANTS = '/etc/systemd/system/multi-user.target.wants/v6agent.service';
const roots: string[] = [];

beforeAll(requirePackages);
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** An empty root with a dpkg database of its own. */
function emptyRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'v6agent-deb-'));
  roots.push(root);
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg/updates'));
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  return root;
}

const dpkgIn = (root: string, ...args: string[]): string =>
  run('dpkg', [`--root=${root}`, '--force-script-chrootless', '--force-architecture', '--log=/dev/null', ...args]);

function fileInDeb(deb: string, path: string): Buffer {
  return execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"', 'sh', deb, `.${path}`], { maxBuffer: 512 << 20 });
}

describe.runIf(dpkg.run).each(ARCHES)('the $deb .deb', (a) => {
  const deb = debFile(a);

  it('declares maintainer, description and architecture, and no relationships to other packages', () => {
    const control = run('dpkg-deb', ['-f', deb]);
    const fields = Object.fromEntries([...control.matchAll(/^([\w-]+): (.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(fields).toMatchObject({ Package: 'v6agent', Version: VERSION, Architecture: a.deb, Section: 'admin', Priority: 'optional' });
    expect(fields.Maintainer).toMatch(/^.+ <[^@\s]+@[^@\s]+>$/);
    expect(fields.Description).toMatch(/IPv6/);
    expect(control).toMatch(/^Description: .+\n( .+\n)+/m);
    for (const f of ['Depends', 'Pre-Depends', 'Recommends', 'Conflicts', 'Breaks', 'Replaces', 'Provides']) expect(fields).not.toHaveProperty(f);
  });

  it('ships the binary, the unit, the man page, README, changelog and copyright with their modes, owned by root', () => {
    const listing = run('dpkg-deb', ['-c', deb]).trim().split('\n').filter((l) => !l.startsWith('d')).map((l) => {
      const [perms, owner, , , , path] = l.split(/\s+/);
      return `${perms} ${owner} ${path}`;
    });
    expect(listing.sort()).toEqual([
      '-rw-r--r-- root/root ./lib/systemd/system/v6agent.service',
      '-rw-r--r-- root/root ./usr/share/doc/v6agent/README.md.gz',
      '-rw-r--r-- root/root ./usr/share/doc/v6agent/changelog.gz',
      '-rw-r--r-- root/root ./usr/share/doc/v6agent/copyright',
      '-rw-r--r-- root/root ./usr/share/lintian/overrides/v6agent',
      '-rw-r--r-- root/root ./usr/share/man/man8/v6agent.8.gz',
      '-rwxr-xr-x root/root ./usr/sbin/v6agent',
    ]);
  });

  it(`carries the ${a.arch} binary npm run build made`, () => {
    expect(createHash('sha256').update(fileInDeb(deb, '/usr/sbin/v6agent')).digest('hex')).toBe(sha256(a.binary));
  });

  it('runs the unit from /usr/sbin/v6agent and leaves the rest of the template as it is', () => {
    const unit = fileInDeb(deb, '/lib/systemd/system/v6agent.service').toString('utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/sbin\/v6agent /m);
    expect(unit).toBe(expectedUnit());
  });

  it('has a man page generated from --help, and the Apache-2.0 licence in its copyright', () => {
    const man = execFileSync('gzip', ['-dc'], { input: fileInDeb(deb, '/usr/share/man/man8/v6agent.8.gz') }).toString('utf8');
    expect(man.split('\n').find((l) => l.startsWith('.TH'))).toMatch(new RegExp(`^\\.TH V6AGENT 8 "\\d{4}-\\d\\d-\\d\\d" "v6agent ${VERSION}"`));
    for (const command of ['apply', 'ra', 'metadata']) expect(man).toContain(`.SS "v6agent ${command}"`);
    expect(man).toContain('\\-\\-config\\-drive');
    const copyright = fileInDeb(deb, '/usr/share/doc/v6agent/copyright').toString('utf8');
    expect(copyright).toMatch(/License: Apache-2\.0[\s\S]*\/usr\/share\/common-licenses\/Apache-2\.0/);
  });

  describe('installed with dpkg into an empty root', () => {
    let root = '';
    beforeAll(() => {
      root = emptyRoot();
      dpkgIn(root, '-i', deb);
    });

    it('puts the binary at /usr/sbin/v6agent and the unit in /lib/systemd/system, enabled for multi-user.target', () => {
      expect(installedTree(root)).toEqual({
        '/lib/systemd/system/v6agent.service': '0644',
        '/usr/sbin/v6agent': '0755',
        '/usr/share/doc/v6agent/README.md.gz': '0644',
        '/usr/share/doc/v6agent/changelog.gz': '0644',
        '/usr/share/doc/v6agent/copyright': '0644',
        '/usr/share/lintian/overrides/v6agent': '0644',
        '/usr/share/man/man8/v6agent.8.gz': '0644',
        [WANTS]: '-> /lib/systemd/system/v6agent.service',
        '/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/v6agent.service': '0644',
        '/var/lib/systemd/deb-systemd-helper-enabled/v6agent.service.dsh-also': '0644',
      });
      expect(sha256(join(root, 'usr/sbin/v6agent'))).toBe(sha256(a.binary));
    });

    it('on remove takes the binary and the unit away, masks the unit, and keeps /var/lib/v6agent', () => {
      mkdirSync(join(root, 'var/lib/v6agent/backup/20261130T000000Z/etc'), { recursive: true });
      writeFileSync(join(root, 'var/lib/v6agent/backup/20261130T000000Z/etc/hostname'), 'image\n');
      dpkgIn(root, '-r', 'v6agent');
      const tree = installedTree(root);
      expect(tree).not.toHaveProperty('/usr/sbin/v6agent');
      expect(tree).not.toHaveProperty('/lib/systemd/system/v6agent.service');
      expect(tree['/etc/systemd/system/v6agent.service']).toBe('-> /dev/null');
      expect(readFileSync(join(root, 'var/lib/v6agent/backup/20261130T000000Z/etc/hostname'), 'utf8')).toBe('image\n');
    });

    it('on purge leaves no trace of the unit in /etc and still keeps /var/lib/v6agent', () => {
      dpkgIn(root, '--purge', 'v6agent');
      expect(installedTree(root)).toEqual({ '/var/lib/v6agent/backup/20261130T000000Z/etc/hostname': '0644' });
    });
  });

  it("keeps an administrator's disable when the package is installed again", () => {
    const root = emptyRoot();
    dpkgIn(root, '-i', deb);
    run('systemctl', [`--root=${root}`, 'disable', 'v6agent.service']);
    expect(installedTree(root)).not.toHaveProperty(WANTS);
    dpkgIn(root, '-i', deb);
    expect(installedTree(root)).not.toHaveProperty(WANTS);
    expect(installedTree(root)).toHaveProperty('/usr/sbin/v6agent', '0755');
  });
});
