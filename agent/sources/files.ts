/** Reading input files with a size bound and strict UTF-8, errors naming the file. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { badInput } from '../errors.js';

export const MiB = 1024 * 1024;

/** Bytes of `path`, or undefined if it does not exist. Larger than `maxBytes` is an error. */
export function readBytes(path: string, maxBytes: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw badInput(path, undefined, `cannot read: ${(e as Error).message}`, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw badInput(path, undefined, 'is not a regular file');
    if (st.size > maxBytes) throw badInput(path, undefined, `is ${st.size} bytes, more than the ${maxBytes} allowed`);
    // Read one byte past the bound so a file that grows while we read is caught too.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > maxBytes) throw badInput(path, undefined, `is more than the ${maxBytes} bytes allowed`);
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text, or undefined if the bytes are not valid UTF-8. */
export function tryUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function decodeUtf8(path: string, bytes: Buffer): string {
  const text = tryUtf8(bytes);
  if (text === undefined) throw badInput(path, undefined, 'is not valid UTF-8');
  return text;
}

export function readText(path: string, maxBytes: number): string | undefined {
  const bytes = readBytes(path, maxBytes);
  return bytes === undefined ? undefined : decodeUtf8(path, bytes);
}

/** Parse JSON text into a plain object; the error names the file and the position. */
export function parseJsonObject(path: string, text: string): Record<string, unknown> {
  if (text.trim() === '') throw badInput(path, undefined, 'is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badInput(path, undefined, `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badInput(path, undefined, 'must contain a JSON object');
  }
  return value as Record<string, unknown>;
}
