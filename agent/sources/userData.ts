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
  let data: unknown;
  try {
    const doc = parseDocument(text, YAML_PARSE);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0].line;
      warnings.add(line ? `${file}: line ${line}` : file, `invalid YAML (${e.message.split('\n')[0]}); user_data ignored`);
      return EMPTY_CLOUD_CONFIG;
    }
    data = doc.toJS(YAML_TO_JS);
  } catch (e) {
    // Alias limits (a "billion laughs" document), nesting too deep for the stack, anything else
    // the parser throws: user_data must never stop the network from being configured.
    warnings.add(file, `YAML not read (${(e as Error).message.split('\n')[0]}); user_data ignored`);
    return EMPTY_CLOUD_CONFIG;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    if (data !== null) warnings.add(file, '#cloud-config is not a mapping; ignored');
    return EMPTY_CLOUD_CONFIG;
  }
  return readCloudConfig(data as Record<string, unknown>, file, warnings);
}

/**
 * The parser's limits, set here rather than trusted to defaults: cloud-init
 * reads YAML 1.1 (PyYAML), duplicate keys keep the last value as PyYAML does,
 * and aliases are bounded so a few hundred bytes cannot expand into gigabytes.
 */
const YAML_PARSE = { version: '1.1', prettyErrors: true, uniqueKeys: false, strict: false, merge: true } as const;
const YAML_TO_JS = { maxAliasCount: 100 } as const;

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
  if (cc.users !== undefined && cc.users !== null && typeof cc.users !== 'string' && !Array.isArray(cc.users)) warnings.add(`${file}: users`, 'must be a list or a comma-separated string; ignored');
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
  return { hostname: str('hostname'), fqdn: str('fqdn'), manageEtcHosts: manageEtcHosts(cc.manage_etc_hosts, file, warnings), sshKeys };
}

/** cloud-init also accepts "localhost" and "template"; both mean "manage it". */
function manageEtcHosts(value: unknown, file: string, warnings: Warnings): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === false || value === 'false') return false;
  if (value === true || value === 'true' || value === 'localhost' || value === 'template') return true;
  warnings.add(`${file}: manage_etc_hosts`, `${JSON.stringify(value)} is not true, false, localhost or template; ignored`);
  return undefined;
}

