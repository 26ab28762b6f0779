/**
 * Key installation a user cannot turn against root: whatever a user (here uid
 * 4242, owning its home in an image tree) plants under ~, v6agent reads,
 * creates, modifies, chmods or chowns nothing that user could not already.
 * /etc/shadow is a stand-in: root's, 0600, with a secret in it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { tempName } from '../../agent/apply/journal.js';
import { BIN, requireBinary, v6agent } from '../bin.js';
import { makeRoot, removeRoot } from '../helpers.js';

const UID = 4242;
const SECRET = 'root:$6$not-for-users$:19000:0:99999:7:::\n';
const DRIVE = 'test/golden/dual-slaac/drive';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh6FQ1ed0rtK3FY0ZFQVbJPoJT3hbULaAcO0e7G1Y6b demo@laptop';

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

/** An image whose cloud user `debian` is uid 4242 and owns /home/debian; /etc/shadow holds a secret. */
function hostileRoot(): string {
  const r = makeRoot();
  roots.push(r);
  writeFileSync(join(r, 'etc/passwd'), `root:x:0:0:root:/root:/bin/bash\ndebian:x:${UID}:${UID}:Debian:/home/debian:/bin/bash\n`);
  writeFileSync(join(r, 'etc/shadow'), SECRET, { mode: 0o600 });
  mkdirSync(join(r, 'home/debian'), { recursive: true });
  chownSync(join(r, 'home/debian'), UID, UID);
  return r;
}

/** A directory the user made under its home (owned by the user, as `mkdir` as that user would leave it). */
function userDir(path: string, mode = 0o755): void {
  mkdirSync(path, { mode });
  chmodSync(path, mode);
  chownSync(path, UID, UID);
}

const apply = (r: string) => runApply({ configDrive: DRIVE, root: r, distro: 'debian', stack: 'eni', iface: [], dryRun: false, probe: false, probeTimeoutMs: 0 });

function snapshot(path: string): { bytes: string; mode: number; uid: number; gid: number; nlink: number; ino: number } {
  const st = lstatSync(path);
  return { bytes: readFileSync(path).toString('hex'), mode: st.mode, uid: st.uid, gid: st.gid, nlink: st.nlink, ino: st.ino };
}

/** Every file under `dir` the user owns whose bytes contain the secret: the disclosure we must never make. */
function userFilesWithSecret(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.uid === UID && readFileSync(p, 'utf8').includes('not-for-users')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('keys: what a user plants under its home', () => {
  it('a home that is a symlink to /etc gets no key, with a warning naming it, and /etc is untouched', async () => {
    const r = hostileRoot();
    rmSync(join(r, 'home/debian'), { recursive: true });
    symlinkSync('/etc', join(r, 'home/debian'));
    const shadow = snapshot(join(r, 'etc/shadow'));
    const report = await apply(r);
    expect(report.warnings.some((w) => w.message.includes(`${join(r, 'home/debian')}: is a symbolic link`))).toBe(true);
    expect(existsSync(join(r, 'etc/.ssh'))).toBe(false);
    expect(snapshot(join(r, 'etc/shadow'))).toEqual(shadow);
    expect(report.files.some((f) => f.path === '/etc/network/interfaces.d/50-v6agent')).toBe(true);
  });

  it('a ~/.ssh that is a symlink to /etc gets no key, and the root-owned file it points at is untouched', async () => {
    const r = hostileRoot();
    writeFileSync(join(r, 'etc/authorized_keys'), SECRET, { mode: 0o600 });
    symlinkSync('/etc', join(r, 'home/debian/.ssh'));
    const target = snapshot(join(r, 'etc/authorized_keys'));
    const report = await apply(r);
    expect(report.warnings.some((w) => w.message.includes(`${join(r, 'home/debian/.ssh')}: is a symbolic link`))).toBe(true);
    expect(snapshot(join(r, 'etc/authorized_keys'))).toEqual(target);
    expect(userFilesWithSecret(r)).toEqual([]);
  });

  it('an authorized_keys that is a symlink to /etc/shadow is neither read nor replaced nor chowned', async () => {
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    symlinkSync('/etc/shadow', join(r, 'home/debian/.ssh/authorized_keys'));
    const shadow = snapshot(join(r, 'etc/shadow'));
    const report = await apply(r);
    expect(report.warnings.some((w) => w.message.includes(`${join(r, 'home/debian/.ssh/authorized_keys')}: is a symbolic link`))).toBe(true);
    expect(snapshot(join(r, 'etc/shadow'))).toEqual(shadow);
    expect(lstatSync(join(r, 'home/debian/.ssh/authorized_keys')).isSymbolicLink()).toBe(true);
    expect(userFilesWithSecret(r)).toEqual([]);
  });

  it('an authorized_keys hard-linked to /etc/shadow is not read, not modified in place and not chowned', async () => {
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    linkSync(join(r, 'etc/shadow'), join(r, 'home/debian/.ssh/authorized_keys'));
    const shadow = snapshot(join(r, 'etc/shadow'));
    const report = await apply(r);
    expect(report.warnings.some((w) => w.message.includes('authorized_keys: owned by uid 0, not the user (uid 4242)'))).toBe(true);
    expect(snapshot(join(r, 'etc/shadow'))).toEqual(shadow);
    expect(snapshot(join(r, 'home/debian/.ssh/authorized_keys'))).toEqual(shadow);
    expect(userFilesWithSecret(r)).toEqual([]);
  });

  it("a user's own authorized_keys with a second hard link is replaced by rename: the other link keeps its bytes", async () => {
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    writeFileSync(join(r, 'home/debian/notes'), 'mine\n', { mode: 0o600 });
    chownSync(join(r, 'home/debian/notes'), UID, UID);
    linkSync(join(r, 'home/debian/notes'), join(r, 'home/debian/.ssh/authorized_keys'));
    await apply(r);
    expect(readFileSync(join(r, 'home/debian/notes'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(r, 'home/debian/.ssh/authorized_keys'), 'utf8')).toBe(`mine\n${KEY}\n`);
  });

  it("a ~/.ssh owned by another user gets no key, with a warning naming it", async () => {
    const r = hostileRoot();
    mkdirSync(join(r, 'home/debian/.ssh'), { mode: 0o777 });
    chownSync(join(r, 'home/debian/.ssh'), 4343, 4343);
    const report = await apply(r);
    expect(report.warnings.some((w) => w.message.includes(`${join(r, 'home/debian/.ssh')}: owned by uid 4343, not the user (uid 4242)`))).toBe(true);
    expect(readdirSync(join(r, 'home/debian/.ssh'))).toEqual([]);
  });

  it('a FIFO planted as authorized_keys neither hangs nor fails the run: warned about, network configured', () => {
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    execFileSync('mkfifo', [join(r, 'home/debian/.ssh/authorized_keys')]);
    // As a process with a time limit: a blocking open would hang the test runner itself.
    const run = v6agent(['apply', '--config-drive', resolve(DRIVE), '--root', r, '--distro', 'debian', '--stack', 'eni']);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('authorized_keys: is not a regular file');
    expect(existsSync(join(r, 'etc/network/interfaces.d/50-v6agent'))).toBe(true);
  });

  it('installs the key with ~/.ssh 0700 and authorized_keys 0600, both the user\'s, even where ~/.ssh was 0755', async () => {
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o755);
    await apply(r);
    const dir = statSync(join(r, 'home/debian/.ssh'));
    const file = statSync(join(r, 'home/debian/.ssh/authorized_keys'));
    expect([dir.mode & 0o7777, dir.uid, dir.gid]).toEqual([0o700, UID, UID]);
    expect([file.mode & 0o7777, file.uid, file.gid]).toEqual([0o600, UID, UID]);
  });

  it('creates a missing ~/.ssh as the user\'s, 0700', async () => {
    const r = hostileRoot();
    await apply(r);
    const dir = statSync(join(r, 'home/debian/.ssh'));
    expect([dir.mode & 0o7777, dir.uid]).toEqual([0o700, UID]);
    expect(readFileSync(join(r, 'home/debian/.ssh/authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
  });

  it('names temp files unpredictably (64 random bits), never after the PID', () => {
    const a = tempName('authorized_keys');
    expect(a).toMatch(/^\.authorized_keys\.v6agent-[0-9a-f]{16}$/);
    expect(a).not.toContain(String(process.pid));
    expect(tempName('authorized_keys')).not.toBe(a);
  });
});

describe('keys: a race during the run', () => {
  it('swapping ~/.ssh for a symlink to /etc after the plan is made redirects nothing', async () => {
    requireBinary();
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    writeFileSync(join(r, 'etc/authorized_keys'), SECRET, { mode: 0o600 });
    const target = snapshot(join(r, 'etc/authorized_keys'));
    const flag = join(r, '..', `${r.split('/').pop()}.pause`);
    const child = spawn(BIN, ['apply', '--config-drive', resolve(DRIVE), '--root', r, '--distro', 'debian', '--stack', 'eni'], { env: { ...process.env, V6AGENT_TEST_PAUSE: `planned:${flag}` }, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    try {
      await waitFor(() => existsSync(flag), 20_000);
      // The user's move, in the window between our checks and our writes.
      renameSync(join(r, 'home/debian/.ssh'), join(r, 'home/debian/.ssh-old'));
      symlinkSync('/etc', join(r, 'home/debian/.ssh'));
    } finally {
      rmSync(flag, { force: true });
    }
    expect(await exited).toBe(0);
    expect(snapshot(join(r, 'etc/authorized_keys'))).toEqual(target);
    expect(readdirSync(join(r, 'etc')).filter((n) => n.includes('v6agent'))).toEqual([]);
    // The write went into the directory that was checked, wherever the user moved it.
    expect(readFileSync(join(r, 'home/debian/.ssh-old/authorized_keys'), 'utf8')).toBe(`${KEY}\n`);
  });
});

describe('keys: a user swapping ~/.ssh in a loop', () => {
  it('twenty runs against a ~/.ssh that flips between a directory and a symlink to /etc never touch /etc', async () => {
    requireBinary();
    const r = hostileRoot();
    userDir(join(r, 'home/debian/.ssh'), 0o700);
    writeFileSync(join(r, 'etc/authorized_keys'), SECRET, { mode: 0o600 });
    const target = snapshot(join(r, 'etc/authorized_keys'));
    const etcBefore = readdirSync(join(r, 'etc')).sort();
    // What the user could run in its own home, as fast as it can.
    const flipper = spawn(process.execPath, ['-e', FLIP, join(r, 'home/debian')], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 20; i++) {
        const child = spawn(BIN, ['apply', '--config-drive', resolve(DRIVE), '--root', r, '--distro', 'debian', '--stack', 'eni'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        const res = await new Promise<number | null>((done) => child.on('exit', done));
        expect(res, stderr).toBe(0);
      }
    } finally {
      flipper.kill('SIGKILL');
    }
    expect(snapshot(join(r, 'etc/authorized_keys'))).toEqual(target);
    expect(readdirSync(join(r, 'etc')).sort()).toEqual(etcBefore.concat(['dhcp', 'hostname', 'hosts', 'network', 'resolv.conf', 'sysctl.d']).sort());
    expect(userFilesWithSecret(r)).toEqual([]);
  }, 60_000);
});

/** Swap ~/.ssh for a symlink to /etc and back, forever. */
const FLIP = `const fs = require('fs'), h = process.argv[1];
for (;;) { try { fs.renameSync(h + '/.ssh', h + '/.ssh-real'); fs.symlinkSync('/etc', h + '/.ssh'); fs.unlinkSync(h + '/.ssh'); fs.renameSync(h + '/.ssh-real', h + '/.ssh'); } catch {} }`;

async function waitFor(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
