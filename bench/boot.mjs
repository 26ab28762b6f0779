// npm run bench, second part: boot to IPv6-ready of a real VM with v6agent and
// with Debian's cloud-init instead (bench/vmBoot.ts). The VM machinery is
// TypeScript (test/vm), so it is bundled with esbuild first, into dist/ (where
// node_modules still resolves).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const outfile = resolve('dist/bench-vmBoot.mjs');
try {
  await build({ entryPoints: ['bench/vmBoot.ts'], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const { main } = await import(pathToFileURL(outfile).href);
  await main();
} finally {
  rmSync(outfile, { force: true });
}
