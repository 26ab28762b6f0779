// npm run bench, second part: boot to IPv6-ready of a real VM with v6agent and
// with Debian's cloud-init instead (bench/vmBoot.ts). The VM machinery is
// TypeScript (test/vm), so it is bundled with esbuild first, into a temp file.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'v6agent-bench-'));
try {
  const outfile = join(dir, 'vmBoot.mjs');
  await build({ entryPoints: ['bench/vmBoot.ts'], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const { main } = await import(pathToFileURL(outfile).href);
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
