/** dist/v6agent-arm64, run on this x86-64 machine by qemu-user with Debian's arm64 runtime libraries as its sysroot. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, lstatSync, readlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ARM64_BIN = resolve('dist/v6agent-arm64');
export const SYSROOT = '/usr/aarch64-linux-gnu';
export const QEMU = 'qemu-aarch64-static';
const run = promisify(execFile);

export function requireArm64Binary(): void {
  if (!existsSync(ARM64_BIN)) throw new Error(`${ARM64_BIN} is missing: run \`npm run build\` first (npm test does)`);
}

/** The command line that runs the arm64 binary with `args` (for `ip netns exec` and the like). */
export function arm64Argv(args: readonly string[]): string[] {
  return ['env', `QEMU_LD_PREFIX=${SYSROOT}`, QEMU, ARM64_BIN, ...args];
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a binary to completion; a non-zero exit is a result, not an exception. */
export async function runBinary(argv: readonly string[]): Promise<Result> {
  const t0 = performance.now();
  try {
    const r = await run(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
  } catch (e) {
    const x = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof x.code !== 'number') throw e;
    return { status: x.code, stdout: x.stdout ?? '', stderr: x.stderr ?? '', ms: performance.now() - t0 };
  }
}

/** Every entry under `dir` with its type, mode and bytes (or link target): what "byte-identical trees" compares. */
export function treeWithModes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = `/${relative(dir, p)}`;
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out[rel] = `dir ${mode}`;
        walk(p);
      } else if (st.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(p)}`;
      else out[rel] = `file ${mode} ${readFileSync(p).toString('base64')}`;
    }
  };
  walk(dir);
  return out;
}
