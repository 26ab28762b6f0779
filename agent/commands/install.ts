/**
 * `v6agent install` / `uninstall`: put this binary and its boot unit into an
 * image (or this system) and enable the unit as `systemctl --root=ROOT enable`
 * would — a symlink per `WantedBy=` — with no systemctl needed. Text files go
 * through apply's writer; the binary and the links through apply/place.ts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { V6Error, ExitCode, Warnings, type Warning } from '../errors.js';
import { previewFiles, writeFiles, type FileResult } from '../apply/write.js';
import { place, placementStatus, unplace, type Placement } from '../apply/place.js';
import { resolveInRoot } from '../apply/rootPath.js';
import type { PlannedFile, PlannedRemoval } from '../plan/types.js';
import { CLOUD_INIT_DISABLE, cloudInitDisabledText } from '../../distro/cloudInit.js';
import unitText from '../../templates/v6agent.service';

export const BINARY_PATH = '/usr/local/sbin/v6agent';
export const UNIT_NAME = 'v6agent.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

export interface InstallOptions {
  readonly root: string | undefined;
  readonly dryRun: boolean;
}

export interface InstallReport {
  readonly command: 'install' | 'uninstall';
  readonly root: string;
  readonly live: boolean;
  readonly dryRun: boolean;
  readonly files: readonly FileResult[];
  /** Things run on the live system (daemon-reload). */
  readonly actions: readonly string[];
  readonly notes: readonly string[];
  readonly warnings: readonly Warning[];
  readonly changed: boolean;
}

/** `[Install]` WantedBy=/RequiredBy= of a unit, as systemctl enable reads them. */
export function installTargets(unit: string): { wants: string[]; requires: string[] } {
  const wants: string[] = [];
  const requires: string[] = [];
  let section = '';
  for (const raw of unit.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    else if (section === '[Install]') {
      const m = /^(WantedBy|RequiredBy)\s*=\s*(.*)$/.exec(line);
      if (m) (m[1] === 'WantedBy' ? wants : requires).push(...m[2]!.split(/\s+/).filter(Boolean));
    }
  }
  return { wants, requires };
}

/** The symlinks `systemctl enable` makes for our unit: absolute, to the unit file. */
export function enableLinks(unit: string): Placement[] {
  const { wants, requires } = installTargets(unit);
  return [...wants.map((t) => `${t}.wants`), ...requires.map((t) => `${t}.requires`)].map((dir) => ({ kind: 'link', path: `/etc/systemd/system/${dir}/${UNIT_NAME}`, target: UNIT_PATH }));
}

function unitFiles(root: string): { files: PlannedFile[]; notes: string[] } {
  const files: PlannedFile[] = [{ path: UNIT_PATH, content: unitText, mode: 0o644 }];
  const notes: string[] = [];
  // Where cloud-init is in the image, the network on disk is v6agent's alone (README: "At boot").
  if (existsSync(resolveInRoot(root, '/etc/cloud'))) {
    files.push({ path: CLOUD_INIT_DISABLE, content: cloudInitDisabledText(), mode: 0o644 });
    notes.push(`cloud-init is in the image: its network configuration is disabled by ${CLOUD_INIT_DISABLE}`);
  }
  return { files, notes };
}

function checkRoot(root: string | undefined): string {
  if (root === undefined) return '/';
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new V6Error(`--root ${root}: not a directory`, ExitCode.usage);
  return root;
}

/** The running single binary; under plain node, process.execPath is node itself, which must not be installed. */
async function selfPath(): Promise<string> {
  let sea = false;
  try {
    sea = (await import('node:sea')).isSea();
  } catch {
    // node:sea exists from Node 20; without it we are not a single binary
  }
  if (!sea) throw new V6Error('install copies the v6agent single binary that runs it: run dist/v6agent install (npm run build), not node');
  return process.execPath;
}

/** Tell a running systemd about the change; never under --root (touch nothing live). */
async function daemonReload(live: boolean, dryRun: boolean, changed: boolean, warnings: Warnings): Promise<string[]> {
  if (!live || dryRun || !changed || !existsSync('/run/systemd/system')) return [];
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('systemctl', ['daemon-reload'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return ['systemctl daemon-reload'];
  warnings.add('systemctl daemon-reload', (r.error?.message ?? r.stderr.trim()) || `exit ${r.status}`);
  return [];
}

const isChange = (f: FileResult): boolean => f.status !== 'unchanged';

export async function runInstall(opts: InstallOptions): Promise<InstallReport> {
  const root = checkRoot(opts.root);
  const live = opts.root === undefined;
  const warnings = new Warnings();
  const binary: Placement = { kind: 'binary', path: BINARY_PATH, source: await selfPath(), mode: 0o755 };
  const links = enableLinks(unitText);
  const { files: texts, notes } = unitFiles(root);
  let files: FileResult[];
  if (opts.dryRun) {
    files = [{ path: binary.path, status: placementStatus(root, binary) }, ...previewFiles(root, texts), ...links.map((l) => ({ path: l.path, status: placementStatus(root, l) }))];
  } else {
    // The binary first, the unit next, the enabling links last: a unit is never enabled without what it runs.
    const bin = place(root, binary);
    const written = await writeFiles(root, texts, stamp());
    files = [bin, ...written, ...links.map((l) => place(root, l))];
  }
  const changed = files.some(isChange);
  const actions = await daemonReload(live, opts.dryRun, changed, warnings);
  return { command: 'install', root, live, dryRun: opts.dryRun, files, actions, notes, warnings: warnings.list, changed };
}

export async function runUninstall(opts: InstallOptions): Promise<InstallReport> {
  const root = checkRoot(opts.root);
  const live = opts.root === undefined;
  const warnings = new Warnings();
  const notes: string[] = [];
  const links = enableLinks(unitText);
  // Links from every unit text we may have installed: ours now, and the one on disk (an older version's).
  const onDisk = readIfFile(root, UNIT_PATH);
  const allLinks = [...links, ...(onDisk ? enableLinks(onDisk).filter((l) => !links.some((k) => k.path === l.path)) : [])];
  const removals: PlannedRemoval[] = onDisk === undefined ? [] : [{ path: UNIT_PATH, why: 'v6agent uninstall' }];
  const dropIn = readIfFile(root, CLOUD_INIT_DISABLE);
  if (dropIn !== undefined) {
    if (dropIn === cloudInitDisabledText()) removals.push({ path: CLOUD_INIT_DISABLE, why: 'v6agent uninstall: cloud-init configures the network again' });
    else notes.push(`${CLOUD_INIT_DISABLE} was changed since v6agent wrote it: left in place`);
  }
  const binary: Placement = { kind: 'binary', path: BINARY_PATH, source: '', mode: 0o755 };
  // The reverse of install: disable first, then the unit, then what it runs.
  const linkResults = allLinks.map((l) => unplace(root, l, opts.dryRun));
  const removed = opts.dryRun ? previewFiles(root, [], removals) : await writeFiles(root, [], stamp(), removals);
  const bin = unplace(root, binary, opts.dryRun);
  const files = [...linkResults, ...removed, bin];
  const changed = files.some(isChange);
  notes.push('kept /var/lib/v6agent (backups of the files v6agent replaced, the instance id)');
  const actions = await daemonReload(live, opts.dryRun, changed, warnings);
  return { command: 'uninstall', root, live, dryRun: opts.dryRun, files, actions, notes, warnings: warnings.list, changed };
}

function readIfFile(root: string, path: string): string | undefined {
  const host = resolveInRoot(root, path);
  try {
    return statSync(host).isFile() ? readFileSync(host, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function formatInstallReport(r: InstallReport): string {
  const lines = [`v6agent ${r.command}${r.live ? '' : ` into ${r.root}`}${r.dryRun ? ' (dry run)' : ''}`];
  for (const f of r.files) lines.push(`  ${f.status.padEnd(9)} ${f.path}${f.backup ? ` (backup ${f.backup})` : ''}`);
  for (const a of r.actions) lines.push(`  ran       ${a}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  const n = r.files.filter(isChange).length;
  const verb = r.dryRun ? 'would change' : 'changed';
  lines.push(r.changed ? `${verb} ${n} path(s)` : r.command === 'install' ? 'nothing to change: already installed' : 'nothing to change: not installed');
  return `${lines.join('\n')}\n`;
}
