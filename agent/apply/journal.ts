/**
 * The commit journal, ROOT/var/lib/v6agent/journal.json: the pending set of a
 * commit, written (fsynced) before the first rename and removed after the
 * last. A run killed half-way leaves it behind; the next run reads it first,
 * under the lock, and either finishes the commit or undoes it:
 *   writing     temp files were being written, nothing replaced → remove them
 *   committing  every temp is complete and fsynced → rename the rest into place
 *   rollback    a rename failed → put every file back from its backup
 */
import { closeSync, constants as C, fchmodSync, fchownSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { V6Error, type Warnings } from '../errors.js';
import { at, closeDir, type DirHandle, openSystemDir, openUserDir, readAt, readPath, Unsafe } from './dirFd.js';

export const STATE_DIR = '/var/lib/v6agent';

export interface JournalFile {
  /** Target terms, for messages. */
  readonly path: string;
  /** The directory on this machine, and the file's name in it. */
  readonly dir: string;
  readonly name: string;
  /** Name of the temp file in `dir` (commits) — absent for a removal. */
  readonly temp?: string;
  /** Byte-exact copy (with mode and owner) of what the file was; absent if it did not exist. */
  readonly backup?: string;
  /** Under a user's home: reopened only through that user's own directories. */
  readonly home?: { readonly home: string; readonly dirPath: string; readonly uid: number; readonly gid: number; readonly dirMode?: number };
}

export interface Journal {
  readonly pid: number;
  readonly state: 'writing' | 'committing' | 'rollback';
  readonly files: readonly JournalFile[];
  /** Directories this commit created (or may have), outermost first. */
  readonly dirs: readonly string[];
  /** The state directory's backup folder on this machine: backups of an undone commit are removed up to it. */
  readonly backupRoot: string;
}

export function journalPath(root: string): string {
  return join(root, STATE_DIR, 'journal.json');
}

/**
 * Create `dir` (at or below the state directory): what is above it (/var/lib)
 * gets the usual 0755, the state directory and below 0700 — backups are private.
 */
export function makeStateDir(dir: string): void {
  const at = dir.lastIndexOf(STATE_DIR);
  if (at >= 0) mkdirSync(dir.slice(0, at + STATE_DIR.length - 'v6agent'.length - 1), { recursive: true, mode: 0o755 });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Replace the journal atomically and durably. */
export function writeJournal(root: string, journal: Journal): void {
  const path = journalPath(root);
  makeStateDir(dirname(path));
  const temp = `${path}.${randomBytes(8).toString('hex')}`;
  const fd = openSync(temp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(journal)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  fsyncPath(dirname(path));
}

export function clearJournal(root: string): void {
  unlinkSync(journalPath(root));
  fsyncPath(dirname(journalPath(root)));
}

export function readJournal(root: string): Journal | undefined {
  try {
    return JSON.parse(readFileSync(journalPath(root), 'utf8')) as Journal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new V6Error(`${journalPath(root)}: unreadable journal of an interrupted run (${(e as Error).message}); check the files it names and remove it`);
  }
}

/**
 * Finish or undo what a killed run left in the journal. Called under the lock,
 * before anything is read or planned; says what it did as a warning.
 */
export function recoverJournal(root: string, warnings: Warnings): void {
  const journal = readJournal(root);
  if (!journal) return;
  const where = `interrupted run (pid ${journal.pid})`;
  if (journal.state === 'committing') {
    rollForward(root, journal, warnings);
    warnings.add(where, `finished its commit: ${journal.files.map((f) => f.path).join(', ')}`);
  } else {
    const left = undo(root, journal, warnings);
    if (left.length) throw new V6Error(`${journalPath(root)}: the interrupted run (pid ${journal.pid}) cannot be undone: ${left.join('; ')}; nothing else done`);
    warnings.add(where, journal.state === 'writing' ? 'had replaced nothing; removed its temp files' : 'put back every file it had replaced');
  }
  clearJournal(root);
}

function rollForward(root: string, journal: Journal, warnings: Warnings): void {
  for (const f of journal.files) {
    withDir(root, f, warnings, (dir) => {
      if (f.temp === undefined) return ignoreMissing(() => unlinkSync(at(dir, f.name)));
      ignoreMissing(() => renameSync(at(dir, f.temp!), at(dir, f.name)));
      if (f.home?.dirMode !== undefined) fchmodSync(dir.fd, f.home.dirMode);
    });
  }
  syncDirs(journal.files.map((f) => f.dir));
}

/** Put every file back as its backup has it, remove every temp and every directory this commit created. */
export function undo(root: string, journal: Journal, warnings?: Warnings): string[] {
  const problems: string[] = [];
  for (const f of journal.files) {
    // Each file on its own: one that cannot be put back must not keep the others from it.
    try {
      withDir(root, f, warnings, (dir) => {
        if (f.temp !== undefined && exists(at(dir, f.temp))) unlinkSync(at(dir, f.temp));
        // While "writing" nothing was replaced yet: the targets are as they were.
        if (journal.state === 'writing') return;
        if (f.backup === undefined) {
          if (f.temp !== undefined && exists(at(dir, f.name))) unlinkSync(at(dir, f.name));
        } else restore(dir, f.name, f.backup);
      });
    } catch (e) {
      problems.push(`${join(f.dir, f.name)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (problems.length) return problems;
  // The backups of a commit that did not happen describe nothing: remove them too.
  const backups = journal.files.flatMap((f) => (f.backup ? [f.backup] : []));
  for (const b of backups) ignoreMissing(() => unlinkSync(b));
  const backupDirs = new Set(backups.flatMap((b) => parentsUpTo(b, journal.backupRoot)));
  for (const d of [...[...journal.dirs].reverse(), ...[...backupDirs].sort((a, b) => b.length - a.length)]) {
    try {
      rmdirSync(d);
    } catch {
      // not empty (someone else's files) or already gone: keep it
    }
  }
  syncDirs(journal.files.map((f) => f.dir));
  return problems;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The directories between `path` and `top` (exclusive), innermost first. */
function parentsUpTo(path: string, top: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); d.startsWith(`${top}/`); d = dirname(d)) out.push(d);
  return out;
}

/** Make `name` in `dir` byte-identical to `backup` again (content, mode, owner), via temp + rename. */
function restore(dir: DirHandle, name: string, backup: string): void {
  const want = readPath(backup);
  if (!want) return;
  let now;
  try {
    now = readAt(dir, name, Infinity);
  } catch {
    now = undefined;
  }
  if (now && now.bytes.equals(want.bytes) && now.mode === want.mode && now.uid === want.uid && now.gid === want.gid) return;
  const temp = tempName(name);
  const fd = openSync(at(dir, temp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, want.bytes);
    fchmodSync(fd, want.mode);
    if (process.getuid?.() === 0) fchownSync(fd, want.uid, want.gid);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(at(dir, temp), at(dir, name));
}

/** An unpredictable temp name beside `name`; the pattern lets a later run spot leftovers. */
export function tempName(name: string): string {
  return `.${name}.v6agent-${randomBytes(8).toString('hex')}`;
}

/** Temp files of ours (any run, including the PID-named ones of older versions). */
export const TEMP_NAME = /^\..+\.v6agent-[0-9a-f]+$/;

function withDir(root: string, f: JournalFile, warnings: Warnings | undefined, act: (dir: DirHandle) => void): void {
  let dir: DirHandle | undefined;
  try {
    dir = f.home ? openUserDir(root, f.home.dirPath, f.home.home, { uid: f.home.uid, gid: f.home.gid }, undefined, []) : openSystemDir(f.dir, undefined, []);
    if (dir) act(dir);
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    warnings?.add(f.path, `not recovered: ${e.message}`);
  } finally {
    closeDir(dir);
  }
}

function ignoreMissing(act: () => void): void {
  try {
    act();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function fsyncPath(dir: string): void {
  const fd = openSync(dir, C.O_RDONLY | C.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirs(dirs: readonly string[]): void {
  for (const d of new Set(dirs)) ignoreMissing(() => fsyncPath(d));
}
