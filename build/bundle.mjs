// Bundle agent/main.ts and everything it imports (templates as text) into one
// CommonJS file, dist/v6agent.cjs, which the single binary loads.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
 * replace that with koffi-native.cjs: inside the single binary it takes
 * koffi.node from the SEA asset `koffi.node` (see binary.mjs) and dlopens it
 * from a private directory that allows executable mappings (not a noexec
 * /tmp); outside it (node dist/v6agent.cjs) it loads the file from
 * node_modules. The same bundle goes into every architecture's binary, each
 * with its own asset; other platforms' packages resolve to nothing.
 */
const require = createRequire(import.meta.url);
export const KOFFI_NODE = require.resolve('@koromix/koffi-linux-x64/linux_x64/koffi.node');
const KOFFI_LOADER = readFileSync(new URL('./koffi-native.cjs', import.meta.url), 'utf8').replace('__KOFFI_NODE_PATH__', JSON.stringify(KOFFI_NODE));
const SEA_KOFFI = ['@koromix/koffi-linux-x64', '@koromix/koffi-linux-arm64'];
const koffiNativeFromAsset = {
  name: 'koffi-native-from-sea-asset',
  setup(b) {
    // koffi's ESM entry relies on import.meta, which a CommonJS bundle does not have.
    b.onResolve({ filter: /^koffi$/ }, () => ({ path: 'koffi', namespace: 'koffi-wrapper' }));
    b.onLoad({ filter: /.*/, namespace: 'koffi-wrapper' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `try { module.exports = require(${JSON.stringify(require.resolve('koffi'))}); } catch (e) {
        const why = globalThis[Symbol.for('v6agent.koffiLoadError')];
        throw why ? new Error(why) : e;
      }`,
    }));
    b.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, namespace: 'koffi-native' }));
    b.onLoad({ filter: /.*/, namespace: 'koffi-native' }, (args) => ({
      loader: 'js',
      contents: !SEA_KOFFI.includes(args.path) ? 'module.exports = null;' : KOFFI_LOADER,
    }));
  },
};

/**
 * The git commit the bundle is built from, for `--version` (agent/buildInfo.ts);
 * `-dirty` when tracked files differ from it; `unknown` outside a git checkout (a tarball).
 */
export function gitCommit() {
  try {
    const run = (args) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = run(['rev-parse', 'HEAD']);
    const dirty = run(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

export async function bundle({ minify = false } = {}) {
  await build({
    define: { V6AGENT_COMMIT: JSON.stringify(gitCommit()) },
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await bundle({ minify: process.argv.includes('--minify') });
