/**
 * The lab's metadata service: test/lab/metadata-server.mjs run inside the
 * router namespace, reachable the ways Neutron makes it reachable:
 *
 * - `on-link`: fe80::a9fe:a9fe is the address of a port of its own on the
 *   bridge, answered by neighbour discovery (ML2/OVN's ovnmeta- namespace, the
 *   DHCP namespace);
 * - `routed`: no one owns the address on the link; the router takes packets
 *   for it (a local route, as Neutron's qrouter REDIRECTs them to haproxy), and
 *   radvd announces `route fe80::a9fe:a9fe/128` (ML2/OVS);
 * - `none`: nothing serves IPv6.
 *
 * With `ipv4`, 169.254.169.254 is on the router's bridge too (the router
 * namespace only; link-local, never routed anywhere).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Lab } from './lab.js';

const run = promisify(execFile);
// From the repository root, where tests and the bench run (the bench bundles this file elsewhere).
const SCRIPT = resolve('test/lab/metadata-server.mjs');

export interface ServedInstance {
  readonly mac: string;
  readonly meta: Record<string, unknown>;
  readonly network?: Record<string, unknown>;
  readonly userData?: string;
}

export interface ServerOptions {
  readonly ipv6: 'on-link' | 'routed' | 'none';
  readonly ipv4?: boolean;
  readonly instances: readonly ServedInstance[];
  /** Statuses to answer first, per path (then the real answer). */
  readonly faults?: Readonly<Record<string, readonly number[]>>;
  /** Paths answered with 10 MiB. */
  readonly huge?: readonly string[];
}

export interface LoggedRequest {
  readonly path: string;
  readonly remote: string;
  readonly status: number;
  readonly host?: string;
  readonly huge?: boolean;
}

export class MetadataServer {
  readonly requests: LoggedRequest[] = [];
  private constructor(private readonly child: ChildProcess) {}

  static async start(lab: Lab, opts: ServerOptions): Promise<MetadataServer> {
    const R = lab.router;
    if (opts.ipv6 === 'on-link') {
      // A port of its own on the bridge (not the router's: radvd would send RAs from it), as a DHCP namespace's tap.
      await run('ip', ['-n', R, 'link', 'add', 'md0', 'type', 'veth', 'peer', 'name', 'mp0']);
      await run('ip', ['-n', R, 'link', 'set', 'mp0', 'master', 'br0', 'up']);
      await run('ip', ['-n', R, 'addr', 'add', 'fe80::a9fe:a9fe/128', 'dev', 'md0', 'nodad']);
      await run('ip', ['-n', R, 'link', 'set', 'md0', 'up']);
    }
    if (opts.ipv6 === 'routed') await run('ip', ['-n', R, '-6', 'route', 'add', 'local', 'fe80::a9fe:a9fe/128', 'dev', 'br0', 'table', 'local']);
    if (opts.ipv4) await run('ip', ['-n', R, 'addr', 'add', '169.254.169.254/32', 'dev', 'br0']);
    const config = { instances: opts.instances, faults: opts.faults, huge: opts.huge };
    const child = spawn('ip', ['netns', 'exec', R, process.execPath, SCRIPT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const server = new MetadataServer(child);
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`metadata server exited ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const v = JSON.parse(line);
        if (v.listening) resolve();
        else server.requests.push(v);
      });
    });
    return server;
  }

  /** Requests for one path, in order. */
  for(path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  stop(): void {
    if (this.child.pid && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

/**
 * argv that runs `argv` in the guest with its own /root and /home (under
 * `priv`) and an empty /sys/class/block: no config drive, and SSH keys never
 * reach the host's home directories.
 */
export function privateGuestArgv(priv: string, argv: readonly string[]): string[] {
  const setup = [`mount -n --bind ${priv}/root /root`, `mount -n --bind ${priv}/home /home`, `mount -n --bind ${priv}/noblock /sys/class/block`, 'exec "$@"'].join(' && ');
  return ['sh', '-c', setup, 'sh', ...argv];
}

/** Make the directories privateGuestArgv mounts. */
export function makePrivate(priv: string): void {
  for (const d of ['root', 'home', 'noblock']) mkdirSync(join(priv, d), { recursive: true });
}
