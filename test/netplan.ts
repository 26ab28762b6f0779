/** Whether netplan's own generator can be run here (installed by test/lab/prereqs.sh when root; required under CI=true). */
import { execFileSync, spawnSync } from 'node:child_process';

export function netplanGate(): { run: boolean } {
  const has = (): boolean => spawnSync('sh', ['-c', 'command -v netplan'], { stdio: 'ignore' }).status === 0;
  if (!has() && process.getuid?.() === 0) execFileSync('bash', ['test/lab/prereqs.sh'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  if (has()) return { run: true };
  if (process.env.CI === 'true') throw new Error('netplan is missing under CI (test/lab/prereqs.sh installs netplan.io)');
  console.log('netplan tests skipped: netplan is not installed (apt-get install netplan.io, or run the tests as root)');
  return { run: false };
}

/** `netplan generate --root-dir ROOT`: exit status and complaints. */
export function netplanGenerate(root: string): { status: number | null; stderr: string } {
  const r = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
