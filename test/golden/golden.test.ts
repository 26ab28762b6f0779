/**
 * Golden cases: a config drive in, the exact file tree out, for each network
 * format. Expected trees live in test/golden/<case>/expected/<distro>/ and are
 * reviewed like code. Regenerate after an intended change with
 *   UPDATE_GOLDEN=1 npx vitest run test/golden
 * and read the diff before committing it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { PASSWD, makeRoot, readTree, removeRoot, writeTree } from '../helpers.js';

const HERE = 'test/golden';
const CASES = readdirSync(HERE).filter((d) => existsSync(join(HERE, d, 'drive')));
const DISTROS = ['debian', 'rhel'] as const;
const update = process.env.UPDATE_GOLDEN === '1';

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

async function render(name: string, distro: string) {
  const root = makeRoot();
  roots.push(root);
  const { iface } = JSON.parse(readFileSync(join(HERE, name, 'case.json'), 'utf8')) as { iface: string[] };
  const opts = { configDrive: join(HERE, name, 'drive'), root, distro, iface, dryRun: false, probe: false, probeTimeoutMs: 0 };
  return { root, opts, report: await runApply(opts) };
}

describe.each(CASES)('golden case %s', (name) => {
  it.each(DISTROS)('renders the expected files for %s', async (distro) => {
    const { root, report } = await render(name, distro);
    const tree = readTree(root, ['/etc/passwd']);
    tree['/v6agent-warnings.txt'] = report.warnings.map((w) => `${w.where}: ${w.message}\n`).join('');
    const expectedDir = join(HERE, name, 'expected', distro);
    if (update) writeTree(expectedDir, tree);
    expect(tree).toEqual(readTree(expectedDir));
  });

  it.each(DISTROS)('writes nothing on a second run for %s', async (distro) => {
    const { opts, report } = await render(name, distro);
    expect(report.changed).toBe(true);
    const again = await runApply(opts);
    expect(again.changed).toBe(false);
    expect(again.files.every((f) => f.status === 'unchanged')).toBe(true);
  });

  it.each(DISTROS)('keeps /etc/passwd untouched for %s', async (distro) => {
    const { root } = await render(name, distro);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toBe(PASSWD);
  });
});
