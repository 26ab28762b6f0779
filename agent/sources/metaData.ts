/** openstack/<version>/meta_data.json → the facts v6agent uses. */
import type { Warnings } from '../errors.js';
import { sshPublicKey } from '../model/names.js';
import { FieldReader, type Obj } from './fields.js';

export interface MetaData {
  readonly uuid: string | undefined;
  readonly name: string | undefined;
  /** As nova writes it: often `name.novalocal` (hostname plus dhcp_domain). */
  readonly hostname: string | undefined;
  readonly publicKeys: readonly string[];
}

export function parseMetaData(json: Obj, file: string, warnings: Warnings): MetaData {
  const f = new FieldReader(file);
  const text = (key: string): string | undefined => (typeof json[key] === 'string' && json[key] !== '' ? (json[key] as string) : undefined);

  const keys: string[] = [];
  const addKey = (value: unknown, field: string): void => {
    const key = sshPublicKey(value);
    if (key) keys.push(key);
    else warnings.add(`${file}: ${field}`, 'dropped: not a single OpenSSH public key line');
  };
  // `public_keys` {name: key} is the classic form; `keys` [{name, type, data}] came later with the same keys.
  if (json.public_keys !== undefined && json.public_keys !== null) {
    for (const [name, key] of Object.entries(f.object(json.public_keys, 'public_keys'))) addKey(key, `public_keys.${name}`);
  }
  for (const [i, raw] of f.array(json.keys, 'keys').entries()) {
    const o = f.object(raw, `keys[${i}]`);
    if (o.type === undefined || o.type === 'ssh') addKey(o.data, `keys[${i}].data`);
  }
  return { uuid: text('uuid'), name: text('name'), hostname: text('hostname'), publicKeys: [...new Set(keys)] };
}
