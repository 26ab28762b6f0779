/**
 * The `ra` part of npm run bench, in a lab subnet (root only): the whole
 * `dist/v6agent ra` process on the wire and from the kernel's cache, against
 * the same router's RS→RA latency measured in the same run by rdisc6 (ndisc6),
 * a small C tool whose process time is little more than that exchange.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Lab } from '../test/lab/lab.js';
import { linkUp } from '../test/lab/guest.js';

const run = promisify(execFile);
const BIN = resolve('dist/v6agent');

async function timeInGuest(lab: Lab, argv: string[]): Promise<{ ms: number; stdout: string }> {
  // Time inside the namespace, so `ip netns exec` and the mounts are not counted.
  const script = 's=$(date +%s%N); out=$("$@"); e=$(date +%s%N); printf "%s\\n%s" "$(( (e - s) / 1000 ))" "$out"';
  const { stdout } = await lab.inGuest(['sh', '-c', script, 'sh', ...argv]);
  const [us, ...rest] = stdout.split('\n');
  return { ms: Number(us) / 1000, stdout: rest.join('\n') };
}

export async function benchRa(runs: number): Promise<Record<string, unknown>> {
  const lab = await Lab.create({ mode: 'dhcpv6-stateless', ipv4: false, guestMac: 'fa:16:3e:5c:d0:01', mtu: 1450 });
  try {
    await linkUp(lab);
    const series: Record<string, number[]> = { wire: [], kernel: [], rdisc6: [], rsToRa: [] };
    for (let i = 0; i < runs + 3; i++) {
      const wire = await timeInGuest(lab, [BIN, 'ra', 'eth0', '--wire', '--json']);
      const kernel = await timeInGuest(lab, [BIN, 'ra', 'eth0', '--json']);
      const rdisc6 = await timeInGuest(lab, ['rdisc6', '-1', '-q', '-r', '1', '-w', '3000', 'eth0']);
      const w = JSON.parse(wire.stdout).interfaces[0];
      const k = JSON.parse(kernel.stdout).interfaces[0];
      if (w.source !== 'wire' || k.source !== 'kernel') throw new Error(`bench ra: unexpected sources ${w.source}/${k.source}`);
      if (i < 3) continue; // warm-up
      series.wire!.push(wire.ms);
      series.kernel!.push(kernel.ms);
      series.rdisc6!.push(rdisc6.ms);
      series.rsToRa!.push(w.routers[0].afterMs ?? NaN);
    }
    return series;
  } finally {
    await lab.destroy();
  }
}
