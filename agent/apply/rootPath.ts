/**
 * Resolve a path inside an image root the way the image itself would see it:
 * absolute symlink targets are re-anchored at the root and `..` never climbs
 * above it, so nothing we write can land outside --root.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { V6Error } from '../errors.js';

const MAX_LINKS = 40; // as the kernel's MAXSYMLINKS

export function resolveInRoot(root: string, path: string): string {
  const pending = posix.normalize(path).split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let isLink = false;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch {
      // Does not exist (yet): the rest of the path is created as plain directories.
      done.push(part, ...pending.filter((c) => c !== '..'));
      break;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new V6Error(`${join(root, path)}: too many levels of symbolic links`);
    const target = readlinkSync(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return join(root, ...done);
}
