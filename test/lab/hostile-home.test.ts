/**
 * A live `v6agent apply` (no --root) in a lab guest whose users have planted
 * symlinks and hard links under their homes, pointing at root's files: every
 * file outside the users' reach stays as it was, the planted homes get no key
 * (a warning names each), the honest user gets one, and the network is
 * configured. The guest has its own /etc (overlay), /run, /var/lib and here
 * also /home and /root, bound from the lab's directory for this one command.
 */
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { BIN } from '../bin.js';
import { Lab } from './lab.js';
import { writeLabDrive } from './drive.js';
import { labGate } from './requirements.js';

const gate = labGate();
const MAC = 'fa:16:3e:4a:42:01';
const SECRET = 'root:$6$not-for-users$:19000:0:99999:7:::\n';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh6FQ1ed0rtK3FY0ZFQVbJPoJT3hbULaAcO0e7G1Y6b lab@hostile';
/** Each user's home and what that user planted in it. */
const USERS = [
  { name: 'debian', uid: 4242, plant: 'home is a symlink to /etc' },
  { name: 'alice', uid: 4243, plant: '~/.ssh is a symlink to /etc' },
  { name: 'bob', uid: 4244, plant: 'authorized_keys is a symlink to /etc/shadow' },
  { name: 'carol', uid: 4245, plant: 'authorized_keys is a hard link to /etc/shadow' },
  { name: 'dave', uid: 4246, plant: 'nothing' },
] as const;

function snapshot(path: string): string {
  const st = lstatSync(path);
  return `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.ino} ${readFileSync(path).toString('hex')}`;
}

/** Files under `dir` owned by one of the users that hold the secret: a disclosure. */
function disclosed(dir: string): string[] {
  const uids = new Set<number>(USERS.map((u) => u.uid));
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && uids.has(st.uid) && readFileSync(p, 'utf8').includes('not-for-users')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe.runIf(gate.run)('live apply with hostile homes (lab)', () => {
  it('touches nothing outside the users\' reach, installs no key through a planted link, and configures the network', async ({ expect, onTestFinished }) => {
    const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: MAC });
    onTestFinished(() => lab.destroy());
    const etc = join(lab.guestRoot, 'etc');
    const home = join(lab.dir, 'home');
    const rootHome = join(lab.dir, 'roothome');
    mkdirSync(home);
    mkdirSync(rootHome, { mode: 0o700 });
    // The guest's own users and secrets (its /etc is an overlay: these files are the guest's only).
    writeFileSync(join(etc, 'passwd'), ['root:x:0:0:root:/root:/bin/bash', ...USERS.map((u) => `${u.name}:x:${u.uid}:${u.uid}::/home/${u.name}:/bin/sh`), ''].join('\n'));
    writeFileSync(join(etc, 'shadow'), SECRET, { mode: 0o600 });
    writeFileSync(join(etc, 'authorized_keys'), SECRET, { mode: 0o600 });
    chmodSync(join(etc, 'shadow'), 0o600);
    const homeOf = (name: string) => join(home, name);
    const userDir = (path: string, uid: number, mode = 0o755) => {
      mkdirSync(path, { mode });
      chownSync(path, uid, uid);
    };
    for (const u of USERS) if (u.name !== 'debian') userDir(homeOf(u.name), u.uid);
    symlinkSync('/etc', homeOf('debian'));
    symlinkSync('/etc', join(homeOf('alice'), '.ssh'));
    userDir(join(homeOf('bob'), '.ssh'), 4244, 0o700);
    symlinkSync('/etc/shadow', join(homeOf('bob'), '.ssh/authorized_keys'));
    userDir(join(homeOf('carol'), '.ssh'), 4245, 0o700);
    linkSync(join(etc, 'shadow'), join(homeOf('carol'), '.ssh/authorized_keys'));

    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac: MAC });
    const users = USERS.map((u) => `  - name: ${u.name}\n    ssh_authorized_keys: ["${KEY}"]\n`).join('');
    writeFileSync(join(drive, 'openstack/latest/user_data'), `#cloud-config\nusers:\n${users}`);
    const before = { shadow: snapshot(join(etc, 'shadow')), keys: snapshot(join(etc, 'authorized_keys')) };

    const mounts = `mount -n --bind ${home} /home && mount -n --bind ${rootHome} /root && exec "$@"`;
    const run = await lab.inGuest(['sh', '-c', mounts, 'sh', BIN, 'apply', '--config-drive', drive, '--no-probe', '--json']);
    const report = JSON.parse(run.stdout) as { warnings: { where: string; message: string }[]; files: { path: string; status: string }[] };
    const said = report.warnings.map((w) => w.message).join('\n');

    expect(snapshot(join(etc, 'shadow'))).toBe(before.shadow);
    expect(snapshot(join(etc, 'authorized_keys'))).toBe(before.keys);
    expect(existsSync(join(etc, '.ssh'))).toBe(false);
    expect(disclosed(lab.dir)).toEqual([]);
    expect(said).toContain('/home/debian: is a symbolic link');
    expect(said).toContain('/home/alice/.ssh: is a symbolic link');
    expect(said).toContain('/home/bob/.ssh/authorized_keys: is a symbolic link');
    expect(said).toContain('/home/carol/.ssh/authorized_keys: owned by uid 0, not the user (uid 4245)');
    // The honest user gets the key, as sshd's StrictModes wants it.
    const dave = join(homeOf('dave'), '.ssh');
    expect(readFileSync(join(dave, 'authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
    const [d, f] = [lstatSync(dave), lstatSync(join(dave, 'authorized_keys'))];
    expect([d.mode & 0o777, d.uid, f.mode & 0o777, f.uid]).toEqual([0o700, 4246, 0o600, 4246]);
    expect(report.files.find((x) => x.path === '/etc/network/interfaces.d/50-v6agent')?.status).toBe('created');

    // The guest's view agrees: its /etc/shadow is still root's, with the secret only root can read.
    const { stdout } = await lab.inGuest(['sh', '-c', `mount -n --bind ${home} /home && stat -c '%u %a' /etc/shadow /home/carol/.ssh/authorized_keys`]);
    expect(stdout).toBe('0 600\n0 600\n');
  }, 60_000);
});
