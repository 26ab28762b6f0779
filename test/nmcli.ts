/**
 * NetworkManager's own keyfile reader as a validator, without a daemon:
 * `nmcli --offline connection modify` (NM >= 1.40, present in Debian 12's
 * 1.42) reads a keyfile from stdin with libnm, normalizes and verifies it
 * (exit 1 with the reason, e.g. "ipv6.addresses: this property cannot be
 * empty for 'method=manual'") and prints the profile back as a keyfile.
 *
 * libnm skips unknown keys silently, so the check also requires every
 * key=value we wrote to come back unchanged: a misspelt key or a value NM
 * reads differently fails here. Only keys set to NM's own default are
 * dropped by the round trip; they are listed.
 */
import { spawnSync } from 'node:child_process';

/** Keys we write explicitly although they equal NM 1.42's default, so nmcli leaves them out. */
const DEFAULTS = new Set(['ipv4.may-fail=true', 'ipv6.may-fail=true']);

/** `section.key=value` lines of a keyfile, comments and blank lines left out. */
export function keyfileEntries(text: string): string[] {
  const out: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = head[1]!;
    else out.push(`${section}.${line}`);
  }
  return out;
}

/**
 * NM writes a profile's gateway into its first address (`address1=A,G`); the
 * keyfile reader takes the separate `gateway=G` key as the same thing.
 */
function foldGateway(entries: string[]): string[] {
  const out = [...entries];
  for (const section of ['ipv4', 'ipv6']) {
    const g = out.findIndex((e) => e.startsWith(`${section}.gateway=`));
    const a = out.findIndex((e) => e.startsWith(`${section}.address1=`));
    if (g < 0 || a < 0) continue;
    out[a] = `${out[a]},${out[g]!.slice(`${section}.gateway=`.length)}`;
    out.splice(g, 1);
  }
  return out;
}

export interface NmcliVerdict {
  readonly ok: boolean;
  /** nmcli's error, or the entries that did not come back. */
  readonly problems: string[];
  readonly normalized: string;
}

export function nmcliCheck(text: string): NmcliVerdict {
  const id = /^id=(.*)$/m.exec(text)?.[1] ?? '';
  const r = spawnSync('nmcli', ['--offline', 'connection', 'modify', 'connection.id', id], { input: text, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return { ok: false, problems: [`nmcli exit ${r.status}: ${(r.stderr || r.error?.message || '').trim()}`], normalized: r.stdout ?? '' };
  const back = new Set(keyfileEntries(r.stdout));
  const lost = foldGateway(keyfileEntries(text)).filter((e) => !back.has(e) && !DEFAULTS.has(e));
  return { ok: lost.length === 0, problems: lost.map((e) => `not read back as written: ${e}`), normalized: r.stdout };
}
