/**
 * user_data: only `#cloud-config` is read, for hostname, fqdn, manage_etc_hosts
 * and SSH keys. Scripts, MIME multipart and gzip are cloud-init's business: they
 * are left alone and never executed. Malformed YAML is a warning, not a failure.
 */
import type { Warnings } from '../errors.js';
import { sshPublicKey, userName } from '../model/names.js';
import { tryUtf8 } from './files.js';

export interface CloudConfig {
  readonly hostname: string | undefined;
  readonly fqdn: string | undefined;
  readonly manageEtcHosts: boolean | undefined;
  /** Keys for named users; `user: undefined` is the distro's default user. */
  readonly sshKeys: readonly { user: string | undefined; key: string }[];
}

export const EMPTY_CLOUD_CONFIG: CloudConfig = { hostname: undefined, fqdn: undefined, manageEtcHosts: undefined, sshKeys: [] };

export async function parseUserData(bytes: Buffer, file: string, warnings: Warnings): Promise<CloudConfig> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return EMPTY_CLOUD_CONFIG; // gzip: not ours to unpack
  const text = tryUtf8(bytes);
  if (text === undefined) {
    warnings.add(file, 'not UTF-8 text; ignored');
    return EMPTY_CLOUD_CONFIG;
  }
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')).trim();
  if (firstLine !== '#cloud-config') return EMPTY_CLOUD_CONFIG; // script, MIME, include…: left alone

  // yaml is loaded only for a #cloud-config: it is the largest module we have (~8 ms to load).
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0].line;
    warnings.add(line ? `${file}: line ${line}` : file, `invalid YAML (${e.message.split('\n')[0]}); user_data ignored`);
    return EMPTY_CLOUD_CONFIG;
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    if (data !== null) warnings.add(file, '#cloud-config is not a mapping; ignored');
    return EMPTY_CLOUD_CONFIG;
  }
  return readCloudConfig(data as Record<string, unknown>, file, warnings);
}

function readCloudConfig(cc: Record<string, unknown>, file: string, warnings: Warnings): CloudConfig {
  const sshKeys: { user: string | undefined; key: string }[] = [];
  const addKeys = (value: unknown, user: string | undefined, field: string): void => {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const [i, k] of list.entries()) {
      const key = sshPublicKey(k);
      if (key) sshKeys.push({ user, key });
      else warnings.add(`${file}: ${field}[${i}]`, 'dropped: not a single OpenSSH public key line');
    }
  };
  addKeys(cc.ssh_authorized_keys, undefined, 'ssh_authorized_keys');

  // users: a list of "default" / names / mappings, or a comma-separated string (cloud-init accepts both).
  const users = typeof cc.users === 'string' ? cc.users.split(',').map((s) => s.trim()) : Array.isArray(cc.users) ? cc.users : [];
  for (const [i, u] of users.entries()) {
    if (typeof u !== 'object' || u === null) continue; // "default" or a bare name: no keys to add
    const o = u as Record<string, unknown>;
    const name = userName(o.name);
    const keys = o.ssh_authorized_keys ?? o['ssh-authorized-keys'];
    if (!name) {
      if (keys !== undefined) warnings.add(`${file}: users[${i}].name`, `dropped: ${JSON.stringify(o.name)} is not a valid user name`);
      continue;
    }
    addKeys(keys, name, `users[${i}].ssh_authorized_keys`);
  }

  const str = (key: string): string | undefined => {
    const v = cc[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    warnings.add(`${file}: ${key}`, 'must be a string; ignored');
    return undefined;
  };
  const meh = cc.manage_etc_hosts;
  // cloud-init also accepts "localhost" and "template"; both mean "manage it".
  const manageEtcHosts = meh === undefined || meh === null ? undefined : meh === false || meh === 'false' ? false : true;
  return { hostname: str('hostname'), fqdn: str('fqdn'), manageEtcHosts, sshKeys };
}
