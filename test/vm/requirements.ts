/**
 * Whether the VM boot test can run here, installing its Debian packages when
 * root (test/vm/prereqs.sh). Under CI=true a missing prerequisite fails the
 * run; elsewhere the test is skipped with one line saying why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { labUnavailable } from '../lab/requirements.js';

const TOOLS = ['qemu-system-x86_64', 'mmdebstrap', 'genisoimage', 'mcopy', 'mkfs.vfat', 'mkfs.ext4', 'xz', 'tar', 'python3'];

const missing = (): string[] => TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0);

function vmUnavailable(): string | undefined {
  const lab = labUnavailable();
  if (lab) return lab;
  if (missing().length > 0) {
    try {
      execFileSync('bash', ['test/vm/prereqs.sh'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
    } catch (e) {
      return `installing the VM test's Debian packages failed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const still = missing();
  return still.length ? `missing ${still.join(', ')}` : undefined;
}

export function vmGate(): { run: boolean } {
  const reason = vmUnavailable();
  if (!reason) return { run: true };
  if (process.env.CI === 'true') throw new Error(`VM test prerequisites missing under CI: ${reason}`);
  console.log(`VM boot tests skipped: ${reason}`);
  return { run: false };
}
