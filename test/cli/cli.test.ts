/** The command line, run as users run it: the built binary, as a process. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary, v6agent } from '../bin.js';
import { copyDrive, editJson, writeDriveFile } from '../drives.js';
import { makeRoot } from '../helpers.js';

const DRIVE = resolve('test/golden/dual-slaac/drive');
let temps: string[] = [];
const temp = (dir: string): string => (temps.push(dir), dir);
afterEach(() => {
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
  temps = [];
});
beforeAll(requireBinary);

/** 32 distinct bytes per i, base64: a distinct ed25519-shaped key blob. */
const keyBlob = (i: number): string => {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(i);
  return b.toString('base64');
};

describe('v6agent binary', () => {
  it('prints its version', () => {
    const r = v6agent(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+ \(commit ([0-9a-f]{40}(-dirty)?|unknown)\)\n$/);
  });

  it('shows examples and exit codes in --help', () => {
    const r = v6agent(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 failure, 2 usage error, 3 bad or missing input/);
  });

  it('shows examples in each command help', () => {
    for (const cmd of ['apply', 'metadata', 'install', 'uninstall']) expect(v6agent([cmd, '--help']).stdout).toMatch(/Examples:/);
  });

  it('exits 2 on an unknown option', () => {
    const r = v6agent(['apply', '--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('exits 2 when --boot is combined with --root or --dry-run: the boot path only configures this system', () => {
    const r = v6agent(['apply', '--boot', '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('v6agent: --boot configures this system at boot: it cannot be combined with --root or --dry-run\n');
  });

  it('exits 2 on an unknown distro', () => {
    expect(v6agent(['apply', '--distro', 'arch']).status).toBe(2);
  });

  it('exits 2 on a malformed --iface', () => {
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', temp(makeRoot()), '--distro', 'debian', '--stack', 'eni', '--iface', 'eth0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('v6agent: --iface eth0: expected MAC=NAME, e.g. fa:16:3e:11:22:33=eth0\n');
  });

  it('exits 2 when --iface gives one name to two MACs, or two names to one MAC, and writes nothing', () => {
    const root = temp(makeRoot());
    const base = ['apply', '--config-drive', DRIVE, '--root', root, '--distro', 'debian', '--stack', 'eni'];
    const twoMacs = v6agent([...base, '--iface', 'fa:16:3e:5c:2a:7e=eth0', '--iface', 'fa:16:3e:11:22:33=eth0']);
    expect(twoMacs.status).toBe(2);
    expect(twoMacs.stderr).toBe('v6agent: --iface fa:16:3e:11:22:33=eth0: eth0 is already the name of fa:16:3e:5c:2a:7e\n');
    const twoNames = v6agent([...base, '--iface', 'fa:16:3e:5c:2a:7e=eth0', '--iface', 'FA:16:3E:5C:2A:7E=eth1']);
    expect(twoNames.status).toBe(2);
    expect(twoNames.stderr).toBe('v6agent: --iface FA:16:3E:5C:2A:7E=eth1: fa:16:3e:5c:2a:7e is already named eth0\n');
    expect(readdirSync(join(root, 'etc'))).toEqual(['passwd']);
  });

  it('exits 3 with one line, no stack trace, on a missing drive', () => {
    const r = v6agent(['apply', '--config-drive', '/nonexistent', '--root', temp(makeRoot()), '--distro', 'debian', '--stack', 'eni']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('v6agent: --config-drive /nonexistent: not a directory\n');
  });

  it('exits 3 naming the file on invalid JSON', () => {
    const d = temp(copyDrive('dual-slaac'));
    writeDriveFile(d, 'network_data.json', '{');
    const r = v6agent(['apply', '--config-drive', d, '--root', temp(makeRoot()), '--distro', 'debian', '--stack', 'eni']);
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/network_data\.json: is not valid JSON/);
  });

  it('exits 3 when the distro cannot be detected', () => {
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', temp(makeRoot())]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cannot tell the distro from .*os-release \(missing\); pass --distro/);
  });

  it('exits 3 naming what it looked for when the root has no network stack', () => {
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', temp(makeRoot()), '--distro', 'debian']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no network stack found in .*: looked for netplan .*\/etc\/netplan\/\*\.yaml.*Pass --stack/);
  });

  it('detects the distro from the root os-release', () => {
    const root = temp(makeRoot());
    writeFileSync(join(root, 'etc/os-release'), 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n');
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', root, '--stack', 'ifcfg', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).distro).toBe('rocky');
  });

  it('reports changes as JSON, then "unchanged" on a second run', () => {
    const root = temp(makeRoot());
    const args = ['apply', '--config-drive', DRIVE, '--root', root, '--distro', 'debian', '--stack', 'eni', '--iface', 'fa:16:3e:5c:2a:7e=eth0', '--json'];
    const first = JSON.parse(v6agent(args).stdout);
    expect(first.changed).toBe(true);
    expect(first.files.map((f: { status: string }) => f.status)).toContain('created');
    const second = v6agent(args.slice(0, -1));
    expect(second.stdout).toMatch(/nothing to change: everything is already as planned/);
  });

  it('prints diffs with --dry-run and writes nothing', () => {
    const root = temp(makeRoot());
    const r = v6agent(['apply', '--config-drive', DRIVE, '--root', root, '--distro', 'rhel', '--stack', 'ifcfg', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\+\+\+ b\/etc\/sysconfig\/network-scripts\/ifcfg-eth0/);
    expect(readdirSync(join(root, 'etc'))).toEqual(['passwd']);
  });

  it('prints the normalized instance with metadata --json', () => {
    const r = v6agent(['metadata', '--config-drive', DRIVE, '--json']);
    const m = JSON.parse(r.stdout);
    expect(m.hostname).toBe('demo');
    expect(m.interfaces[0].ipv6).toMatchObject({ mode: 'slaac', dhcpv6: 'none', expectedRaFlags: { autonomous: true, managed: false, other: false } });
  });

  // These fail before any socket is opened: no packet leaves this machine.
  it('exits 2 on a bad ra --timeout', () => {
    const r = v6agent(['ra', '--timeout', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('v6agent: --timeout 0: give seconds, more than 0 and at most 60\n');
  });

  it('exits 2 on an ra argument that is not an interface name', () => {
    expect(v6agent(['ra', '../etc']).status).toBe(2);
  });

  it('exits 3 on an interface that does not exist', () => {
    const r = v6agent(['ra', 'nosuch0']);
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('v6agent: nosuch0: no such interface with IPv6\n');
  });

  it('exits 0 with nothing on stderr when its reader closes the pipe before a >64 KiB report is written', () => {
    // 2,000 keys make `metadata --json` ~250 KiB: far past the 64 KiB pipe buffer, so writes really hit EPIPE.
    const d = temp(copyDrive('dual-slaac'));
    editJson(d, 'meta_data.json', (m) => {
      m.public_keys = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${keyBlob(i)} key${i}@example.org`]));
    });
    const args = `metadata --config-drive "${d}" --iface fa:16:3e:5c:2a:7e=eth0 --json`;
    expect(v6agent(['metadata', '--config-drive', d, '--iface', 'fa:16:3e:5c:2a:7e=eth0', '--json']).stdout.length).toBeGreaterThan(2 * 65536);
    // `read -r` takes one line and exits, closing the pipe; PIPESTATUS[0] is v6agent's own exit code.
    const r = spawnSync('bash', ['-c', `"${BIN}" ${args} 2>"${d}/stderr" | { read -r line; }; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout).toBe('0\n');
    expect(readFileSync(join(d, 'stderr'), 'utf8')).toBe('');
  });
});

describe('self-contained', () => {
  it('runs alone in an empty directory with an empty environment and leaves nothing behind', () => {
    const dir = temp(mkdtempSync(join(tmpdir(), 'v6agent-alone-')));
    copyFileSync(BIN, join(dir, 'v6agent'));
    const alone = (args: string[]) => spawnSync('./v6agent', args, { cwd: dir, env: {}, encoding: 'utf8' });
    expect(alone(['--version']).status).toBe(0);
    expect(alone(['--help']).status).toBe(0);
    const root = temp(makeRoot());
    const r = alone(['apply', '--config-drive', DRIVE, '--root', root, '--distro', 'debian', '--stack', 'eni']);
    expect(r.status).toBe(0);
    expect(readdirSync(join(root, 'etc/network/interfaces.d'))).toEqual(['50-v6agent']);
    expect(readdirSync(dir)).toEqual(['v6agent']);
  });

  it('needs no node on PATH', () => {
    const dir = temp(mkdtempSync(join(tmpdir(), 'v6agent-alone-')));
    copyFileSync(BIN, join(dir, 'v6agent'));
    const r = spawnSync(join(dir, 'v6agent'), ['--version'], { env: { PATH: dir }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: dir } }).status).not.toBe(0);
  });
});
