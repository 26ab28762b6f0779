// koffi's native module, as the bundle loads it (see bundle.mjs). Inside the
// single binary, koffi.node is an SEA asset: it is written to a private
// directory, dlopen()ed and removed at once. dlopen needs a filesystem that
// allows executable mappings, and /tmp is often mounted noexec, so the places
// are tried in order: /run/v6agent (root; created 0700), $XDG_RUNTIME_DIR,
// the temp directory. Outside the binary the file in node_modules is loaded.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** A directory only we can write to: created 0700 if missing; never a symlink or someone else's. */
function privateDir(dir) {
  let created = false;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    created = true;
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid();
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a directory owned by uid ${uid} and writable only by it`);
  }
  return created;
}

function places() {
  const list = [];
  if (process.getuid() === 0) list.push({ dir: '/run/v6agent', own: true });
  if (process.env.XDG_RUNTIME_DIR) list.push({ dir: process.env.XDG_RUNTIME_DIR, own: false });
  list.push({ dir: os.tmpdir(), own: false });
  return list;
}

function loadFromAsset(bytes) {
  const tried = [];
  for (const { dir, own } of places()) {
    let created = false;
    let tmp;
    try {
      if (own) created = privateDir(dir);
      tmp = fs.mkdtempSync(path.join(dir, 'koffi-'));
      const file = path.join(tmp, 'koffi.node');
      fs.writeFileSync(file, bytes, { mode: 0o500, flag: 'wx' });
      const m = { exports: {} };
      process.dlopen(m, file);
      return m.exports;
    } catch (e) {
      tried.push(`${dir}: ${String(e.message).split('\n')[0]}`);
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
      // Leave no trace of a directory this run made; rmdir, not rm -r: never what another run put there.
      if (created) {
        try {
          fs.rmdirSync(dir);
        } catch {}
      }
    }
  }
  const why = `cannot load the FFI module (koffi.node): no private directory allows executable mappings (tried ${tried.join('; ')})`;
  // koffi swallows this error and throws a generic one; bundle.mjs's wrapper puts this one back.
  globalThis[Symbol.for('v6agent.koffiLoadError')] = why;
  throw new Error(why);
}

let sea = null;
try {
  sea = require('node:sea');
} catch {}
if (sea && sea.isSea()) {
  module.exports = loadFromAsset(new Uint8Array(sea.getRawAsset('koffi.node')));
} else if (process.arch === 'x64') {
  const m = { exports: {} };
  process.dlopen(m, __KOFFI_NODE_PATH__);
  module.exports = m.exports;
} else {
  throw new Error(`koffi: no native module for ${process.arch} outside the single binary`);
}
