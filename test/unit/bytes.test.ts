/**
 * Bytes in, bytes out: files v6agent builds on are read as bytes and kept byte
 * for byte, whatever their encoding; one it cannot read is an error naming it,
 * never "absent"; backups are byte-exact with the original mode and owner.
 */
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { ifupdownReads } from '../../agent/sources/target.js';
import { makeRoot, removeRoot } from '../helpers.js';

let roots: string[] = [];
const root = (): string => {
  const r = makeRoot();
  roots.push(r);
  mkdirSync(join(r, 'etc/network/interfaces.d'), { recursive: true });
  return r;
};
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

const apply = (r: string, dryRun = false) => runApply({ configDrive: 'test/golden/dual-slaac/drive', root: r, distro: 'debian', stack: 'eni', iface: [], dryRun, probe: false, probeTimeoutMs: 0 });
/** "# café" in latin-1: é is the single byte 0xe9, not valid UTF-8. */
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh6FQ1ed0rtK3FY0ZFQVbJPoJT3hbULaAcO0e7G1Y6b demo@laptop';

describe('files v6agent builds on keep every byte', () => {
  it('an /etc/network/interfaces with a latin-1 comment keeps every byte; the source line is appended', async () => {
    const r = root();
    const admin = latin1('# café de l’admin\nauto lo\niface lo inet loopback\n'.replace('’', "'"));
    writeFileSync(join(r, 'etc/network/interfaces'), admin);
    await apply(r);
    const after = readFileSync(join(r, 'etc/network/interfaces'));
    expect(after.subarray(0, admin.length).equals(admin)).toBe(true);
    expect(after.subarray(admin.length).toString()).toBe('\n# Added by v6agent: its interfaces are in interfaces.d.\nsource /etc/network/interfaces.d/*\n');
  });

  it('an /etc/network/interfaces in latin-1 that already sources interfaces.d is left exactly as it is', async () => {
    const r = root();
    const admin = latin1('# réseau\nsource /etc/network/interfaces.d/*\n');
    writeFileSync(join(r, 'etc/network/interfaces'), admin);
    const report = await apply(r);
    expect(readFileSync(join(r, 'etc/network/interfaces')).equals(admin)).toBe(true);
    expect(report.files.find((f) => f.path === '/etc/network/interfaces')).toBeUndefined();
  });

  it("an authorized_keys with a latin-1 comment keeps the admin's keys byte for byte; the new key is appended", async () => {
    const r = root();
    mkdirSync(join(r, 'home/debian/.ssh'), { recursive: true, mode: 0o700 });
    const admin = latin1('# clé de secours\nssh-rsa AAAAB3mine admin@hôte\n');
    writeFileSync(join(r, 'home/debian/.ssh/authorized_keys'), admin, { mode: 0o600 });
    for (const p of ['home/debian', 'home/debian/.ssh', 'home/debian/.ssh/authorized_keys']) chownSync(join(r, p), 1000, 1000);
    await apply(r);
    expect(readFileSync(join(r, 'home/debian/.ssh/authorized_keys')).equals(Buffer.concat([admin, Buffer.from(`${KEY}\n`)]))).toBe(true);
  });

  it('the backup of a replaced file is a byte-exact copy with its mode and owner', async () => {
    const r = root();
    const admin = latin1('# été\nauto lo\niface lo inet loopback\n');
    writeFileSync(join(r, 'etc/network/interfaces'), admin, { mode: 0o640 });
    chownSync(join(r, 'etc/network/interfaces'), 0, 4);
    const report = await apply(r);
    const backup = report.files.find((f) => f.path === '/etc/network/interfaces')!.backup!;
    const host = join(r, backup);
    expect(readFileSync(host).equals(admin)).toBe(true);
    const st = statSync(host);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 0, 4]);
  });

  it('--dry-run on a latin-1 file shows a diff and writes nothing', async () => {
    const r = root();
    writeFileSync(join(r, 'etc/network/interfaces'), latin1('# été\n'));
    const report = await apply(r, true);
    expect(report.files.find((f) => f.path === '/etc/network/interfaces')!.diff).toContain('+source /etc/network/interfaces.d/*');
    expect(readFileSync(join(r, 'etc/network/interfaces')).equals(latin1('# été\n'))).toBe(true);
  });
});

describe('a file v6agent cannot read is an error naming it, never "absent"', () => {
  it('an /etc/network/interfaces larger than 1 MiB stops the run, names the file, and is left alone', async () => {
    const r = root();
    const big = Buffer.alloc(2 * 1024 * 1024, 0x23);
    writeFileSync(join(r, 'etc/network/interfaces'), big);
    await expect(apply(r)).rejects.toThrow(`${join(r, 'etc/network/interfaces')}: is ${big.length} bytes`);
    expect(readFileSync(join(r, 'etc/network/interfaces')).equals(big)).toBe(true);
  });

  it('an /etc/network/interfaces that is a directory stops the run and names it', async () => {
    const r = root();
    mkdirSync(join(r, 'etc/network/interfaces'));
    await expect(apply(r)).rejects.toThrow(`${join(r, 'etc/network/interfaces')}: is not a regular file`);
  });
});

describe('interfaces.d: only what ifupdown itself reads can clash', () => {
  const stanza = 'auto eth0\niface eth0 inet dhcp\n';

  it('a dot file (an editor backup, a temp file) is not reported as a second stanza', async () => {
    const r = root();
    writeFileSync(join(r, 'etc/network/interfaces.d/.eth0.swp'), stanza);
    const report = await apply(r);
    expect(report.warnings.filter((w) => w.message.includes('ifupdown will run both stanzas'))).toEqual([]);
  });

  it('under source-directory, a name with a dot is ignored as ifupdown ignores it; a plain name clashes', async () => {
    const r = root();
    writeFileSync(join(r, 'etc/network/interfaces'), 'source-directory /etc/network/interfaces.d\n');
    writeFileSync(join(r, 'etc/network/interfaces.d/old.cfg'), stanza);
    writeFileSync(join(r, 'etc/network/interfaces.d/admin-eth0'), stanza);
    const report = await apply(r);
    expect(report.warnings.filter((w) => w.message.includes('ifupdown will run both stanzas')).map((w) => w.where)).toEqual(['/etc/network/interfaces.d/admin-eth0']);
  });

  it('follows interfaces(5): source globs skip dot files, source-directory reads ^[a-zA-Z0-9_-]+$', () => {
    const glob = 'source /etc/network/interfaces.d/*\n';
    const dir = 'source-directory interfaces.d\n';
    expect([ifupdownReads('a.cfg', glob), ifupdownReads('.a', glob), ifupdownReads('a.cfg', dir), ifupdownReads('a_b-1', dir), ifupdownReads('.a', undefined)]).toEqual([true, false, false, true, false]);
  });
});
