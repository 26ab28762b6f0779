/**
 * Finding the config drive with no --config-drive: a real iso9660 or vfat
 * filesystem labelled config-2 on a loop device, found by its label, then
 * mounted read-only in a private directory, read and unmounted. The binary
 * runs in a private mount namespace with a /run of its own, so nothing could
 * leak to the host.
 *
 * Some kernels (this project's Firecracker test machines) have neither
 * iso9660 nor vfat: there the mount must fail with one clear line and leave
 * nothing behind; where the kernel has iso9660, the drive must be read.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { findLabelledDevices } from '../../agent/sources/configDrive.js';
import { BIN } from '../bin.js';
import { labGate } from './requirements.js';

const gate = labGate();
const DRIVE = resolve('test/golden/user-data/drive');
const kernelHas = (fs: string): boolean => readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.trim().endsWith(`\t${fs}`) || l.trim() === fs);

function image(kind: 'iso9660' | 'vfat', dir: string): string {
  const img = join(dir, `drive.${kind}`);
  if (kind === 'iso9660') {
    // As nova makes it: mkisofs -V config-2 -J -r.
    execFileSync('genisoimage', ['-quiet', '-o', img, '-V', 'config-2', '-J', '-r', DRIVE]);
  } else {
    // vfat stores its label upper-case: the search must not care. (Only the label matters here.)
    execFileSync('truncate', ['-s', '16M', img]);
    execFileSync('mkfs.vfat', ['-n', 'CONFIG-2', img], { stdio: 'ignore' });
  }
  return img;
}

/** A read-only loop device for `img`, detached when the test ends. */
function attach(kind: 'iso9660' | 'vfat', { onTestFinished }: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'v6agent-cd-'));
  const dev = execFileSync('losetup', ['--find', '--show', '--read-only', image(kind, dir)], { encoding: 'utf8' }).trim();
  onTestFinished(() => {
    execFileSync('losetup', ['--detach', dev]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dev;
}

/** The binary in a private mount namespace whose /run is a temp dir of ours: its mount point never touches the host's /run. */
function metadataInPrivateRun({ onTestFinished }: TestContext): { r: SpawnSyncReturns<string>; run: string } {
  const run = mkdtempSync(join(tmpdir(), 'v6agent-run-'));
  onTestFinished(() => rmSync(run, { recursive: true, force: true }));
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -n --bind "$0" /run && exec "$@"', run, BIN, 'metadata', '--json'], { encoding: 'utf8' });
  return { r, run };
}

describe.runIf(gate.run).sequential('config drive discovery', () => {
  it.for(['iso9660', 'vfat'] as const)('finds a %s filesystem labelled config-2 (any case)', (kind, context) => {
    const dev = attach(kind, context);
    context.expect(findLabelledDevices()).toContainEqual({ device: dev, fsType: kind });
  });

  it('mounts it read-only in a private directory, reads it and leaves nothing behind', (context) => {
    const dev = attach('iso9660', context);
    const { r, run } = metadataInPrivateRun(context);
    if (kernelHas('iso9660')) {
      context.expect(r.status, r.stderr).toBe(0);
      const m = JSON.parse(r.stdout);
      context.expect(m).toMatchObject({ hostname: 'web1', fqdn: 'web1.example.org' });
      context.expect(m.source).toMatch(/^config drive \/run\/v6agent-drive-\w+\/openstack\/latest$/);
    } else {
      console.log('lab: this kernel has no iso9660; checking that the mount fails cleanly instead');
      context.expect(r.status).toBe(1);
      context.expect(r.stderr).toMatch(new RegExp(`^v6agent: cannot mount config drive ${dev}: .*iso9660.*\\n$`));
    }
    // (util-linux's mount may create /run/mount, as on any booted system; our own mount point must be gone.)
    context.expect(readdirSync(run).filter((n) => n.startsWith('v6agent-drive-'))).toEqual([]);
  });
});
