/**
 * SSH keys into ~/.ssh/authorized_keys, owned by the user, mode 0600, in a
 * ~/.ssh of mode 0700. The file's bytes are kept exactly (any encoding); missing
 * keys are appended, so a second run is a no-op. The file is marked as living
 * under the user's home: apply reaches it only through that user's own
 * directories (agent/apply/dirFd.ts). A home that is not safe to touch was
 * found while reading (target.unsafe): the key is not installed, with a warning.
 */
import type { Warnings } from '../agent/errors.js';
import type { Instance } from '../agent/model/instance.js';
import type { PlannedFile } from '../agent/plan/types.js';
import type { PasswdEntry, Target } from '../agent/sources/target.js';

/** The user that metadata keys (`user: undefined`) go to: the distro's cloud user if present, else root. */
export function defaultKeyUser(target: Target): PasswdEntry | undefined {
  return target.passwd.find((p) => p.name === target.distro.defaultUser) ?? target.passwd.find((p) => p.name === 'root');
}

export function keyUser(target: Target, user: string | undefined): PasswdEntry | undefined {
  return user === undefined ? defaultKeyUser(target) : target.passwd.find((p) => p.name === user);
}

export function authorizedKeysPath(home: string): string {
  return `${homeOf({ home })}/.ssh/authorized_keys`;
}

/** Absolute and never climbing: `..` would lead the walk out of the home (and out of --root). */
export function validHome(user: { readonly home: string }): boolean {
  return user.home.startsWith('/') && !user.home.split('/').includes('..');
}

/** The home as a clean absolute path (no trailing or doubled slashes). */
export function homeOf(user: { readonly home: string }): string {
  return `/${user.home.split('/').filter((p) => p !== '' && p !== '.').join('/')}`;
}

export function renderAuthorizedKeys(instance: Instance, target: Target, warnings: Warnings): { files: PlannedFile[]; notes: string[] } {
  const byUser = new Map<PasswdEntry, string[]>();
  for (const k of instance.sshKeys) {
    const user = keyUser(target, k.user);
    if (!user) {
      warnings.add('ssh keys', `user ${k.user ?? `${target.distro.defaultUser} (or root)`} does not exist in /etc/passwd; key not installed`);
      continue;
    }
    if (!validHome(user)) {
      warnings.add('ssh keys', `user ${user.name} has home ${JSON.stringify(user.home)}; key not installed`);
      continue;
    }
    byUser.set(user, [...(byUser.get(user) ?? []), k.key]);
  }
  const files: PlannedFile[] = [];
  const notes: string[] = [];
  for (const [user, keys] of byUser) {
    const path = authorizedKeysPath(user.home);
    const refused = target.unsafe.get(path);
    if (refused !== undefined) {
      warnings.add('ssh keys', `${refused}; key for ${user.name} not installed`);
      continue;
    }
    const current = Buffer.from(target.existing.get(path) ?? new Uint8Array());
    // Compared as bytes (latin1 is one char per byte): an admin's comment in any encoding stays as it is.
    const have = new Set(current.toString('latin1').split('\n').map((l) => l.trim()));
    const missing = keys.filter((k) => !have.has(Buffer.from(k, 'utf8').toString('latin1')));
    const sep = current.length > 0 && current[current.length - 1] !== 0x0a ? '\n' : '';
    const content = missing.length === 0 ? current : Buffer.concat([current, Buffer.from(`${sep}${missing.join('\n')}\n`, 'utf8')]);
    const owner = { uid: user.uid, gid: user.gid };
    files.push({ path, content, mode: 0o600, owner, dir: { mode: 0o700, owner }, home: homeOf(user) });
    notes.push(`ssh keys for ${user.name}: ${keys.length}`);
  }
  return { files, notes };
}
