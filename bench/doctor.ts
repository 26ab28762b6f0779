/**
 * The `doctor` part of npm run bench, in a lab subnet (root only): the whole
 * `dist/v6agent doctor` process on a healthy SLAAC guest configured by
 * `v6agent apply` + ifup, from kernel facts (the kernel processed the RA, so
 * no Router Solicitation is sent), and with --no-probe. Target: ≤ 150 ms.
 */
import { join, resolve } from 'node:path';
import { Lab } from '../test/lab/lab.js';
import { writeLabDrive } from '../test/lab/drive.js';

const BIN = resolve('dist/v6agent');
const MAC = 'fa:16:3e:5c:d0:02';

async function timeInGuest(lab: Lab, argv: string[]): Promise<{ ms: number; stdout: string }> {
  // Time inside the namespace, so `ip netns exec` and the mounts are not counted.
  const script = 's=$(date +%s%N); out=$("$@"); e=$(date +%s%N); printf "%s\\n%s" "$(( (e - s) / 1000 ))" "$out"';
  const { stdout } = await lab.inGuest(['sh', '-c', script, 'sh', ...argv]);
  const [us, ...rest] = stdout.split('\n');
  return { ms: Number(us) / 1000, stdout: rest.join('\n') };
}

export async function benchDoctor(runs: number): Promise<Record<string, number[]>> {
  const lab = await Lab.create({ mode: 'slaac', ipv4: false, guestMac: MAC, mtu: 1450 });
  try {
    const drive = writeLabDrive(join(lab.dir, 'drive'), { mode: 'slaac', ipv4: false, mac: MAC });
    await lab.inGuest([BIN, 'apply', '--config-drive', drive, '--root', lab.guestRoot, '--distro', 'debian', '--stack', 'eni', '--iface', `${MAC}=eth0`]);
    await lab.inGuest(['sysctl', '-q', '-p', '/etc/sysctl.d/60-v6agent-eth0.conf']);
    await lab.inGuest(['ifup', '--state-dir', '/run/network', 'eth0'], 20_000);
    // Wait until SLAAC and DAD are done, so the guest really is healthy.
    for (let i = 0; ; i++) {
      const r = JSON.parse((await timeInGuest(lab, [BIN, 'doctor', '--json', '--no-probe', '--config-drive', drive])).stdout);
      if (!r.checks.some((c: { status: string }) => c.status !== 'ok')) break;
      if (i > 100) throw new Error(`bench doctor: the guest never became healthy: ${JSON.stringify(r.checks.filter((c: { status: string }) => c.status !== 'ok'))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const series: Record<string, number[]> = { kernel: [], noProbe: [] };
    for (let i = 0; i < runs + 3; i++) {
      const kernel = await timeInGuest(lab, [BIN, 'doctor', '--json', '--config-drive', drive]);
      const noProbe = await timeInGuest(lab, [BIN, 'doctor', '--json', '--no-probe', '--config-drive', drive]);
      const checks = JSON.parse(kernel.stdout).checks as { status: string }[];
      if (checks.some((c) => c.status !== 'ok')) throw new Error('bench doctor: the healthy guest reported a problem');
      if (i < 3) continue; // warm-up
      series.kernel!.push(kernel.ms);
      series.noProbe!.push(noProbe.ms);
    }
    return series;
  } finally {
    lab.destroySync();
  }
}
