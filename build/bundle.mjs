// Bundle agent/main.ts and everything it imports (templates as text) into one
// CommonJS file, dist/v6agent.cjs, which the single binary loads.
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';

export async function bundle({ minify = false } = {}) {
  await build({
    entryPoints: ['agent/main.ts'],
    outfile: 'dist/v6agent.cjs',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    loader: { '.tmpl': 'text' },
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await bundle({ minify: process.argv.includes('--minify') });
