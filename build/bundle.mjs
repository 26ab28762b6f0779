// Bundle agent/main.ts and everything it imports (templates as text) into one
// CommonJS file, dist/v6agent.cjs, which the single binary loads.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
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

/**
 * koffi finds its native part with require('@koromix/koffi-<platform>'). We
 * replace that with a loader that, inside the single binary, takes koffi.node
 * from the SEA asset `koffi.node` (see binary.mjs), dlopens it from a private
 * temp file and removes the file at once; outside it (node dist/v6agent.cjs)
 * it loads the file from node_modules. Other platforms' packages resolve to nothing.
 */
const require = createRequire(import.meta.url);
export const KOFFI_NODE = require.resolve('@koromix/koffi-linux-x64/linux_x64/koffi.node');
const koffiNativeFromAsset = {
  name: 'koffi-native-from-sea-asset',
  setup(b) {
    // koffi's ESM entry relies on import.meta, which a CommonJS bundle does not have.
    b.onResolve({ filter: /^koffi$/ }, () => ({ path: require.resolve('koffi') }));
    b.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, namespace: 'koffi-native' }));
    b.onLoad({ filter: /.*/, namespace: 'koffi-native' }, (args) => ({
      loader: 'js',
      contents: args.path !== '@koromix/koffi-linux-x64' ? 'module.exports = null;' : `
        const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
        let sea = null;
        try { sea = require('node:sea'); } catch {}
        const m = { exports: {} };
        if (sea && sea.isSea()) {
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v6agent-'));
          const file = path.join(dir, 'koffi.node');
          try {
            fs.writeFileSync(file, new Uint8Array(sea.getRawAsset('koffi.node')), { mode: 0o500 });
            process.dlopen(m, file);
          } finally {
            fs.rmSync(dir, { recursive: true, force: true });
          }
        } else {
          process.dlopen(m, ${JSON.stringify(KOFFI_NODE)});
        }
        module.exports = m.exports;`,
    }));
  },
};

export async function bundle({ minify = false } = {}) {
  await build({
    plugins: [lazyChildProcessForCommander, koffiNativeFromAsset],
    entryPoints: ['agent/main.ts'],
    outfile: 'dist/v6agent.cjs',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    loader: { '.tmpl': 'text', '.service': 'text' },
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await bundle({ minify: process.argv.includes('--minify') });
