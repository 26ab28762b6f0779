/**
 * The normalized instance cache, /run/v6agent/instance.json (0600): what the
 * last apply learnt and from where, for `v6agent metadata --cached` and other
 * tools. Keyed on the instance id (meta_data.json `uuid`), which nova also
 * puts in SMBIOS: /sys/class/dmi/id/product_uuid (nova virt/libvirt/driver.py
 * `_get_guest_config_sysinfo`), so the id can be checked offline.
 */
import { readFileSync } from 'node:fs';
import { badInput } from '../errors.js';
import type { Instance } from '../model/instance.js';

export const CACHE_PATH = '/run/v6agent/instance.json';
export const CACHE_VERSION = 1;

export interface CacheFile {
  readonly version: number;
  readonly instanceId: string | undefined;
  readonly writtenAt: string;
  /** DMI product_uuid when readable, and whether it equals the instance id. */
  readonly dmi: { readonly productUuid: string | undefined; readonly matches: boolean | undefined };
  readonly instance: Instance;
}

export function dmiProductUuid(path = '/sys/class/dmi/id/product_uuid'): string | undefined {
  try {
    const v = readFileSync(path, 'utf8').trim().toLowerCase();
    return /^[0-9a-f-]{32,36}$/.test(v) ? v : undefined;
  } catch {
    return undefined; // not a VM with SMBIOS, or not root (the file is 0400)
  }
}

export function cacheFile(instance: Instance, now: Date, productUuid = dmiProductUuid()): CacheFile {
  const id = instance.uuid?.toLowerCase();
  return {
    version: CACHE_VERSION,
    instanceId: instance.uuid,
    writtenAt: now.toISOString(),
    dmi: { productUuid, matches: productUuid && id ? productUuid === id : undefined },
    instance,
  };
}

export function readCache(path = CACHE_PATH): CacheFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw badInput(path, undefined, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found: no apply has run on this boot' : `cannot read: ${(e as Error).message}`, e);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw badInput(path, undefined, `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || (v as CacheFile).version !== CACHE_VERSION || typeof (v as CacheFile).instance !== 'object') {
    throw badInput(path, 'version', `is not a version ${CACHE_VERSION} v6agent cache`);
  }
  return v as CacheFile;
}
