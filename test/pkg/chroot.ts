/**
 * A tiny image root for rpm: rpm --root runs scriptlets chrooted there, so it
 * holds what they call — /bin/sh and systemctl, with the libraries ldd names —
 * and /dev/null. Nothing else, so any other file in it came from the package.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const PROGRAMS = ['/bin/sh', '/usr/bin/systemctl'];

/** Copies `file` to the same path under `root`, creating the directories. */
function copyInto(root: string, file: string, as = file): void {
  const dest = join(root, as);
  if (existsSync(dest)) return;
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(file, dest);
}

/** The shared libraries `program` loads, as ldd lists them (absolute paths). */
function libraries(program: string): string[] {
  return [...execFileSync('ldd', [program], { encoding: 'utf8' }).matchAll(/(?:=> |^\s*)(\/\S+)/gm)].map((m) => m[1]!);
}

export function scriptletRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'v6agent-rpm-'));
  for (const program of PROGRAMS) {
    const real = realpathSync(program);
    copyInto(root, real, program);
    for (const lib of libraries(real)) copyInto(root, lib);
  }
  mkdirSync(join(root, 'dev'));
  execFileSync('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
  return root;
}

/** The paths scriptletRoot put there, to tell them from what a package installed. */
export function isScaffolding(path: string): boolean {
  return path === '/dev/null' || path === '/bin/sh' || path === '/usr/bin/systemctl' || /^\/(usr\/)?lib(64|\/x86_64-linux-gnu)?\//.test(path) && !path.startsWith('/usr/lib/systemd/');
}
