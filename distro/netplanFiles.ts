/**
 * The netplan YAML already in a root: which files, which device IDs match
 * which NIC, and the merged `renderer:`. Read-only; the renderer needs the IDs
 * because netplan merges a later file into an earlier definition only under
 * the same ID — a different ID matching the same NIC becomes a second
 * generated file, and networkd applies only the first that matches
 * (netplan doc/structure-id.md; renderers notes §2.3).
 *
 * Search path and shadowing as netplan(5): /lib, /etc, /run /netplan/*.yaml;
 * a same-named file in /run shadows /etc, which shadows /lib; all sorted by name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolveInRoot } from '../agent/apply/rootPath.js';

export const NETPLAN_PATH = '/etc/netplan/90-v6agent.yaml';
const DIRS = ['/lib/netplan', '/etc/netplan', '/run/netplan'];
export const DEVICE_TYPES = ['ethernets', 'vlans', 'bonds', 'bridges', 'wifis', 'tunnels', 'vrfs', 'modems', 'dummy-devices', 'virtual-ethernets'] as const;

export interface NetplanDevice {
  readonly file: string;
  readonly type: string;
  readonly id: string;
  readonly mac: string | undefined;
  readonly matchName: string | undefined;
  readonly setName: string | undefined;
  /** A per-device `renderer:`, which wins over the global one for this definition. */
  readonly renderer: 'networkd' | 'NetworkManager' | undefined;
}

export interface NetplanFiles {
  /** Files in the order netplan reads them (ours excluded: it is rewritten). */
  readonly paths: readonly string[];
  readonly texts: ReadonlyMap<string, string>;
  readonly devices: readonly NetplanDevice[];
  /** The merged global `renderer:` (netplan's default is networkd). */
  readonly renderer: 'networkd' | 'NetworkManager';
  readonly rendererFrom: string | undefined;
  /** Files netplan would refuse (not YAML): reported, never guessed at. */
  readonly unreadable: readonly string[];
  /** Our own file as an earlier run wrote it: definitions of NICs still here are carried over (netplanKeep.ts). */
  readonly own?: string | undefined;
}

export async function readNetplanFiles(root: string): Promise<NetplanFiles> {
  const byName = new Map<string, string>();
  for (const dir of DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(resolveInRoot(root, dir));
    } catch {
      continue;
    }
    for (const name of names) if (name.endsWith('.yaml')) byName.set(name, `${dir}/${name}`);
  }
  const paths = [...byName.keys()].sort().map((n) => byName.get(n)!).filter((p) => p !== NETPLAN_PATH);
  const texts = new Map<string, string>();
  const devices: NetplanDevice[] = [];
  const unreadable: string[] = [];
  let renderer: NetplanFiles['renderer'] = 'networkd';
  let rendererFrom: string | undefined;
  const own = byName.get(NETPLAN_PATH.split('/').pop()!) === NETPLAN_PATH ? readText(resolveInRoot(root, NETPLAN_PATH)) : undefined;
  if (paths.length === 0) return { paths, texts, devices, renderer, rendererFrom, unreadable, own };
  // Loaded only when there is netplan YAML: yaml is our largest module (~8 ms).
  const { parse } = await import('yaml');
  for (const path of paths) {
    let text: string;
    let doc: unknown;
    try {
      text = readFileSync(resolveInRoot(root, path), 'utf8');
      doc = parse(text);
    } catch {
      unreadable.push(path);
      continue;
    }
    texts.set(path, text);
    const network = record(record(doc)?.network);
    if (!network) continue;
    if (network.renderer === 'NetworkManager' || network.renderer === 'networkd') {
      renderer = network.renderer;
      rendererFrom = path;
    }
    for (const type of DEVICE_TYPES) {
      for (const [id, def] of Object.entries(record(network[type]) ?? {})) {
        const match = record(record(def)?.match);
        const r = record(def)?.renderer;
        devices.push({ file: path, type, id, mac: str(match?.macaddress)?.toLowerCase(), matchName: str(match?.name), setName: str(record(def)?.['set-name']), renderer: r === 'NetworkManager' || r === 'networkd' ? r : undefined });
      }
    }
  }
  return { paths, texts, devices, renderer, rendererFrom, unreadable, own };
}

function readText(host: string): string | undefined {
  try {
    return readFileSync(host, 'utf8');
  } catch {
    return undefined;
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
