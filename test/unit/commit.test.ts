/**
 * One commit, all or nothing, also across a crash and beside a second run:
 * the built binary, as a process, against an image tree (a kill -9 must not
 * take the test runner with it). Phases and hooks: agent/apply/testPoint.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary, v6agent } from '../bin.js';
import { makeRoot, removeRoot } from '../helpers.js';

const DRIVE = resolve('test/golden/dual-slaac/drive');
/** What dual-slaac plans for debian, in plan order (sorted by path): the last is the key file. */
const PLANNED = ['/etc/dhcp/dhclient-enter-hooks.d/v6agent', '/etc/hostname', '/etc/hosts', '/etc/network/interfaces', '/etc/network/interfaces.d/50-v6agent', '/etc/resolv.conf', '/etc/sysctl.d/60-v6agent-eth0.conf', '/home/debian/.ssh/authorized_keys'];
const STATE = '/var/lib/v6agent';

let roots: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.splice(0).forEach((c) => c());
  roots.forEach(removeRoot);
  roots = [];
});
beforeAll(requireBinary);

/** An image where every planned file already exists with old content: a commit replaces all seven. */
function oldRoot(): string {
  const r = makeRoot();
  roots.push(r);
  mkdirSync(join(r, 'var/lib'), { recursive: true });
  for (const p of PLANNED) {
    mkdirSync(join(r, p, '..'), { recursive: true });
    writeFileSync(join(r, p), `old ${p}\n`);
  }
  for (const p of ['home/debian', 'home/debian/.ssh', 'home/debian/.ssh/authorized_keys']) chownSync(join(r, p), 1000, 1000);
  return r;
}

const args = (r: string, extra: string[] = []) => ['apply', '--config-drive', DRIVE, '--root', r, '--distro', 'debian', '--stack', 'eni', ...extra];
const run = (r: string, env: Record<string, string> = {}) => v6agent(args(r), { env: { ...process.env, ...env } });

/** Every entry under `dir` outside the state directory: type, mode, owner, bytes or link target. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = p.slice(dir.length);
      if (rel.startsWith(STATE)) continue;
      const st = lstatSync(p);
      const meta = `${st.mode.toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out[rel] = `dir ${meta}`;
        walk(p);
      } else out[rel] = `${meta} ${st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : readFileSync(p).toString('hex')}`;
    }
  };
  walk(dir);
  return out;
}

const temps = (r: string): string[] => Object.keys(tree(r)).filter((p) => /\.v6agent-[0-9a-f]+$/.test(p));
const newContent = (): Record<string, string> => {
  const ref = oldRoot();
  expect(run(ref).status).toBe(0);
  return Object.fromEntries(PLANNED.map((p) => [p, readFileSync(join(ref, p), 'utf8')]));
};
const contents = (r: string): Record<string, string> => Object.fromEntries(PLANNED.map((p) => [p, readFileSync(join(r, p), 'utf8')]));
const oldContents = (): Record<string, string> => Object.fromEntries(PLANNED.map((p) => [p, `old ${p}\n`]));

describe('a commit that the OS refuses part-way', () => {
  it('a rename refused on the last file (immutable: EPERM) puts every file back byte for byte, with one line naming it', () => {
    const r = oldRoot();
    const last = join(r, PLANNED.at(-1)!);
    spawnSync('chattr', ['+i', last]);
    cleanups.push(() => spawnSync('chattr', ['-i', last]));
    expect(spawnSync('lsattr', [last], { encoding: 'utf8' }).stdout).toMatch(/^\S*i/);
    const before = tree(r);
    const res = run(r);
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`v6agent: ${last}: cannot replace: EPERM (operation not permitted); every file put back as it was, nothing changed\n`);
    expect(tree(r)).toEqual(before);
    expect(readdirSync(join(r, STATE))).not.toContain('journal.json');
    expect(existsSync(join(r, STATE, 'backup')) ? readdirSync(join(r, STATE, 'backup')) : []).toEqual([]);
  });

  it('a failed commit also removes the directories it created', () => {
    const r = oldRoot();
    rmSync(join(r, 'etc/sysctl.d'), { recursive: true });
    const last = join(r, PLANNED.at(-1)!);
    spawnSync('chattr', ['+i', last]);
    cleanups.push(() => spawnSync('chattr', ['-i', last]));
    const before = tree(r);
    expect(run(r).status).toBe(1);
    expect(existsSync(join(r, 'etc/sysctl.d'))).toBe(false);
    expect(tree(r)).toEqual(before);
  });

  it('a rename onto a bind-mounted /etc/resolv.conf (EBUSY) rolls back the files renamed before it', () => {
    const r = oldRoot();
    const resolv = join(r, 'etc/resolv.conf');
    const before = tree(r);
    // A private mount namespace: the bind mount exists only for this one run.
    const bind = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" "$1" && shift && exec "$@"', 'sh', resolv, BIN, ...args(r)], { encoding: 'utf8' });
    expect(bind.status).toBe(1);
    expect(bind.stderr).toBe(`v6agent: ${resolv}: cannot replace: EBUSY (resource busy or locked); every file put back as it was, nothing changed\n`);
    expect(tree(r)).toEqual(before);
  });

  it('a directory mounted read-only (EROFS) fails the run before anything is replaced, naming the file and EROFS', () => {
    const r = oldRoot();
    const dir = join(r, 'etc/sysctl.d');
    const before = tree(r);
    const res = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', dir, BIN, ...args(r)], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`v6agent: nothing written: ${dir}/60-v6agent-eth0.conf: cannot write its temp file: EROFS (read-only file system)\n`);
    expect(res.stderr).not.toContain('internal error');
    expect(tree(r)).toEqual(before);
  });
});

describe('kill -9 at each phase of a commit', () => {
  // After the crash, the next run first finishes or undoes the journal; killed right after that (at
  // "planned", before it writes anything itself) the tree must be one consistent set, old or new.
  const cases: [phase: string, after: 'old' | 'new'][] = [
    ['temps', 'old'],
    ['journal', 'new'],
    ['rename', 'new'],
    ['renamed', 'new'],
  ];
  for (const [phase, after] of cases) {
    it(`killed at "${phase}", the next run ${after === 'old' ? 'undoes' : 'finishes'} the commit: all ${after}, no temp files, no journal`, () => {
      const want = newContent();
      const r = oldRoot();
      const crash = run(r, { V6AGENT_TEST_CRASH: phase });
      expect(crash.signal).toBe('SIGKILL');
      if (phase !== 'temps') expect(existsSync(join(r, STATE, 'journal.json'))).toBe(true);
      if (phase === 'rename') expect(contents(r)).not.toEqual(want); // a mixed set: the first file new, the rest old

      const recover = run(r, { V6AGENT_TEST_CRASH: 'planned' });
      expect(recover.signal).toBe('SIGKILL');
      expect(contents(r)).toEqual(after === 'new' ? want : oldContents());
      expect(temps(r)).toEqual([]);
      expect(existsSync(join(r, STATE, 'journal.json'))).toBe(false);

      const last = run(r);
      expect(last.status).toBe(0);
      expect(contents(r)).toEqual(want);
      expect(last.stdout).toMatch(after === 'new' ? /nothing to change/ : new RegExp(`wrote ${PLANNED.length} file\\(s\\)`));
    });
  }

  it('the run after a crash says what it finished', () => {
    const r = oldRoot();
    const crashed = run(r, { V6AGENT_TEST_CRASH: 'rename' });
    expect(crashed.signal).toBe('SIGKILL');
    const next = run(r);
    expect(next.status).toBe(0);
    expect(next.stderr).toContain(`interrupted run (pid ${crashed.pid}): finished its commit: ${PLANNED.join(', ')}`);
  });

  it('finishes a killed run\'s commit before anything else, even when this run\'s drive is unusable', () => {
    const want = newContent();
    const r = oldRoot();
    expect(run(r, { V6AGENT_TEST_CRASH: 'rename' }).signal).toBe('SIGKILL');
    const next = v6agent(['apply', '--config-drive', join(r, 'no-such-drive'), '--root', r, '--distro', 'debian', '--stack', 'eni']);
    expect(next.status).toBe(3);
    expect(contents(r)).toEqual(want);
    expect(existsSync(join(r, STATE, 'journal.json'))).toBe(false);
  });

  it('removes temp files that dead runs left, including old PID-named ones', () => {
    const r = oldRoot();
    const stale = ['/etc/network/interfaces.d/.50-v6agent.v6agent-12345', '/etc/.hostname.v6agent-0123456789abcdef', '/home/debian/.ssh/.authorized_keys.v6agent-fedcba9876543210'];
    for (const s of stale) writeFileSync(join(r, s), 'half\n');
    const res = run(r);
    expect(res.status).toBe(0);
    expect(res.stderr).not.toContain('ifupdown will run both stanzas');
    expect(temps(r)).toEqual([]);
  });
});

describe('two runs at once', () => {
  /** Start a run that stops at `phase` (holding the lock) until the returned release is called. */
  async function paused(r: string, phase: string, env: Record<string, string> = {}) {
    const flag = `${r}.pause`;
    const child = spawn(BIN, args(r), { env: { ...process.env, ...env, V6AGENT_TEST_PAUSE: `${phase}:${flag}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((done) => child.on('exit', done));
    cleanups.push(() => rmSync(flag, { force: true }));
    await waitFor(() => existsSync(flag), 20_000);
    return { exited, release: () => rmSync(flag, { force: true }) };
  }

  for (const [how, env] of [['flock', {}], ['the PID-file fallback', { V6AGENT_TEST_NO_FLOCK: '1' }]] as const) {
    it(`the second run waits for the first (${how}) and then finds nothing to change`, async () => {
      const r = oldRoot();
      const first = await paused(r, 'journal', env);
      const second = spawn(BIN, args(r), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      second.stdout.on('data', (d) => (out += d));
      const secondExit = new Promise<number | null>((done) => second.on('exit', done));
      await new Promise((ok) => setTimeout(ok, 1500));
      expect(second.exitCode).toBeNull(); // still waiting for the lock
      first.release();
      expect(await first.exited).toBe(0);
      expect(await secondExit).toBe(0);
      expect(out).toMatch(/nothing to change/);
      expect(temps(r)).toEqual([]);
    });

    it(`a second run that cannot get the lock in time (${how}) fails clearly and writes nothing`, async () => {
      const r = oldRoot();
      const first = await paused(r, 'planned', env);
      const before = tree(r);
      const second = run(r, { ...env, V6AGENT_TEST_LOCK_WAIT_MS: '300' });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/^v6agent: another v6agent run.* holds the lock on .*; gave up after 0\.3 s, nothing written\n$/);
      expect(tree(r)).toEqual(before);
      first.release();
      expect(await first.exited).toBe(0);
    });
  }

  it('the PID-file fallback takes over an empty lock file a run left when it died right after making it', () => {
    const r = oldRoot();
    mkdirSync(join(r, STATE), { recursive: true });
    writeFileSync(join(r, STATE, 'lock.pid'), '');
    utimesSync(join(r, STATE, 'lock.pid'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const res = run(r, { V6AGENT_TEST_NO_FLOCK: '1', V6AGENT_TEST_LOCK_WAIT_MS: '2000' });
    expect(res.status).toBe(0);
  });

  it('the PID-file fallback takes over the lock of a run that died', () => {
    const r = oldRoot();
    const dead = spawnSync('true');
    mkdirSync(join(r, STATE), { recursive: true });
    writeFileSync(join(r, STATE, 'lock.pid'), `${dead.pid}\n`);
    const res = run(r, { V6AGENT_TEST_NO_FLOCK: '1', V6AGENT_TEST_LOCK_WAIT_MS: '2000' });
    expect(res.status).toBe(0);
    expect(existsSync(join(r, STATE, 'lock.pid'))).toBe(false);
  });
});

async function waitFor(ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a journal that cannot be read', () => {
  it('stops the run with one line naming it, touching nothing', () => {
    const r = oldRoot();
    mkdirSync(join(r, STATE), { recursive: true });
    writeFileSync(join(r, STATE, 'journal.json'), '{"pid": 1, "state": "comm');
    const before = tree(r);
    const res = run(r);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`^v6agent: ${join(r, STATE, 'journal.json')}: unreadable journal of an interrupted run \\(.*\\); check the files it names and remove it\\n$`));
    expect(tree(r)).toEqual(before);
  });
});
