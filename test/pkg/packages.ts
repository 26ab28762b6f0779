/** The packages `npm run package` makes, as the issue names them, and what installing them leaves behind. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const VERSION: string = JSON.parse(readFileSync('package.json', 'utf8')).version;
export const ARCHES = [
  { arch: 'x64', deb: 'amd64', rpm: 'x86_64', binary: resolve('dist/v6agent') },
  { arch: 'arm64', deb: 'arm64', rpm: 'aarch64', binary: resolve('dist/v6agent-arm64') },
] as const;
export type Arch = (typeof ARCHES)[number];

export const debFile = (a: Arch): string => resolve(`dist/v6agent_${VERSION}_${a.deb}.deb`);
export const rpmFile = (a: Arch): string => resolve(`dist/v6agent-${VERSION}-1.${a.rpm}.rpm`);

/** Fails with what to run when a package is missing or older than the binary it carries. */
export function requirePackages(): void {
  for (const a of ARCHES) {
    for (const f of [debFile(a), rpmFile(a)]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build && npm run package\` (npm test does)`);
      if (statSync(f).mtimeMs < statSync(a.binary).mtimeMs) throw new Error(`${f} is older than ${a.binary}: run \`npm run package\` (npm test does)`);
    }
  }
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The unit as packaged: the template with ExecStart at /usr/sbin/v6agent. */
export function expectedUnit(): string {
  return readFileSync('templates/v6agent.service', 'utf8').replace(/^(ExecStart=[-@:+!]*)\S*\/v6agent(?=\s|$)/m, '$1/usr/sbin/v6agent');
}

/** `path -> mode` (or `-> target` for links) of everything under `root` except the package managers' own databases. */
export function installedTree(root: string, skip: readonly string[] = ['/var/lib/dpkg', '/var/lib/rpm', '/usr/lib/sysimage']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = `/${relative(root, p)}`;
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else out[rel] = (st.mode & 0o7777).toString(8).padStart(4, '0');
    }
  };
  walk(root);
  return out;
}

export const run = (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string =>
  execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
