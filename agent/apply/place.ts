/**
 * What `install` puts in place besides text files: the binary itself (bytes,
 * too large for the text writer) and the `WantedBy=` symlink. Same rules as
 * write.ts: everything lands inside the root (resolveInRoot), a temp file or
 * link beside the target is renamed over it, a second run changes nothing.
 */
import { closeSync, copyFileSync, chmodSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errnoOf, ExitCode, V6Error } from '../errors.js';
import type { FileResult, FileStatus } from './write.js';
import { resolveInRoot } from './rootPath.js';

/** A binary copied from `source` (a host path) to `path` inside the root. */
export interface PlannedBinary {
  readonly kind: 'binary';
  readonly path: string;
  readonly source: string;
  readonly mode: number;
}

/** A symlink `path` → `target` (the target is the link's text, in the image's terms). */
export interface PlannedLink {
  readonly kind: 'link';
  readonly path: string;
  readonly target: string;
}

export type Placement = PlannedBinary | PlannedLink;

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '')}` : String(err.message ?? e);
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new V6Error(`${path}: ${describe(e)}`, ExitCode.failure, { errno: errnoOf(e) });
  }
}

/** Byte-for-byte equality, in chunks (the binary is tens of MB). */
function sameBytes(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (let pos = 0; ; pos += ba.length) {
      const na = readSync(fa, ba, 0, ba.length, pos);
      const nb = readSync(fb, bb, 0, bb.length, pos);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** The host path of `p`: its directory resolved inside the root, its own name never followed. */
function hostPath(root: string, p: Placement): string {
  return join(resolveInRoot(root, dirname(p.path)), basename(p.path));
}

/** What placing `p` would do. */
export function placementStatus(root: string, p: Placement): FileStatus {
  const host = hostPath(root, p);
  const st = lstatOrUndefined(host);
  if (!st) return 'created';
  if (p.kind === 'link') {
    if (!st.isSymbolicLink()) throw new V6Error(`${host}: exists and is not a symbolic link; not replaced`);
    return readlinkSync(host) === p.target ? 'unchanged' : 'changed';
  }
  if (!st.isFile()) throw new V6Error(`${host}: exists and is not a regular file; not replaced`);
  return (st.mode & 0o7777) === p.mode && sameBytes(p.source, host) ? 'unchanged' : 'changed';
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Put `p` in place atomically: a temp beside the target, fsync'd, renamed over it. */
export function place(root: string, p: Placement): FileResult {
  const status = placementStatus(root, p);
  if (status === 'unchanged') return { path: p.path, status };
  const host = hostPath(root, p);
  const dir = dirname(host);
  const temp = join(dir, `.${host.slice(dir.length + 1)}.v6agent-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    rmSync(temp, { force: true });
    if (p.kind === 'link') symlinkSync(p.target, temp);
    else {
      copyFileSync(p.source, temp);
      chmodSync(temp, p.mode);
      fsyncPath(temp);
    }
    renameSync(temp, host);
    fsyncPath(dir);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new V6Error(`${host} not placed: ${describe(e)}`, ExitCode.failure, { errno: errnoOf(e) });
  }
  return { path: p.path, status };
}

/** Remove what `place` put there; a missing one is already gone. */
export function unplace(root: string, p: Placement, dryRun: boolean): FileResult {
  const host = hostPath(root, p);
  const st = lstatOrUndefined(host);
  if (!st) return { path: p.path, status: 'unchanged' };
  if (p.kind === 'link' && !st.isSymbolicLink()) throw new V6Error(`${host}: is not a symbolic link; not removed`);
  if (p.kind === 'binary' && !st.isFile()) throw new V6Error(`${host}: is not a regular file; not removed`);
  if (!dryRun) {
    try {
      rmSync(host);
      fsyncPath(dirname(host));
    } catch (e) {
      throw new V6Error(`${host} not removed: ${describe(e)}`, ExitCode.failure, { errno: errnoOf(e) });
    }
  }
  return { path: p.path, status: 'removed' };
}
