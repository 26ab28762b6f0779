/**
 * `--root DIR --stack X` on a tree with no (or an unknown) os-release: the stack
 * says what to write, and the distro decides only the cloud user, so apply
 * renders for X and takes the distro from the cloud user in /etc/passwd (else
 * Debian), with a warning. Without --stack such a tree is still exit 3.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary, v6agent } from '../bin.js';
import { makeRoot, tempPerTest } from '../helpers.js';

const DRIVE = resolve('test/golden/dual-slaac/drive');
const MAC = 'fa:16:3e:5c:2a:7e=eth0';
const temp = tempPerTest();
beforeAll(requireBinary);

/** An image root whose /etc/passwd has root and `users` (uid 1000…), each with a home. */
function rootWith(users: string[]): string {
  const root = temp(makeRoot());
  const lines = ['root:x:0:0:root:/root:/bin/bash', ...users.map((u, i) => `${u}:x:${1000 + i}:${1000 + i}::/home/${u}:/bin/bash`)];
  writeFileSync(join(root, 'etc/passwd'), `${lines.join('\n')}\n`);
  users.forEach((u, i) => {
    mkdirSync(join(root, 'home', u), { recursive: true });
    chownSync(join(root, 'home', u), 1000 + i, 1000 + i);
  });
  return root;
}

const apply = (root: string, stack: string) => v6agent(['apply', '--config-drive', DRIVE, '--root', root, '--stack', stack, '--iface', MAC, '--json']);

describe('apply --root --stack on a tree without os-release', () => {
  it('renders for the given stack (netplan) and warns that the distro is taken as Debian', () => {
    const root = rootWith(['debian']);
    const r = apply(root, 'netplan');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.stack).toEqual({ name: 'netplan', evidence: ['--stack netplan'] });
    expect(report.distro).toBe('debian');
    expect(existsSync(join(root, 'etc/netplan/90-v6agent.yaml'))).toBe(true);
    expect(report.warnings).toContainEqual({ where: join(root, 'etc/os-release'), message: 'missing; taking the distro as debian (its cloud user debian is in /etc/passwd); pass --distro to choose' });
  });

  it('takes the distro whose cloud user the image has: rocky, and its keys go to rocky', () => {
    const root = rootWith(['rocky']);
    const r = apply(root, 'networkmanager');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.distro).toBe('rocky');
    expect(existsSync(join(root, 'etc/NetworkManager/system-connections/v6agent-eth0.nmconnection'))).toBe(true);
    expect(readFileSync(join(root, 'home/rocky/.ssh/authorized_keys'), 'utf8')).toMatch(/^ssh-/m);
  });

  it('with no cloud user in /etc/passwd, keys go to root and the warning says so', () => {
    const root = rootWith([]);
    const r = apply(root, 'eni');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).warnings.map((w: { message: string }) => w.message)).toContain("missing; taking the distro as debian (no distro's cloud user is in /etc/passwd, so SSH keys go to root); pass --distro to choose");
    expect(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toMatch(/^ssh-/m);
  });

  it('an os-release naming an unknown distro is treated the same, with a warning saying so', () => {
    const root = rootWith(['fedora']);
    writeFileSync(join(root, 'etc/os-release'), 'ID=arch\nNAME="Arch Linux"\n');
    const r = apply(root, 'networkd');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.distro).toBe('fedora');
    expect(report.warnings).toContainEqual({ where: join(root, 'etc/os-release'), message: 'names no distro v6agent knows; taking the distro as fedora (its cloud user fedora is in /etc/passwd); pass --distro to choose' });
  });

  it('--distro still wins, with no warning about os-release', () => {
    const root = rootWith(['debian']);
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', root, '--stack', 'eni', '--distro', 'ubuntu', '--iface', MAC, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.distro).toBe('ubuntu');
    expect(report.warnings.some((w: { where: string }) => w.where.endsWith('os-release'))).toBe(false);
  });

  it('without --stack the tree may be no image at all: exit 3, nothing written', () => {
    const root = rootWith(['debian']);
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', root, '--iface', MAC]);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(`v6agent: cannot tell the distro from ${join(root, 'etc/os-release')} (missing); pass --distro, or --stack to render without it\n`);
    expect(existsSync(join(root, 'etc/hostname'))).toBe(false);
  });
});
