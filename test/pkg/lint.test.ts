/**
 * Debian's and RPM's package linters have nothing to say about the packages
 * beyond the findings explained in build/package/lintian-overrides and
 * build/package/v6agent.rpmlintrc (and the README's "Packages" section).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { gate } from './requirements.js';
import { ARCHES, debFile, requirePackages, rpmFile } from './packages.js';

const run = promisify(execFile);
const linters = gate('package lint', { commands: ['lintian', 'rpmlint'] });

beforeAll(requirePackages);

describe.runIf(linters.run).concurrent('package linters', () => {
  // One .deb: the two differ only in the binary, and lintian takes half a minute over each.
  it('lintian finds no error or warning in the amd64 .deb', { timeout: 300_000 }, async () => {
    const r = await run('lintian', ['--no-tag-display-limit', debFile(ARCHES[0])], { maxBuffer: 16 << 20 }).catch((e) => e);
    const findings = `${r.stdout}`.split('\n').filter((l) => /^[EW]: /.test(l));
    expect(findings).toEqual([]);
  });

  it('rpmlint finds no error or warning in either .rpm', { timeout: 300_000 }, async () => {
    const r = await run('rpmlint', ['-r', 'build/package/v6agent.rpmlintrc', ...ARCHES.map(rpmFile)], { maxBuffer: 16 << 20 }).catch((e) => e);
    expect(`${r.stdout}`).toMatch(/ 0 errors, 0 warnings/);
    expect(`${r.stdout}`.split('\n').filter((l) => /: [EW]: /.test(l))).toEqual([]);
  });
});
