/**
 * Writing a plan's files, all or nothing: compare every file first; write every
 * changed one to a temp file in its own directory (fsync); only when all temps
 * exist, back up what they replace and rename them into place. A second run
 * with the same plan finds nothing to do.
 */
import { closeSync, fchmodSync, fchownSync, fsync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, chownSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { V6Error } from '../errors.js';
import type { Owner, PlannedFile, PlannedRemoval } from '../plan/types.js';
import { unifiedDiff } from './diff.js';
import { resolveInRoot } from './rootPath.js';

export type FileStatus = 'created' | 'changed' | 'unchanged' | 'removed';

export interface FileResult {
  readonly path: string;
  readonly status: FileStatus;
  /** Where the replaced file was saved, in the target's terms. */
  readonly backup?: string;
  readonly diff?: string;
}

interface Comparison {
  readonly file: PlannedFile;
  /** The real location on this machine (root prefix and symlinks resolved). */
  readonly host: string;
  readonly before: string | undefined;
  readonly status: FileStatus;
}

const canChown = process.getuid?.() === 0;

function compare(root: string, file: PlannedFile): Comparison {
  const host = resolveInRoot(root, file.path);
  let before: string | undefined;
  let sameMeta = false;
  try {
    const st = lstatSync(host);
    if (!st.isFile()) throw new V6Error(`${host}: exists and is not a regular file; not replaced`);
    before = readFileSync(host, 'utf8');
    sameMeta = (st.mode & 0o7777) === file.mode && (!canChown || !file.owner || (st.uid === file.owner.uid && st.gid === file.owner.gid));
  } catch (e) {
    if (e instanceof V6Error) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new V6Error(`nothing written: ${host}: ${(e as Error).message}`);
  }
  const status: FileStatus = before === undefined ? 'created' : before === file.content && sameMeta ? 'unchanged' : 'changed';
  return { file, host, before, status };
}

/** What applying `files` would do, with a unified diff for each change. */
export function previewFiles(root: string, files: readonly PlannedFile[], removals: readonly PlannedRemoval[] = []): FileResult[] {
  const writes = files.map((f): FileResult => {
    const c = compare(root, f);
    return c.status === 'unchanged' ? { path: f.path, status: c.status } : { path: f.path, status: c.status, diff: unifiedDiff(f.path, c.before, f.content) };
  });
  const removes = removals.map((r): FileResult => ({ path: r.path, status: 'removed', diff: unifiedDiff(r.path, readFileSync(resolveInRoot(root, r.path), 'utf8'), '') }));
  return [...writes, ...removes];
}

export async function writeFiles(root: string, files: readonly PlannedFile[], backupStamp: string, removals: readonly PlannedRemoval[] = []): Promise<FileResult[]> {
  const comparisons = files.map((f) => compare(root, f));
  const changes = comparisons.filter((c) => c.status !== 'unchanged');
  const temps: { path: string; fd: number }[] = [];
  try {
    for (const c of changes) temps.push(writeTemp(c));
    // Concurrent fsyncs share journal commits: one wait instead of one per file.
    await Promise.all(temps.map((t) => fsyncAsync(t.fd)));
  } catch (e) {
    for (const t of temps) rmSync(t.path, { force: true });
    throw new V6Error(`nothing written: ${(e as Error).message}`);
  } finally {
    for (const t of temps) closeSync(t.fd);
  }
  const results = new Map<PlannedFile, FileResult>();
  const touchedDirs = new Set<string>();
  changes.forEach((c, i) => {
    const backup = c.before === undefined ? undefined : backUp(root, backupStamp, c.file.path, c.host, c.before);
    renameSync(temps[i]!.path, c.host);
    touchedDirs.add(dirname(c.host));
    results.set(c.file, { path: c.file.path, status: c.status, ...(backup ? { backup } : {}) });
  });
  const removed = removals.map((r): FileResult => {
    const host = resolveInRoot(root, r.path);
    const backup = backUp(root, backupStamp, r.path, host, readFileSync(host, 'utf8'));
    rmSync(host);
    touchedDirs.add(dirname(host));
    return { path: r.path, status: 'removed', backup };
  });
  // The renames are durable once their directories are: one fsync per directory.
  touchedDirs.forEach(fsyncDir);
  return [...comparisons.map((c) => results.get(c.file) ?? { path: c.file.path, status: 'unchanged' as const }), ...removed];
}

/**
 * Save `content`, the current text of `path` (found at `host`), under
 * /var/lib/v6agent/backup/<stamp>/ in the same root; returns the backup's path
 * in the target's terms. Keys and configs can be private: the backup keeps the
 * original's mode.
 */
function backUp(root: string, stamp: string, path: string, host: string, content: string): string {
  const backup = join('/var/lib/v6agent/backup', stamp, path);
  const hostBackup = resolveInRoot(root, backup);
  mkdirSync(dirname(hostBackup), { recursive: true, mode: 0o700 });
  writeDurably(hostBackup, content, statSync(host).mode & 0o7777);
  return backup;
}

/** The new content in a temp file beside the target, still open for fsync. */
function writeTemp(c: Comparison): { path: string; fd: number } {
  const dir = dirname(c.host);
  makeDirs(dir, c.file.dir);
  const temp = join(dir, `.${c.host.slice(dir.length + 1)}.v6agent-${process.pid}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, c.file.content);
    fchmodSync(fd, c.file.mode);
    if (canChown && c.file.owner) fchownSync(fd, c.file.owner.uid, c.file.owner.gid);
  } catch (e) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw e;
  }
  return { path: temp, fd };
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/** Create missing directories; the innermost gets the planned mode and owner (e.g. ~/.ssh 0700). */
function makeDirs(dir: string, want: { mode: number; owner?: Owner } | undefined): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch {
    // missing: create below
  }
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { mode: want?.mode ?? 0o755 });
  if (canChown && want?.owner) chownSync(dir, want.owner.uid, want.owner.gid);
}

function writeDurably(path: string, content: string, mode: number): void {
  const fd = openSync(path, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
