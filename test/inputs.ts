/** Running apply on a changed drive into a temp root, for the bad-input tests. */
import { rmSync } from 'node:fs';
import { expect } from 'vitest';
import { runApply, type ApplyReport } from '../agent/commands/apply.js';
import { ExitCode, V6Error } from '../agent/errors.js';
import { copyDrive } from './drives.js';
import { makeRoot, readTree } from './helpers.js';

export const IFACE = ['fa:16:3e:5c:2a:7e=eth0'];

/** Temp drives and roots made by one test file; call `clean()` after each test. */
export function inputs(): {
  drive(name?: string): string;
  apply(configDrive: string, distro?: string, iface?: readonly string[], root?: string): Promise<{ root: string; report: ApplyReport }>;
  expectRejected(configDrive: string, message: RegExp, iface?: readonly string[]): Promise<void>;
  root(): string;
  clean(): void;
} {
  let cleanup: string[] = [];
  const root = (): string => {
    const r = makeRoot();
    cleanup.push(r);
    return r;
  };
  const run = (configDrive: string, r: string, distro: string, iface: readonly string[]): Promise<ApplyReport> =>
    runApply({ configDrive, root: r, distro, stack: distro === 'debian' ? 'eni' : 'ifcfg', iface, dryRun: false, probe: false, probeTimeoutMs: 0 });
  return {
    drive(name = 'dual-slaac') {
      const d = copyDrive(name);
      cleanup.push(d);
      return d;
    },
    async apply(configDrive, distro = 'debian', iface = IFACE, r = root()) {
      return { root: r, report: await run(configDrive, r, distro, iface) };
    },
    /** Expects a bad-input error matching `message`, and proves the root is untouched. */
    async expectRejected(configDrive, message, iface = IFACE) {
      const r = root();
      const before = readTree(r);
      let error: unknown;
      try {
        await run(configDrive, r, 'debian', iface);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(V6Error);
      expect((error as V6Error).exitCode).toBe(ExitCode.badInput);
      expect((error as V6Error).message).toMatch(message);
      expect(readTree(r)).toEqual(before);
    },
    root,
    clean() {
      cleanup.forEach((d) => rmSync(d, { recursive: true, force: true }));
      cleanup = [];
    },
  };
}
