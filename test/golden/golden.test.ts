/**
 * Golden cases: a config drive in, the exact file tree out, for each network
 * stack, rendered on the distro whose cloud images run that stack. Layout:
 *
 *   test/golden/<case>/expected/debian/   the whole tree for ENI (Debian)
 *   test/golden/<case>/expected/rhel/     the whole tree for ifcfg (RHEL)
 *   test/golden/<case>/expected-<stack>/  for every other stack: only its own
 *       files. The files every stack writes the same way (host name, hosts,
 *       resolv.conf, SSH keys, the warnings list) come from its distro's tree
 *       above unless the stack directory has its own copy, so one change to a
 *       shared template is one diff, not one per stack.
 *
 * A stack is tested as soon as distro/registry.ts has a renderer for it.
 * Regenerate after an intended change with
 *   UPDATE_GOLDEN=1 npx vitest run test/golden
 * and read the diff before committing it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { registeredStacks } from '../../distro/registry.js';
import type { Stack } from '../../agent/plan/types.js';
import { PASSWD, makeRoot, readTree, removeRoot, writeTree } from '../helpers.js';

const HERE = 'test/golden';
const CASES = readdirSync(HERE).filter((d) => existsSync(join(HERE, d, 'drive')));
const update = process.env.UPDATE_GOLDEN === '1';

/** The distro whose images run each stack (its cloud user gets the keys), and where the full tree lives. */
const RUNS: Readonly<Record<Stack, { distro: 'debian' | 'rhel'; full?: string }>> = {
  eni: { distro: 'debian', full: 'expected/debian' },
  ifcfg: { distro: 'rhel', full: 'expected/rhel' },
  netplan: { distro: 'debian' },
  networkd: { distro: 'debian' },
  networkmanager: { distro: 'rhel' },
};
const STACKS = registeredStacks();

/** Files every stack writes alike, taken from the distro's full tree. */
const shared = (path: string): boolean =>
  ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/v6agent-warnings.txt'].includes(path) || path.startsWith('/home/') || path.startsWith('/root/');

function expectedTree(name: string, stack: Stack): Record<string, string> {
  const run = RUNS[stack];
  if (run.full) return readTree(join(HERE, name, run.full));
  const base = readTree(join(HERE, name, RUNS[run.distro === 'debian' ? 'eni' : 'ifcfg'].full!));
  const own = existsSync(join(HERE, name, `expected-${stack}`)) ? readTree(join(HERE, name, `expected-${stack}`)) : {};
  const out: Record<string, string> = {};
  for (const [p, text] of Object.entries(base)) if (shared(p)) out[p] = text;
  return sortKeys({ ...out, ...own });
}

function writeExpected(name: string, stack: Stack, tree: Record<string, string>): void {
  const run = RUNS[stack];
  if (run.full) return writeTree(join(HERE, name, run.full), tree);
  const base = readTree(join(HERE, name, RUNS[run.distro === 'debian' ? 'eni' : 'ifcfg'].full!));
  const own = Object.fromEntries(Object.entries(tree).filter(([p, text]) => !(shared(p) && base[p] === text)));
  writeTree(join(HERE, name, `expected-${stack}`), own);
}

function sortKeys(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : 1)));
}

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

async function render(name: string, stack: Stack) {
  const root = makeRoot();
  roots.push(root);
  const { iface } = JSON.parse(readFileSync(join(HERE, name, 'case.json'), 'utf8')) as { iface: string[] };
  const opts = { configDrive: join(HERE, name, 'drive'), root, distro: RUNS[stack].distro, stack, iface, dryRun: false, probe: false, probeTimeoutMs: 0 };
  return { root, opts, report: await runApply(opts) };
}

describe.each(CASES)('golden case %s', (name) => {
  it.each(STACKS)('renders the expected files for %s', async (stack) => {
    const { root, report } = await render(name, stack);
    const tree = readTree(root, ['/etc/passwd']);
    tree['/v6agent-warnings.txt'] = report.warnings.map((w) => `${w.where}: ${w.message}\n`).join('');
    if (update) writeExpected(name, stack, tree);
    expect(tree).toEqual(expectedTree(name, stack));
  });

  it.each(STACKS)('writes nothing on a second run for %s', async (stack) => {
    const { opts, report } = await render(name, stack);
    expect(report.changed).toBe(true);
    const again = await runApply(opts);
    expect(again.changed).toBe(false);
    expect(again.files.every((f) => f.status === 'unchanged')).toBe(true);
  });

  it.each(STACKS)('keeps /etc/passwd untouched for %s', async (stack) => {
    const { root } = await render(name, stack);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD);
  });
});
