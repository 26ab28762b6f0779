// Bundle agent/main.ts and everything it imports (templates as text) into one
// CommonJS file, dist/v6agent.cjs: the single binary loads this one file.
import { build } from 'esbuild';

await build({
  entryPoints: ['agent/main.ts'],
  outfile: 'dist/v6agent.cjs',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  loader: { '.tmpl': 'text' },
  minify: process.argv.includes('--minify'),
  legalComments: 'none',
  logLevel: 'warning',
});
