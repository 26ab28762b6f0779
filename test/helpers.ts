/** Shared test fixtures: a minimal image root, and reading back what was written. */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach } from 'vitest';

export const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'debian:x:1000:1000:Debian:/home/debian:/bin/bash', 'cloud-user:x:1001:1001::/home/cloud-user:/bin/bash', ''].join('\n');

/** An empty image root with just /etc/passwd, so keys have users to go to. */
export function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'v6agent-root-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), PASSWD);
  return root;
}

export function removeRoot(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** Call in a test file: returns a maker of fresh roots, each removed after its test. */
export function rootPerTest(): () => string {
  let roots: string[] = [];
  afterEach(() => {
    roots.forEach(removeRoot);
    roots = [];
  });
  return () => {
    const r = makeRoot();
    roots.push(r);
    return r;
  };
}

/** Call in a test file: returns `track(dir)`, which hands `dir` back and removes it after its test. */
export function tempPerTest(): (dir: string) => string {
  let dirs: string[] = [];
  afterEach(() => {
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    dirs = [];
  });
  return (dir) => (dirs.push(dir), dir);
}

/** Every regular file under `dir`, as { '/etc/hosts': text }, skipping `except` paths. */
export function readTree(dir: string, except: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = `/${relative(dir, p)}`;
        if (!except.includes(rel)) out[rel] = readFileSync(p, 'utf8');
      }
    }
  };
  walk(dir);
  return out;
}

export function writeTree(dir: string, files: Record<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}
