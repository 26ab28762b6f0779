/**
 * One run at a time per target: a second `apply` waits for the first (up to
 * `waitMs`) or fails saying who holds the lock; runs never interleave.
 *
 * The lock is flock(2) (via koffi) on a directory: /run/v6agent live, the
 * image's root under --root. The kernel drops it when the holder dies, however
 * it dies, and locking a directory leaves no file behind (a lock file can never
 * be removed safely: a waiter may already hold it open). Where koffi cannot
 * load (e.g. its native module cannot be mapped), the fallback is
 * `<state dir>/lock.pid`, created exclusively (O_EXCL) and holding the
 * owner's PID; a file whose PID no longer runs is a dead run's and is taken over.
 */
import { closeSync, constants as C, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { V6Error } from '../errors.js';
import { makeStateDir } from './journal.js';
import { sleepSync } from './testPoint.js';

export interface Lock {
  readonly how: 'flock' | 'pid file';
  release(): void;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const POLL_MS = 50;

type Flock = (fd: number, op: number) => number;

async function loadFlock(): Promise<Flock | undefined> {
  try {
    const koffi = (await import('koffi')).default;
    return koffi.load('libc.so.6').func('int flock(int fd, int op)') as Flock;
  } catch {
    return undefined;
  }
}

/**
 * Lock `dir`, created with `mode` if missing (/run/v6agent 0700; an image
 * root 0755, as `apply --root` always made it); `stateDir` holds the
 * fallback's PID file. V6AGENT_TEST_NO_FLOCK=1 (test-only) forces the fallback.
 */
export async function takeLock(dir: string, mode: number, stateDir: string, waitMs: number): Promise<Lock> {
  mkdirSync(dir, { recursive: true, mode });
  const flock = process.env.V6AGENT_TEST_NO_FLOCK ? undefined : await loadFlock();
  if (flock) return withFlock(dir, flock, waitMs);
  makeStateDir(stateDir);
  return withPidFile(join(stateDir, 'lock.pid'), waitMs);
}

function withFlock(dir: string, flock: Flock, waitMs: number): Lock {
  const fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
  const deadline = Date.now() + waitMs;
  while (flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    if (Date.now() >= deadline) {
      closeSync(fd);
      throw busy(dir, undefined, waitMs);
    }
    sleepSync(POLL_MS);
  }
  return {
    how: 'flock',
    release: () => {
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

function withPidFile(path: string, waitMs: number): Lock {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { how: 'pid file', release: () => unlinkSync(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readHolder(path);
    // A dead run's file (its PID gone, or no PID written seconds after it was made): remove it, unless it changed hands since we read it.
    if ((holder === undefined ? olderThan(path, 5_000) : !alive(holder)) && readHolder(path) === holder) {
      try {
        unlinkSync(path);
      } catch {
        // another waiter removed it first
      }
      continue;
    }
    if (Date.now() >= deadline) throw busy(path, holder, waitMs);
    sleepSync(POLL_MS);
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function busy(path: string, holder: number | undefined, waitMs: number): V6Error {
  return new V6Error(`another v6agent run${holder ? ` (pid ${holder})` : ''} holds the lock on ${path}; gave up after ${waitMs / 1000} s, nothing written`);
}
