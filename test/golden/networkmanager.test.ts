/**
 * NetworkManager keyfiles of every golden case (the files themselves are
 * compared in golden.test.ts, expected-networkmanager/): each must be 0600 and
 * come back from NetworkManager's own reader (test/nmcli.ts) exactly as written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runApply } from '../../agent/commands/apply.js';
import { makeRoot, readTree, removeRoot, writeTree } from '../helpers.js';
import { nmcliCheck } from '../nmcli.js';
import { labGate } from '../lab/requirements.js';

const HERE = 'test/golden';
const CASES = readdirSync(HERE).filter((d) => existsSync(join(HERE, d, 'drive')));
// nmcli comes with the lab's packages (test/lab/prereqs.sh): installed when root, required under CI.
const nmcli = labGate();

let roots: string[] = [];
afterEach(() => {
  roots.forEach(removeRoot);
  roots = [];
});

async function render(name: string) {
  const root = makeRoot();
  roots.push(root);
  const { iface } = JSON.parse(readFileSync(join(HERE, name, 'case.json'), 'utf8')) as { iface: string[] };
  const opts = { configDrive: join(HERE, name, 'drive'), root, distro: 'rhel', stack: 'networkmanager', iface, dryRun: false, probe: false, probeTimeoutMs: 0 };
  return { root, opts, report: await runApply(opts) };
}

const keyfiles = (tree: Record<string, string>) => Object.entries(tree).filter(([p]) => p.endsWith('.nmconnection'));

describe.each(CASES)('NetworkManager keyfiles of golden case %s', (name) => {
  it('writes every keyfile root-only (0600), or NetworkManager ignores it', async () => {
    const { root } = await render(name);
    for (const [path] of keyfiles(readTree(root))) expect((statSync(join(root, path)).mode & 0o777).toString(8), path).toBe('600');
  });

  it.runIf(nmcli.run)('every keyfile is read by nmcli --offline exactly as written', async () => {
    const { root } = await render(name);
    for (const [path, text] of keyfiles(readTree(root))) {
      const verdict = nmcliCheck(text);
      expect(verdict.problems, `${path}\n${text}\nnmcli wrote back:\n${verdict.normalized}`).toEqual([]);
    }
  });
});
