/**
 * dist/v6agent-arm64 under qemu-user does exactly what dist/v6agent does:
 * the same --version and --help, byte-identical trees from `apply --root` on
 * every golden drive, and `ra` loads its own (arm64) koffi and reads the kernel.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBinary } from '../bin.js';
import { makeRoot, removeRoot } from '../helpers.js';
import { Lab } from '../lab/lab.js';
import { linkUp, waitFor } from '../lab/guest.js';
import { labGate } from '../lab/requirements.js';
import { gate } from '../pkg/requirements.js';
import { ARM64_BIN, QEMU, SYSROOT, arm64Argv, requireArm64Binary, runBinary, treeWithModes, type Result } from './qemu.js';

const qemu = gate('arm64 tests under qemu-user', {
  commands: [QEMU],
  files: [`${SYSROOT}/lib/ld-linux-aarch64.so.1`, `${SYSROOT}/lib/libstdc++.so.6`, `${SYSROOT}/lib/libgcc_s.so.1`],
});
const GOLDEN = 'test/golden';
const CASES = readdirSync(GOLDEN).filter((d) => existsSync(join(GOLDEN, d, 'drive')));
const DISTROS = ['debian', 'rhel'] as const;
const timings: number[] = [];

beforeAll(() => {
  requireBinary();
  requireArm64Binary();
});
afterAll(() => {
  if (timings.length === 0) return;
  const sorted = [...timings].sort((a, b) => a - b);
  console.log(`qemu-user: ${timings.length} runs of dist/v6agent-arm64, median ${sorted[sorted.length >> 1]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`);
});

async function arm64(args: readonly string[]): Promise<Result> {
  const r = await runBinary(arm64Argv(args));
  timings.push(r.ms);
  return r;
}

describe.runIf(qemu.run).concurrent('dist/v6agent-arm64 under qemu-user', () => {
  it('is a 64-bit little-endian aarch64 ELF file', () => {
    const head = readFileSync(ARM64_BIN).subarray(0, 20);
    expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect([head[4], head[5]]).toEqual([2, 1]); // ELFCLASS64, ELFDATA2LSB
    expect(head.readUInt16LE(18)).toBe(183); // EM_AARCH64
  });

  it.for([['--version'], ['--help'], ['apply', '--help'], ['ra', '--help'], ['metadata', '--help']])('prints what the x86-64 binary prints for %s', async (args) => {
    const [a, x] = [await arm64(args), await runBinary([BIN, ...args])];
    expect(a).toMatchObject({ status: 0, stdout: x.stdout, stderr: x.stderr });
    expect(a.stdout.length).toBeGreaterThan(0);
  });

  const combos = CASES.flatMap((name) => DISTROS.map((distro) => ({ name, distro })));
  it.for(combos)('renders golden drive $name for $distro byte for byte as the x86-64 binary does', async ({ name, distro }) => {
    const { iface } = JSON.parse(readFileSync(join(GOLDEN, name, 'case.json'), 'utf8')) as { iface: string[] };
    const args = (root: string) => ['apply', '--config-drive', join(GOLDEN, name, 'drive'), '--root', root, '--distro', distro, '--stack', distro === 'debian' ? 'eni' : 'ifcfg', ...iface.flatMap((i) => ['--iface', i])];
    const [rootX, rootA] = [makeRoot(), makeRoot()];
    try {
      const x = await runBinary([BIN, ...args(rootX)]);
      const a = await arm64(args(rootA));
      expect(x.status).toBe(0);
      expect(a.status).toBe(0);
      // The report names the root and how long the drive took to read; the rest is the same text.
      const text = (out: string, root: string) => out.replaceAll(root, 'ROOT').replace(/after \d+ ms/g, 'after N ms');
      expect(text(a.stdout, rootA)).toBe(text(x.stdout, rootX));
      expect(a.stderr.replaceAll(rootA, 'ROOT')).toBe(x.stderr.replaceAll(rootX, 'ROOT'));
      const tree = treeWithModes(rootA);
      expect(Object.keys(tree).length).toBeGreaterThan(2);
      expect(tree).toEqual(treeWithModes(rootX));
    } finally {
      removeRoot(rootX);
      removeRoot(rootA);
    }
  });
});

/** The view without the fields that count down while it is read (lifetimes, expiry). */
function timeless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(timeless);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !/lifetime|expires/i.test(k)).map(([k, x]) => [k, timeless(x)]));
}

const lab = qemu.run ? labGate() : { run: false };
describe.runIf(lab.run)('dist/v6agent-arm64 ra in a lab namespace', () => {
  it("loads the arm64 koffi and reports the kernel's view of the guest's interface", async ({ onTestFinished }) => {
    const l = await Lab.create({ mode: 'dhcpv6-stateless', ipv4: false, guestMac: 'fa:16:3e:a6:40:01' });
    onTestFinished(() => l.destroy());
    await linkUp(l);
    const ra = async () => JSON.parse((await l.inGuest(arm64Argv(['ra', 'eth0', '--json']), 60_000)).stdout).interfaces[0];
    // The guest kernel sent its own RS at link-up; wait until it has recorded the answer.
    const r = await waitFor('the kernel to record an RA', ra, (x) => x.source === 'kernel', 30_000);
    expect(r).toMatchObject({ name: 'eth0', source: 'kernel', mode: 'dhcpv6-stateless' });
    expect(r.routers.map((x: { address: string }) => x.address)).toContain(l.routerLinkLocal);
    // The x86-64 binary, same namespace, same moment: the same view.
    const x = JSON.parse((await l.inGuest([BIN, 'ra', 'eth0', '--json'])).stdout).interfaces[0];
    // Lifetimes count down in seconds between the two runs; everything else must match.
    expect(timeless({ ...r, elapsedMs: 0 })).toEqual(timeless({ ...x, elapsedMs: 0 }));
  });
});
