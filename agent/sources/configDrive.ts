/**
 * The OpenStack config drive: a directory (given, or an already-mounted drive),
 * else the iso9660/vfat filesystem labelled `config-2`, mounted read-only in a
 * private temporary directory for as long as we read it.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { V6Error, ExitCode, badInput } from '../errors.js';
import { MiB, readBytes, readText } from './files.js';

/** The raw files of one drive version, read but not yet interpreted. */
export interface ConfigDrive {
  /** The directory that holds `openstack/`. */
  readonly root: string;
  /** `latest` or a dated version such as `2018-08-27`. */
  readonly version: string;
  readonly metaData: FileText | undefined;
  readonly networkData: FileText | undefined;
  readonly userData: FileBytes | undefined;
  /** What was dropped on the way (user_data too big or unreadable), reported as warnings. */
  readonly dropped: readonly { readonly where: string; readonly message: string }[];
  // vendor_data.json and vendor_data2.json are never opened: nothing v6agent
  // configures comes from them, and a file we do not use must not fail a run.
}

export interface FileText {
  readonly path: string;
  readonly text: string;
}
export interface FileBytes {
  readonly path: string;
  readonly bytes: Buffer;
}

// nova caps user_data at 64 KiB; the JSON files are a few KiB. Generous but bounded.
const LIMITS = { json: 4 * MiB, userData: 4 * MiB } as const;

/** Pick `openstack/latest`, else the newest dated version directory. */
export function chooseVersion(openstackDir: string): string {
  let entries: string[];
  try {
    entries = readdirSync(openstackDir);
  } catch {
    throw badInput(openstackDir, undefined, 'not found: this is not an OpenStack config drive');
  }
  if (entries.includes('latest')) return 'latest';
  const dated = entries.filter((e) => /^\d{4}-\d{2}-\d{2}$/.test(e)).sort();
  const newest = dated[dated.length - 1];
  if (!newest) throw badInput(openstackDir, undefined, 'has neither latest/ nor a dated version directory');
  return newest;
}

export function readConfigDrive(root: string): ConfigDrive {
  const version = chooseVersion(join(root, 'openstack'));
  const dir = join(root, 'openstack', version);
  const text = (name: string): FileText | undefined => {
    const path = join(dir, name);
    const t = readText(path, LIMITS.json);
    return t === undefined ? undefined : { path, text: t };
  };
  const metaData = text('meta_data.json');
  if (!metaData) throw badInput(join(dir, 'meta_data.json'), undefined, 'missing: every config drive has one');
  const networkData = text('network_data.json');
  const userDataPath = join(dir, 'user_data');
  // User data never stops the network from being configured: one we cannot take is dropped, as from the service.
  let userBytes: Buffer | undefined;
  const dropped: { where: string; message: string }[] = [];
  try {
    userBytes = readBytes(userDataPath, LIMITS.userData);
  } catch (e) {
    if (!(e instanceof V6Error)) throw e;
    dropped.push({ where: userDataPath, message: `dropped: ${e.message.replace(`${userDataPath}: `, '')}; user_data ignored` });
  }
  return {
    root,
    version,
    metaData,
    networkData,
    userData: userBytes === undefined ? undefined : { path: userDataPath, bytes: userBytes },
    dropped,
  };
}

// --- discovery ------------------------------------------------------------

const DRIVE_FS = new Set(['iso9660', 'vfat']);

/** A mount point of an iso9660/vfat filesystem that has `openstack/` in it. */
export function findMountedDrive(mountinfo = '/proc/self/mountinfo'): string | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    // "id parent major:minor root mountpoint options ... - fstype source superopts"
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = unescapeMount(left.split(' ')[4] ?? '');
    const fsType = right.split(' ')[0] ?? '';
    if (DRIVE_FS.has(fsType) && existsSync(join(mountPoint, 'openstack'))) return mountPoint;
  }
  return undefined;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Filesystem label of an iso9660 or FAT image, read from its superblock. */
export function readFsLabel(head: Buffer): { fsType: 'iso9660' | 'vfat'; label: string } | undefined {
  // iso9660: primary volume descriptor at sector 16 (2048-byte sectors): "CD001" at +1, volume id at +40 (32 bytes).
  const pvd = 16 * 2048;
  if (head.length >= pvd + 72 && head.toString('latin1', pvd + 1, pvd + 6) === 'CD001') {
    return { fsType: 'iso9660', label: head.toString('latin1', pvd + 40, pvd + 72).trim() };
  }
  // FAT: boot sector signature 0x55aa; FAT32 has "FAT32" at 82 and its label at 71, FAT12/16 at 43.
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) {
    if (head.toString('latin1', 82, 87) === 'FAT32') return { fsType: 'vfat', label: head.toString('latin1', 71, 82).trim() };
    if (head.toString('latin1', 54, 57) === 'FAT') return { fsType: 'vfat', label: head.toString('latin1', 43, 54).trim() };
  }
  return undefined;
}

/** Block devices whose filesystem label is config-2 (any case), whole disks first. */
export function findLabelledDevices(sysBlock = '/sys/class/block', devDir = '/dev'): { device: string; fsType: string }[] {
  let names: string[];
  try {
    names = readdirSync(sysBlock);
  } catch {
    return [];
  }
  const found: { device: string; fsType: string; partition: boolean }[] = [];
  for (const name of names.sort()) {
    if (/^(loop|ram|zram|dm-|md)/.test(name) && !existsSync(join(sysBlock, name, 'loop', 'backing_file'))) continue;
    const device = join(devDir, name);
    const head = Buffer.alloc(16 * 2048 + 72);
    let fd: number | undefined;
    try {
      fd = openSync(device, 'r');
      readSync(fd, head, 0, head.length, 0);
    } catch {
      continue;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const fs = readFsLabel(head);
    if (fs && fs.label.toLowerCase() === 'config-2') {
      found.push({ device, fsType: fs.fsType, partition: existsSync(join(sysBlock, name, 'partition')) });
    }
  }
  return found.sort((a, b) => Number(a.partition) - Number(b.partition)).map(({ device, fsType }) => ({ device, fsType }));
}

/** A drive to read from, and how to let go of it. */
export interface DriveHandle {
  readonly dir: string;
  release(): void;
}

/** The drive at `given`, else a mounted one, else mount the labelled device read-only. */
export async function openConfigDrive(given: string | undefined): Promise<DriveHandle> {
  if (given !== undefined) {
    if (!existsSync(given) || !statSync(given).isDirectory()) {
      throw new V6Error(`--config-drive ${given}: not a directory`, ExitCode.badInput, { file: given });
    }
    return { dir: given, release: () => {} };
  }
  const mounted = findMountedDrive();
  if (mounted) return { dir: mounted, release: () => {} };
  const [candidate] = findLabelledDevices();
  if (!candidate) {
    throw new V6Error('no config drive found: no mounted drive and no device labelled config-2 (use --config-drive DIR)', ExitCode.badInput);
  }
  // Loaded only here: child_process costs ~8 ms at start-up, and most boots find the drive mounted or given.
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync('/run/v6agent-drive-');
  try {
    execFileSync('mount', ['-t', candidate.fsType, '-o', 'ro,nosuid,nodev,noexec', candidate.device, dir], { stdio: 'pipe' });
  } catch (e) {
    rmdirSync(dir);
    // mount(8) adds a second line about dmesg; one line is what the user needs.
    const why = String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n')[0];
    throw new V6Error(`cannot mount config drive ${candidate.device}: ${why}`);
  }
  return {
    dir,
    release: () => {
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
        rmdirSync(dir);
      } catch {
        // Leave the directory if the unmount failed: removing a mounted dir is worse.
      }
    },
  };
}
