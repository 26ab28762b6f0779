/**
 * Directories held open while we work in them. Every later step names a file
 * relative to the open descriptor (`/proc/self/fd/N/name`, the way openat(2)
 * would), so nobody can redirect it by renaming or swapping a path component
 * after we checked it. Under a user's home each component is opened without
 * following symlinks and must be owned by that user: the checks a root process
 * needs so that it never does what that user could not.
 */
import { closeSync, constants as C, existsSync, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveInRoot } from './rootPath.js';
import type { Owner } from '../plan/types.js';

export interface DirHandle {
  readonly fd: number;
  /** Where it is on this machine, for messages only; never used to reach it. */
  readonly host: string;
}

const DIR = C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW;

/**
 * Only root can be turned against others: a process without root can do
 * nothing its own user could not, so it neither checks owners nor chowns.
 */
export const privileged = process.getuid?.() === 0;

/** The path that reaches `name` inside the open directory `dir`. */
export function at(dir: DirHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** Without /proc the paths above reach nothing: say so instead of taking every file for missing. */
function requireProc(): void {
  if (!existsSync('/proc/self/fd')) throw new OsError('/proc/self/fd', 'missing (is /proc mounted?); v6agent reaches files through their open directories there');
}

export function closeDir(dir: DirHandle | undefined): void {
  if (dir) closeSync(dir.fd);
}

/** The home is not safe to work in: why, naming the path. The key goes uninstalled. */
export class Unsafe extends Error {}

/** Open `host` (trusted: a system directory resolved inside the root); undefined if missing. */
export function openSystemDir(host: string, create: { mode: number } | undefined, created: string[]): DirHandle | undefined {
  requireProc();
  try {
    return { fd: openSync(host, C.O_RDONLY | C.O_DIRECTORY), host };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!create) return undefined;
  }
  const first = mkdirSync(host, { recursive: true, mode: create.mode });
  // mkdir -p reports the topmost directory it made; everything below it is new too.
  if (first) for (let d = host; d.length >= first.length; d = join(d, '..')) created.push(d);
  return { fd: openSync(host, C.O_RDONLY | C.O_DIRECTORY), host };
}

/**
 * Open `dir` (target terms, at or below `home`) inside `root`. The home's
 * parent is the admin's: resolved like any system path (a root-owned /home ->
 * /var/home link is fine), and every directory on the way must belong to root.
 * From the home down, each component is opened without following symlinks
 * and must belong to the user. A symlink, a non-directory or another owner is
 * Unsafe. Missing directories are created when `create` is given (above the
 * home owned by root, 0755; the home and below by the user, `create.mode` for
 * the last) and listed in `created`; otherwise a missing one gives undefined.
 */
export function openUserDir(root: string, dir: string, home: string, user: Owner, create: { mode: number } | undefined, created: string[]): DirHandle | undefined {
  requireProc();
  const homeParts = home.split('/').filter((p) => p !== '');
  if (homeParts.length === 0) throw new Unsafe(`${join(root, dir)}: the home is /`);
  const below = dir.split('/').filter((p) => p !== '').slice(homeParts.length - 1);
  const parentHost = resolveInRoot(root, `/${homeParts.slice(0, -1).join('/')}`);
  if (!rootOwnedDirs(root, parentHost, create !== undefined, created)) return undefined;
  let cur: DirHandle = { fd: openSync(parentHost, DIR), host: parentHost };
  try {
    for (const [i, name] of below.entries()) {
      const host = join(cur.host, name);
      let next: DirHandle;
      try {
        next = { fd: openSync(at(cur, name), DIR), host };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') throw new Unsafe(`${host}: ${describeRefusal(at(cur, name), code)}`);
        if (!create) return undefined;
        next = makeDir(cur, name, host, user, i === below.length - 1 ? create.mode : 0o755);
        created.push(host);
      }
      const st = fstatSync(next.fd);
      if (privileged && st.uid !== user.uid) {
        closeSync(next.fd);
        throw new Unsafe(`${host}: owned by uid ${st.uid}, not the user (uid ${user.uid})`);
      }
      closeSync(cur.fd);
      cur = next;
    }
    return cur;
  } catch (e) {
    closeSync(cur.fd);
    throw e;
  }
}

/** Every directory from `root` down to `host` exists (or is made, root's, 0755) and belongs to root. */
function rootOwnedDirs(root: string, host: string, create: boolean, created: string[]): boolean {
  const parts = relative(root, host).split('/').filter((p) => p !== '');
  for (let i = 0; i <= parts.length; i++) {
    const d = join(root, ...parts.slice(0, i));
    let st;
    try {
      st = lstatSync(d);
    } catch {
      if (!create) return false;
      mkdirSync(d, { mode: 0o755 });
      created.push(d);
      continue;
    }
    if (!st.isDirectory()) throw new Unsafe(`${d}: is not a directory`);
    if (privileged && st.uid !== 0 && i > 0) throw new Unsafe(`${d}: owned by uid ${st.uid}, not root, above the home`);
  }
  return true;
}

/** A directory we create: exclusive by nature (mkdir fails if anything took the name). */
function makeDir(parent: DirHandle, name: string, host: string, owner: Owner, mode: number): DirHandle {
  try {
    mkdirSync(at(parent, name), { mode: 0o700 });
  } catch (e) {
    // Missing a moment ago: someone is changing the directory while we work in it.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Unsafe(`${host}: appeared while v6agent was creating it; left alone`);
    throw e;
  }
  const dir = { fd: openSync(at(parent, name), DIR), host };
  if (privileged) fchownSync(dir.fd, owner.uid, owner.gid);
  fchmodSync(dir.fd, mode);
  return dir;
}

function describeRefusal(path: string, code: string | undefined): string {
  try {
    if (lstatSync(path).isSymbolicLink()) return 'is a symbolic link; not followed';
  } catch {
    // gone again: report the open's own error
  }
  return code === 'ENOTDIR' ? 'is not a directory' : `cannot open (${code})`;
}

export interface Current {
  readonly bytes: Buffer;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * The bytes, mode and owner of `name` in `dir`, or undefined if it does not
 * exist. Never follows a symlink and never blocks on a FIFO. With `owner`, the
 * file must belong to that user (a hard link to /etc/shadow does not): Unsafe
 * otherwise. Any other failure to read is an error naming the file.
 */
export function readAt(dir: DirHandle, name: string, maxBytes: number, owner?: Owner): Current | undefined {
  return readVia(at(dir, name), join(dir.host, name), maxBytes, owner);
}

/** readAt for a path of our own (a backup in the state directory). */
export function readPath(host: string, maxBytes = Infinity): Current | undefined {
  return readVia(host, host, maxBytes, undefined);
}

function readVia(path: string, host: string, maxBytes: number, owner: Owner | undefined): Current | undefined {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Unsafe(`${host}: is a symbolic link; not followed`);
    throw new OsError(host, 'cannot read', e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Unsafe(`${host}: is not a regular file`);
    if (owner && privileged && st.uid !== owner.uid) throw new Unsafe(`${host}: owned by uid ${st.uid}, not the user (uid ${owner.uid})`);
    if (st.size > maxBytes) throw new OsError(host, `is ${st.size} bytes, more than the ${maxBytes} allowed`);
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let r; (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) {
      n += r;
      if (n > maxBytes) throw new OsError(host, `is more than the ${maxBytes} bytes allowed`);
      if (n === buf.length) break;
    }
    return { bytes: buf.subarray(0, n), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } finally {
    closeSync(fd);
  }
}

/** An operating-system refusal, reported as what it is: `path: what: EROFS (…)`. */
export class OsError extends Error {
  constructor(path: string, what: string, cause?: unknown) {
    super(`${path}: ${what}${cause ? `: ${errnoText(cause)}` : ''}`, { cause });
  }
}

export function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!err.code) return String((e as Error).message ?? e);
  // Node's message is "EROFS: read-only file system, rename '/proc/self/fd/…' -> …": keep the code and the words.
  const words = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1];
  return words ? `${err.code} (${words})` : err.code;
}
