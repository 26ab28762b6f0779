// The architecture an ELF file was built for, from its header alone, so the
// build can refuse to embed a native module of the wrong machine (a host
// koffi.node inside the arm64 binary would only fail on the guest, at `ra`).
import { closeSync, openSync, readSync } from 'node:fs';

/** e_machine values (System V ABI, "Machine Information") for the architectures we build. */
export const ELF_MACHINE = { x64: 62, arm64: 183 };
const NAMES = { 3: 'i386', 40: 'arm', 62: 'x86-64', 183: 'aarch64', 243: 'riscv' };

/** { machine, name, bits } of an ELF file; throws naming the file when it is not ELF. */
export function elfHeader(path) {
  const head = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path}: not an ELF file`);
  const bits = { 1: 32, 2: 64 }[head[4]];
  const little = head[5] === 1;
  if (!bits || (head[5] !== 1 && head[5] !== 2)) throw new Error(`${path}: bad ELF class or data encoding`);
  // e_machine sits after e_ident (16 bytes) and e_type (2), in the file's byte order.
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { machine, name: NAMES[machine] ?? `machine ${machine}`, bits };
}

/** Throws unless `path` is a 64-bit ELF file for `arch` (a key of ELF_MACHINE). */
export function expectElf(path, arch) {
  const h = elfHeader(path);
  const want = ELF_MACHINE[arch];
  if (h.machine !== want || h.bits !== 64) {
    throw new Error(`${path} is ${h.bits}-bit ${h.name}, but the ${arch} build needs 64-bit ${NAMES[want]}: refusing to embed it`);
  }
}
