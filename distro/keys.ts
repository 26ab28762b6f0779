/**
 * SSH keys into ~/.ssh/authorized_keys, owned by the user, mode 0600. Keys
 * already there are kept; missing ones are appended, so a second run is a no-op.
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
  return `${home.replace(/\/+$/, '')}/.ssh/authorized_keys`;
}

export function renderAuthorizedKeys(instance: Instance, target: Target, warnings: Warnings): { files: PlannedFile[]; notes: string[] } {
  const byUser = new Map<PasswdEntry, string[]>();
  for (const k of instance.sshKeys) {
    const user = keyUser(target, k.user);
    if (!user) {
      warnings.add('ssh keys', `user ${k.user ?? `${target.distro.defaultUser} (or root)`} does not exist in /etc/passwd; key not installed`);
      continue;
    }
    if (!user.home.startsWith('/') || user.home.split('/').includes('..')) {
      warnings.add('ssh keys', `user ${user.name} has home ${JSON.stringify(user.home)}; key not installed`);
      continue;
    }
    byUser.set(user, [...(byUser.get(user) ?? []), k.key]);
  }
  const files: PlannedFile[] = [];
  const notes: string[] = [];
  for (const [user, keys] of byUser) {
    const path = authorizedKeysPath(user.home);
    const current = target.existing.get(path) ?? '';
    const have = new Set(current.split('\n').map((l) => l.trim()));
    const missing = keys.filter((k) => !have.has(k));
    const content = missing.length === 0 ? current : `${current.replace(/\n*$/, current ? '\n' : '')}${missing.join('\n')}\n`;
    const owner = { uid: user.uid, gid: user.gid };
    files.push({ path, content, mode: 0o600, owner, dir: { mode: 0o700, owner } });
    notes.push(`ssh keys for ${user.name}: ${keys.length}`);
  }
  return { files, notes };
}
