/**
 * Writing a plan's files as one commit, all or nothing, also across a crash:
 * compare every file; back up what will be replaced (byte-exact, with mode and
 * owner); journal the pending set; write every temp file beside its target
 * (exclusive, unpredictable name, fsynced); journal "committing"; rename them
 * all; clear the journal. If a rename fails, every file already replaced is
 * put back from its backup, every temp and every new directory removed, and
 * the error names the file and the OS refusal. A killed run's journal is
 * finished or undone by the next run (journal.ts). A second run with the same
 * plan finds nothing to do.
 */
import { closeSync, constants as C, fchmodSync, fchownSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { errnoOf, ExitCode, V6Error, type Warnings } from '../errors.js';
import type { PlannedFile, PlannedRemoval } from '../plan/types.js';
import { unifiedDiff } from './diff.js';
import { at, closeDir, type Current, type DirHandle, errnoText, OsError, openSystemDir, openUserDir, privileged, readAt, Unsafe } from './dirFd.js';
import { clearJournal, fsyncPath, type JournalFile, makeStateDir, STATE_DIR, TEMP_NAME, tempName, undo, writeJournal } from './journal.js';
import { resolveInRoot } from './rootPath.js';
import { testPoint } from './testPoint.js';

export type FileStatus = 'created' | 'changed' | 'unchanged' | 'removed';

export interface FileResult {
  readonly path: string;
  readonly status: FileStatus;
  /** Where the replaced file was saved, in the target's terms. */
  readonly backup?: string;
  readonly diff?: string;
}

/** Files v6agent builds on are small; anything bigger is not one of them. */
const MAX_BYTES = 4 * 1024 * 1024;

/** One file of the plan, located: its directory held open once it exists. */
interface Slot {
  readonly file: PlannedFile;
  readonly dirHost: string;
  readonly name: string;
  dir: DirHandle | undefined;
  readonly before: Current | undefined;
  readonly bytes: Buffer;
  readonly status: FileStatus;
}

export function contentBytes(content: string | Uint8Array): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

/**
 * Where a file lives on this machine: a system file resolved inside the root;
 * a home file below its home's parent (resolved: the admin's), the rest
 * literally, since it is reached only through directories that never follow links.
 */
function locate(root: string, file: { path: string; home?: string }): { dirHost: string; name: string } {
  if (!file.home) {
    const host = resolveInRoot(root, file.path);
    return { dirHost: dirname(host), name: basename(host) };
  }
  const parent = posix.dirname(file.home);
  return { dirHost: join(resolveInRoot(root, parent), posix.relative(parent, posix.dirname(file.path))), name: posix.basename(file.path) };
}

function openDir(root: string, file: PlannedFile, dirHost: string, create: boolean, created: string[]): DirHandle | undefined {
  const mode = file.dir?.mode ?? 0o755;
  if (file.home && file.owner) return openUserDir(root, posix.dirname(file.path), file.home, file.owner, create ? { mode } : undefined, created);
  return openSystemDir(dirHost, create ? { mode } : undefined, created);
}

/** Compare one file; undefined (with a warning) when it lives under a home that is not safe to touch. */
function compare(root: string, file: PlannedFile, warnings: Warnings | undefined): Slot | undefined {
  const { dirHost, name } = locate(root, file);
  const bytes = contentBytes(file.content);
  let dir: DirHandle | undefined;
  try {
    dir = openDir(root, file, dirHost, false, []);
    const before = dir ? readAt(dir, name, MAX_BYTES, file.home ? file.owner : undefined) : undefined;
    const sameMeta = before !== undefined && before.mode === file.mode && (!privileged || !file.owner || (before.uid === file.owner.uid && before.gid === file.owner.gid));
    const dirOk = !file.home || !file.dir || !dir || (fstatSync(dir.fd).mode & 0o7777) === file.dir.mode;
    const status: FileStatus = before === undefined ? 'created' : before.bytes.equals(bytes) && sameMeta && dirOk ? 'unchanged' : 'changed';
    return { file, dirHost, name, dir, before, bytes, status };
  } catch (e) {
    closeDir(dir);
    if (e instanceof Unsafe && file.home) {
      warnings?.add(file.path, `not written: ${e.message}`);
      return undefined;
    }
    if (e instanceof Unsafe) throw new V6Error(`${e.message}; not replaced, nothing written`, ExitCode.failure, { errno: errnoOf(e) });
    if (e instanceof OsError) throw new V6Error(`${e.message}; nothing written`, ExitCode.failure, { errno: errnoOf(e) });
    throw new V6Error(`${join(dirHost, name)}: ${errnoText(e)}; nothing written`, ExitCode.failure, { errno: errnoOf(e) });
  }
}

const text = (b: Buffer | undefined): string | undefined => b?.toString('utf8');

/** What applying `files` would do, with a unified diff for each change. */
export function previewFiles(root: string, files: readonly PlannedFile[], removals: readonly PlannedRemoval[] = [], warnings?: Warnings): FileResult[] {
  const slots = files.map((f) => compare(root, f, warnings)).filter((s): s is Slot => s !== undefined);
  slots.forEach((s) => closeDir(s.dir));
  const writes = slots.map((s): FileResult => (s.status === 'unchanged' ? { path: s.file.path, status: s.status } : { path: s.file.path, status: s.status, diff: unifiedDiff(s.file.path, text(s.before?.bytes), text(s.bytes)!) }));
  const removes = removals.map((r): FileResult => ({ path: r.path, status: 'removed', diff: unifiedDiff(r.path, text(readRemoval(root, r).before.bytes), '') }));
  return [...writes, ...removes];
}

function readRemoval(root: string, r: PlannedRemoval): { dir: DirHandle; name: string; before: Current } {
  const { dirHost, name } = locate(root, r);
  const dir = openSystemDir(dirHost, undefined, []);
  const before = dir && readAt(dir, name, MAX_BYTES);
  if (!dir || !before) throw new V6Error(`${join(dirHost, name)}: vanished while planning its removal; nothing written`);
  return { dir, name, before };
}

export async function writeFiles(root: string, files: readonly PlannedFile[], backupStamp: string, removals: readonly PlannedRemoval[] = [], warnings?: Warnings): Promise<FileResult[]> {
  const slots = files.map((f) => compare(root, f, warnings)).filter((s): s is Slot => s !== undefined);
  const removing = removals.map((r) => ({ r, ...readRemoval(root, r) }));
  testPoint('planned');
  // We hold the lock: a temp file of ours that is there now belongs to a dead run.
  for (const d of [...slots.map((s) => s.dir), ...removing.map((m) => m.dir)]) if (d) removeStaleTemps(d);
  const created: string[] = [];
  const changes = slots.filter((s) => s.status !== 'unchanged' && homeDirReady(root, s, created, warnings));
  const kept = slots.filter((s) => s.status === 'unchanged' || changes.includes(s));
  try {
    if (changes.length === 0 && removing.length === 0) return kept.map((s) => ({ path: s.file.path, status: 'unchanged' }));
    return await commit(root, kept, changes, removing, backupStamp, created, warnings);
  } catch (e) {
    // An OS refusal is reported as what it is (Node's message names the call, the code and the path).
    throw e instanceof V6Error ? e : new V6Error(`cannot commit: ${(e as Error).message}`, ExitCode.failure, { errno: errnoOf(e) });
  } finally {
    slots.forEach((s) => closeDir(s.dir));
    removing.forEach((r) => closeDir(r.dir));
  }
}

/**
 * A home file's directory, made now if missing (the user owns it at once).
 * A user who swaps it meanwhile costs that file only: dropped with a warning,
 * the rest of the commit goes on.
 */
function homeDirReady(root: string, s: Slot, created: string[], warnings: Warnings | undefined): boolean {
  if (!s.file.home || s.dir) return true;
  try {
    s.dir = openDir(root, s.file, s.dirHost, true, created);
    return true;
  } catch (e) {
    if (!(e instanceof Unsafe)) throw e;
    warnings?.add(s.file.path, `not written: ${e.message}`);
    return false;
  }
}

async function commit(root: string, slots: Slot[], changes: Slot[], removing: { r: PlannedRemoval; dir: DirHandle; name: string; before: Current }[], stamp: string, homeDirs: readonly string[], warnings: Warnings | undefined): Promise<FileResult[]> {
  const backups = new Map<string, string>();
  const backUp = (path: string, before: Current): string => {
    const backup = posix.join(STATE_DIR, 'backup', stamp, path);
    writeBackup(join(root, backup), before);
    backups.set(path, backup);
    return join(root, backup);
  };
  const entries: JournalFile[] = [
    ...changes.map((s): JournalFile => ({
      path: s.file.path,
      dir: s.dirHost,
      name: s.name,
      temp: tempName(s.name),
      ...(s.before ? { backup: backUp(s.file.path, s.before) } : {}),
      ...(s.file.home && s.file.owner ? { home: { home: s.file.home, dirPath: posix.dirname(s.file.path), uid: s.file.owner.uid, gid: s.file.owner.gid, ...(s.file.dir ? { dirMode: s.file.dir.mode } : {}) } } : {}),
    })),
    ...removing.map((m): JournalFile => ({ path: m.r.path, dir: m.dir.host, name: m.name, backup: backUp(m.r.path, m.before) })),
  ];
  const dirs = [...homeDirs, ...changes.filter((s) => !s.dir).flatMap((s) => missingDirs(s.dirHost))];
  const journal = { pid: process.pid, files: entries, dirs: [...new Set(dirs)], backupRoot: join(root, STATE_DIR, 'backup') };
  writeJournal(root, { ...journal, state: 'writing' });

  // Each change with its journal entry; a home file its user pulls away meanwhile drops out alone.
  let pairs = changes.map((s, i) => ({ s, entry: entries[i]! }));
  const fds: number[] = [];
  try {
    const created: string[] = [];
    pairs = pairs.filter(({ s, entry }) => {
      try {
        s.dir ??= openDir(root, s.file, s.dirHost, true, created);
        fds.push(writeTemp(s, entry.temp!));
        return true;
      } catch (e) {
        if (!s.file.home || !(e instanceof Unsafe || userRace((e as { cause?: unknown }).cause))) throw e;
        warnings?.add(s.file.path, `not written: ${(e as Error).message} (the directory changed while v6agent worked in it)`);
        if (entry.backup) rmSync(entry.backup, { force: true });
        return false;
      }
    });
    // Concurrent fsyncs share journal commits: one wait instead of one per file.
    await Promise.all(fds.map(fsyncAsync));
  } catch (e) {
    fds.forEach((fd) => closeSync(fd));
    fds.length = 0;
    const left = undo(root, { ...journal, state: 'writing' });
    clearJournal(root);
    throw new V6Error(`nothing written: ${e instanceof Unsafe || e instanceof OsError ? e.message : errnoText(e)}${leftOver(left)}`, ExitCode.failure, { errno: errnoOf(e) });
  } finally {
    fds.forEach((fd) => closeSync(fd));
  }
  const removals = entries.slice(changes.length);
  const pending = { ...journal, files: [...pairs.map((p) => p.entry), ...removals] };
  testPoint('temps');
  writeJournal(root, { ...pending, state: 'committing' });
  testPoint('journal');

  // Home files last: a user who pulls their directory away mid-rename loses only their own key file.
  const rename = ({ s, entry }: (typeof pairs)[number]) => ({ entry, dir: s.dir!, home: s.file.home !== undefined, act: () => renameSync(at(s.dir!, entry.temp!), at(s.dir!, s.name)) });
  const steps = [
    ...pairs.filter((p) => !p.s.file.home).map(rename),
    ...removing.map((m, i) => ({ entry: removals[i]!, dir: m.dir, home: false, act: () => unlinkSync(at(m.dir, m.name)) })),
    ...pairs.filter((p) => p.s.file.home).map(rename),
  ];
  for (const [i, step] of steps.entries()) {
    try {
      step.act();
    } catch (e) {
      if (step.home && userRace(e)) {
        warnings?.add(step.entry.path, `not written: ${join(step.dir.host, step.entry.name)}: ${errnoText(e)} (the directory changed while v6agent worked in it)`);
        pairs = pairs.filter((p) => p.entry !== step.entry);
        continue;
      }
      writeJournal(root, { ...pending, state: 'rollback' });
      const left = undo(root, { ...pending, state: 'rollback' });
      if (left.length === 0) clearJournal(root);
      const outcome = left.length === 0 ? 'every file put back as it was, nothing changed' : `NOT all put back${leftOver(left)}; the journal stays for the next run`;
      throw new V6Error(`${join(step.dir.host, step.entry.name)}: cannot ${step.entry.temp ? 'replace' : 'remove'}: ${errnoText(e)}; ${outcome}`, ExitCode.failure, { errno: errnoOf(e) });
    }
    if (i === 0) testPoint('rename');
  }
  const written = new Set(pairs.map((p) => p.s));
  tightenDirs([...written]);
  // The renames are durable once their directories are: one fsync per directory.
  new Set(steps.map((s) => s.dir)).forEach((d) => fsyncSync(d.fd));
  testPoint('renamed');
  clearJournal(root);

  const result = (path: string, status: FileStatus): FileResult => ({ path, status, ...(backups.has(path) ? { backup: backups.get(path)! } : {}) });
  const committed = slots.filter((s) => s.status === 'unchanged' || written.has(s));
  return [...committed.map((s) => result(s.file.path, s.status)), ...removing.map((m) => result(m.r.path, 'removed'))];
}

/**
 * ENOENT inside a directory we hold open means it was deleted or our temp file
 * removed: under a home, the user's doing — it costs that user's file only.
 * Any other refusal (EPERM, EROFS, EBUSY…) fails the commit as a whole.
 */
const userRace = (e: unknown): boolean => (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

const leftOver = (problems: readonly string[]): string => (problems.length ? `; could not undo: ${problems.join('; ')}` : '');

/** Directories from `dir` up to the first that exists, outermost first: the ones a commit may create. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      closeSync(openSync(d, C.O_RDONLY | C.O_DIRECTORY));
      break;
    } catch {
      out.unshift(d);
    }
    if (d === dirname(d)) break;
  }
  return out;
}

/** Temp files of runs that died before they could journal them: we hold the lock, so no live run owns one. */
function removeStaleTemps(dir: DirHandle): void {
  for (const name of readdirSync(at(dir, '.'))) {
    if (!TEMP_NAME.test(name)) continue;
    try {
      unlinkSync(at(dir, name));
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
}

/** The new content in an exclusive temp file beside the target, still open for fsync. */
function writeTemp(s: Slot, temp: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(at(s.dir!, temp), C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
    writeSync(fd, s.bytes);
    fchmodSync(fd, s.file.mode);
    if (privileged && s.file.owner) fchownSync(fd, s.file.owner.uid, s.file.owner.gid);
    return fd;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw new OsError(join(s.dir!.host, s.name), 'cannot write its temp file', e);
  }
}

/** sshd's StrictModes ignores keys in a ~/.ssh others can write: the key's directory gets its planned mode. */
function tightenDirs(changes: readonly Slot[]): void {
  for (const s of changes) if (s.file.home && s.file.dir && s.dir) fchmodSync(s.dir.fd, s.file.dir.mode);
}

/** A byte-exact copy with the original's mode and owner, in a directory only root can enter. */
function writeBackup(host: string, before: Current): void {
  makeStateDir(dirname(host));
  const fd = openSync(host, C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, before.bytes);
    fchmodSync(fd, before.mode);
    if (privileged) fchownSync(fd, before.uid, before.gid);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncPath(dirname(host));
}

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}
