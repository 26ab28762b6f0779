/**
 * The metadata part of npm run bench, in a lab subnet (root only): an
 * IPv6-only guest with no config drive, the service behind the router as on
 * ML2/OVS (radvd announces the /128; the kernel ignores it, v6agent adds the
 * route itself), and with no service at all. Each run is the whole
 * `dist/v6agent apply` process timed inside the guest namespace: from process
 * start to exit, by which time host name, keys and cache are written.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Lab } from '../test/lab/lab.js';
import { linkUp } from '../test/lab/guest.js';
import { makePrivate, MetadataServer, privateGuestArgv } from '../test/lab/metadata-server.js';
import { servedInstance } from '../test/lab/metadata-instance.js';

const BIN = resolve('dist/v6agent');

async function timeApply(lab: Lab, priv: string, args: string[]): Promise<{ ms: number; code: number; stdout: string }> {
  // Time inside the namespace, so `ip netns exec` and the mounts are not counted.
  const script = 's=$(date +%s%N); out=$("$@"); c=$?; e=$(date +%s%N); printf "%s %s\\n%s" "$(( (e - s) / 1000 ))" "$c" "$out"';
  const { stdout } = await lab.inGuest(privateGuestArgv(priv, ['sh', '-c', script, 'sh', BIN, 'apply', ...args]), 60_000);
  const [head, ...rest] = stdout.split('\n');
  const [us, code] = head!.split(' ').map(Number);
  return { ms: us! / 1000, code: code!, stdout: rest.join('\n') };
}

async function guest(mac: string): Promise<{ lab: Lab; priv: string }> {
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: mac });
  await linkUp(lab);
  const priv = join(lab.dir, 'private');
  makePrivate(priv);
  return { lab, priv };
}

export async function benchMetadata(runs: number, verdictRuns: number): Promise<{ service: number[]; walk: number[]; verdict: number[]; budgetMs: number }> {
  const mac = 'fa:16:3e:6d:b0:01';
  const served = await guest(mac);
  const series = { service: [] as number[], walk: [] as number[], verdict: [] as number[], budgetMs: 10_000 };
  try {
    const server = await MetadataServer.start(served.lab, { ipv6: 'routed', instances: [servedInstance(mac)] });
    try {
      for (let i = 0; i < runs + 3; i++) {
        // Start from nothing written, so every run writes host name, keys and cache.
        for (const p of ['etc/hosts', 'etc/network/interfaces.d']) rmSync(join(served.lab.guestRoot, p), { recursive: true, force: true });
        mkdirSync(join(served.lab.guestRoot, 'etc/network/interfaces.d'));
        // The image's name back (the lab's guest commands start with `hostname -F /etc/hostname`, so it must exist).
        writeFileSync(join(served.lab.guestRoot, 'etc/hostname'), 'localhost\n');
        rmSync(join(served.priv, 'root', '.ssh'), { recursive: true, force: true });
        const r = await timeApply(served.lab, served.priv, ['--json']);
        const report = JSON.parse(r.stdout);
        if (r.code !== 0 || report.discovery?.answered !== 'ipv6') throw new Error(`bench metadata: apply exited ${r.code}, answered ${report.discovery?.answered}`);
        if (i < 3) continue;
        series.service.push(r.ms);
        series.walk.push(report.discovery.elapsedMs);
      }
    } finally {
      server.stop();
    }
  } finally {
    await served.lab.destroy();
  }
  const silent = await guest('fa:16:3e:6d:b0:02');
  try {
    for (let i = 0; i < verdictRuns; i++) {
      const r = await timeApply(silent.lab, silent.priv, ['--json']);
      if (r.code !== 1) throw new Error(`bench metadata: with no service apply exited ${r.code}`);
      series.verdict.push(r.ms);
    }
  } finally {
    await silent.lab.destroy();
  }
  return series;
}
