/**
 * NetworkManager, live (the cloud-init `runcmd` case): tell NM about the
 * profiles just written and bring each changed interface to its profile
 * without taking the device down. `nmcli device reapply` keeps the link and
 * the addresses it keeps; switching the device to another profile (cloud-init's
 * is active) needs `nmcli connection up`, which deactivates the device first —
 * done only where neither the default route nor an SSH session runs over it
 * (the one guard, facts/sshSessions.ts, doctor --fix uses too). Where one does,
 * the new profile's IPv6 settings are reapplied onto the running connection
 * instead (`nmcli device modify`: a reapply, the device stays up) and the
 * switch itself is left for the next activation; only if NM refuses that is
 * it reported as the command to run by hand. A removed profile that is
 * still active there stays loaded until then: unloading it would disconnect.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Warnings } from '../errors.js';
import type { LiveResult, ReloadAction } from './live.js';
import { runTool } from './tool.js';
import { netlinkSnapshots, type NetSnapshot } from './usable.js';
import { sessionOn, sshSessions } from '../facts/sshSessions.js';
import type { FileResult } from './write.js';

/** The profile NM should run on an interface: its keyfile and that keyfile's uuid. */
export interface NmProfile {
  readonly iface: string;
  readonly path: string;
}

const NMCLI_WAIT = ['nmcli', '--wait', '30'];

function nmcliGet(args: readonly string[]): string[] {
  const r = spawnSync('nmcli', ['-t', ...args], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trimEnd().split('\n').filter(Boolean) : [];
}

/** `uuid=` of a keyfile's [connection] section. */
export function keyfileUuid(text: string): string | undefined {
  return /^uuid=([0-9a-fA-F-]{36})\s*$/m.exec(text)?.[1]?.toLowerCase();
}

/** The uuid of the profile active on `iface`, per NM. */
function activeUuid(iface: string): string | undefined {
  return nmcliGet(['-g', 'GENERAL.CON-UUID', 'device', 'show', iface])[0]?.trim() || undefined;
}

/**
 * Why `iface` must not be deactivated now (facts/sshSessions.ts: the default
 * route, or an SSH session on it), or why that cannot be told — which counts
 * as a reason too: a device is only taken down when it is known to be safe.
 */
function sessionNow(iface: string, look: (() => NetSnapshot) | Error): string | undefined {
  const unknown = (why: string): string => `${iface}: cannot tell whether a session runs over it (${why})`;
  const sessions = sshSessions();
  if (sessions.error) return unknown(sessions.error);
  let now: NetSnapshot;
  try {
    if (look instanceof Error) throw look;
    now = look();
  } catch (e) {
    return unknown(`addresses and routes could not be read: ${(e as Error).message.split('\n')[0]}`);
  }
  return sessionOn(iface, now.routes, now.addresses, sessions.addresses);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const readUuid = (path: string): string | undefined => keyfileUuid(readText(path));

/** One keyfile section as key → value (nm-settings-keyfile(5): INI, `#` comments). */
export function keyfileSection(text: string, section: string): Map<string, string> {
  const out = new Map<string, string>();
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) inside = head[1] === section;
    else if (inside && line.includes('=')) out.set(line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1));
  }
  return out;
}

const list = (v: string | undefined): string => (v ?? '').split(';').filter(Boolean).join(',');

/**
 * `nmcli device modify` arguments that give a running connection a keyfile's
 * [ipv6] settings (nm-settings-nmcli(5) names; lists it lacks are cleared).
 */
export function ipv6Modify(text: string): string[] {
  const k = keyfileSection(text, 'ipv6');
  const numbered = (prefix: string): string[] => [...k.keys()].filter((key) => new RegExp(`^${prefix}\\d+$`).test(key)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
  const addresses = numbered('address').map((key) => k.get(key)!.split(',')[0]!);
  const routes = numbered('route').map((key) => {
    const [dest, via, metric] = k.get(key)!.split(',');
    return [dest, via, metric, ...(k.get(`${key}_options`) ?? '').split(',').filter(Boolean)].filter(Boolean).join(' ');
  });
  const args: string[] = [];
  for (const key of ['method', 'addr-gen-mode', 'ip6-privacy', 'may-fail']) if (k.has(key)) args.push(`ipv6.${key}`, k.get(key)!);
  args.push('ipv6.addresses', addresses.join(', '), 'ipv6.gateway', k.get('gateway') ?? '', 'ipv6.routes', routes.join(', '));
  args.push('ipv6.dns', list(k.get('dns')), 'ipv6.dns-search', list(k.get('dns-search')));
  return args;
}

export async function reloadNm(profiles: readonly NmProfile[], files: readonly FileResult[], confChanged: boolean, warnings: Warnings): Promise<{ actions: ReloadAction[]; notes: string[] }> {
  const look = await netlinkSnapshots().catch((e: Error) => e);
  const actions: ReloadAction[] = [];
  const notes: string[] = [];
  const written = files.filter((f) => (f.status === 'created' || f.status === 'changed') && f.path.endsWith('.nmconnection'));
  const loads = new Set([...written.map((f) => f.path), ...profiles.map((p) => p.path)]);
  for (const path of loads) actions.push(runTool('NetworkManager', ['nmcli', 'connection', 'load', path], warnings));
  if (confChanged) actions.push(runTool('NetworkManager', ['nmcli', 'general', 'reload', 'conf'], warnings));
  // Profiles whose files were removed, and the device each is active on (before anything changes).
  const removed = new Set(files.filter((f) => f.status === 'removed' && f.path.endsWith('.nmconnection')).map((f) => f.path));
  const loaded = nmcliGet(['-f', 'UUID,FILENAME,DEVICE', 'connection', 'show']).map((l) => l.split(/(?<!\\):/).map((s) => s.replace(/\\:/g, ':')));
  const kept = new Set<string>();
  for (const p of profiles) {
    const uuid = readUuid(p.path);
    if (!uuid) {
      warnings.add(p.iface, `no uuid in ${p.path}: not activated live`);
      continue;
    }
    if (activeUuid(p.iface) === uuid) {
      const r = runTool(p.iface, [...NMCLI_WAIT, 'device', 'reapply', p.iface], warnings);
      actions.push(r);
      if (r.status !== 'failed') continue;
    }
    const up = [...NMCLI_WAIT, 'connection', 'up', uuid, 'ifname', p.iface];
    const busy = sessionNow(p.iface, look);
    if (busy) {
      for (const [u, file, dev] of loaded) if (dev === p.iface && u) kept.add(file ?? '');
      const modify = runTool(p.iface, [...NMCLI_WAIT, 'device', 'modify', p.iface, ...ipv6Modify(readText(p.path))], warnings);
      actions.push(modify);
      if (modify.status !== 'failed') {
        notes.push(`${p.iface}: ${busy}, so its running connection got the new IPv6 settings in place; the profile ${uuid} takes over at the next activation (\`${up.join(' ')}\`, or a reboot)`);
        continue;
      }
      actions.push({ what: p.iface, from: undefined, to: up.join(' '), status: 'manual' });
      notes.push(`${p.iface}: not switched to its new profile live, because ${busy} and \`nmcli connection up\` deactivates the device first; run \`${up.join(' ')}\` from a console, or reboot`);
      continue;
    }
    actions.push(runTool(p.iface, up, warnings, 60_000));
  }
  for (const path of removed) {
    if (kept.has(path)) notes.push(`${path} is removed on disk but NetworkManager keeps running it on its device until the switch above`);
    else if (loaded.some(([, file]) => file === path)) actions.push(runTool('NetworkManager', ['nmcli', 'connection', 'load', path], warnings));
  }
  return { actions, notes };
}
