// Bundle agent/main.ts and everything it imports (templates as text) into one
// CommonJS file, dist/v6agent.cjs, which the single binary loads.
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';

/**
 * commander requires node:child_process at load time, only to run external
 * subcommands, which v6agent never does; loading it (with net and stream)
 * costs ~8 ms of every boot. This hands commander a stand-in that loads the
 * real module on first use. Our own code imports child_process where it needs it.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'lazy-child-process', namespace: 'v6agent' } : undefined,
    );
    b.onLoad({ filter: /^lazy-child-process$/, namespace: 'v6agent' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

export async function bundle({ minify = false } = {}) {
  await build({
    plugins: [lazyChildProcessForCommander],
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
