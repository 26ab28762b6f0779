/**
 * At boot no network manager has started and links are down. Probing the
 * routers needs a link that is up (the Router Solicitation has to leave it);
 * nothing more: no addresses, no routes — the network manager that starts
 * next does the rest, and an already-up link is left alone.
 */
import { spawnSync } from 'node:child_process';
import type { Warnings } from '../errors.js';
import type { LiveResult } from './live.js';

export interface LinkState {
  readonly name: string;
  readonly up: boolean;
}

export function bringLinksUp(links: readonly LinkState[], warnings: Warnings): LiveResult[] {
  return links.map((l) => {
    if (l.up) return { what: `link ${l.name}`, from: 'up', to: 'up', status: 'unchanged' };
    const r = spawnSync('ip', ['link', 'set', 'dev', l.name, 'up'], { encoding: 'utf8', timeout: 5000 });
    if (r.status === 0) return { what: `link ${l.name}`, from: 'down', to: 'up', status: 'changed' };
    warnings.add(l.name, `link not brought up for the router probe: ${(r.error?.message ?? r.stderr.trim()) || `ip exited ${r.status}`}`);
    return { what: `link ${l.name}`, from: 'down', to: 'up', status: 'failed' };
  });
}
