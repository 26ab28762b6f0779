/**
 * Boot to IPv6-ready and to host-name-set of the same Debian 12 image
 * (ifupdown + Debian's cloud-init: the ConfigDrive datasource, or OpenStack's
 * metadata service on the case without a drive) with
 * v6agent installed and without it (cloud-init alone configures the network),
 * on the IPv6-only SLAAC and DHCPv6-stateless cases with a config drive and
 * on an IPv6-only SLAAC instance with no drive (the metadata service at
 * fe80::a9fe:a9fe only), alternating, in one run. Uses the VM test's
 * machinery (test/vm); bundled and run by bench/boot.mjs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabMode } from '../test/lab/lab.js';
import { assembleRootfs, baseImage, type Rootfs, type Variant } from '../test/vm/image.js';
import { accelerator, bootVm, type GuestReport, type VmCase } from '../test/vm/vm.js';

const RUNS = Number(process.env.BENCH_VM_RUNS ?? 2);
const CASES: { name: string; mode: LabMode; drive: VmCase['drive'] }[] = [
  { name: 'IPv6-only SLAAC', mode: 'slaac', drive: 'iso9660' },
  { name: 'IPv6-only DHCPv6-stateless', mode: 'dhcpv6-stateless', drive: 'iso9660' },
  { name: 'IPv6-only SLAAC, no drive', mode: 'slaac', drive: { metadata: 'on-link' } },
];
type Tool = 'v6agent' | 'cloud-init';

/** A boot that never got there counts as the slowest. */
const median = (xs: number[]): number => {
  const s = xs.map((x) => (Number.isNaN(x) ? Infinity : x)).sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, QEMU on a tap)';
  const missing = ['qemu-system-x86_64', 'mmdebstrap', 'genisoimage', 'radvd', 'dnsmasq'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `missing ${missing.join(', ')} (test/vm/prereqs.sh installs them)` : undefined;
}

export async function main(): Promise<void> {
  const why = unavailable();
  if (why) {
    console.log(`VM boot bench skipped: ${why}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'v6agent-bootbench-'));
  try {
    const t0 = performance.now();
    const base = baseImage('ifupdown-cloud-init');
    // cloud-init is told where to look, one datasource each (ds-identify then uses it as is): the drive, or the
    // metadata service. Two candidates would make ds-identify probe, before the test kernel has loaded the cdrom's driver.
    const sources = (list: string): Variant => ({ name: list.toLowerCase(), files: { 'etc/cloud/cloud.cfg.d/95-v6agent-bench.cfg': `datasource_list: [${list}, None]\n` } });
    const images: Record<Tool | 'cloud-init-nodrive', Rootfs> = {
      v6agent: assembleRootfs(base, work, true),
      'cloud-init': assembleRootfs(base, work, false, sources('ConfigDrive')),
      'cloud-init-nodrive': assembleRootfs(base, work, false, sources('OpenStack')),
    };
    const accel = accelerator();
    console.log(`VM boot bench: image ${base.buildMs ? `built in ${(base.buildMs / 1000).toFixed(0)} s` : 'cached'}, both disks ready after ${((performance.now() - t0) / 1000).toFixed(0)} s; ${accel}; ${RUNS} run(s) per case and tool, alternating`);
    const ready = new Map<string, number[]>();
    const named = new Map<string, number[]>();
    const wrote = new Map<string, GuestReport>();
    let serial = 0;
    for (let run = 0; run < RUNS; run++) {
      for (const c of CASES) {
        const order: Tool[] = (run + serial) % 2 ? ['cloud-init', 'v6agent'] : ['v6agent', 'cloud-init'];
        for (const tool of order) {
          const mac = `fa:16:3e:be:${(serial >> 8).toString(16).padStart(2, '0')}:${(serial & 0xff).toString(16).padStart(2, '0')}`;
          serial++;
          const { report, lab } = await bootVm({ name: `bench-${serial}`, mode: c.mode, ipv4: false, drive: c.drive, mac }, images[tool === 'cloud-init' && typeof c.drive === 'object' ? 'cloud-init-nodrive' : tool], accel, 420_000);
          await lab.destroy();
          const key = `${c.name}|${tool}`;
          const seconds = report.ready ?? Number.NaN;
          const hostname = report.hostnameSet ?? Number.NaN;
          ready.set(key, [...(ready.get(key) ?? []), seconds]);
          named.set(key, [...(named.get(key) ?? []), hostname]);
          if (!wrote.has(key)) wrote.set(key, report);
          const at = (x: number, never: string): string => (Number.isNaN(x) ? never : `${x.toFixed(1)} s`);
          console.log(`  ${c.name}, ${tool}: IPv6-ready at ${at(seconds, 'never (120 s)')}, host name set at ${at(hostname, 'never')} guest uptime`);
        }
      }
    }
    const fmt = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(1)} s` : 'never');
    for (const [what, table] of [['IPv6-ready', ready], ['host name set', named]] as const) {
      console.log(`\n${what.padEnd(30)}v6agent (median)  cloud-init (median)  ratio`);
      for (const c of CASES) {
        const a = median(table.get(`${c.name}|v6agent`)!);
        const b = median(table.get(`${c.name}|cloud-init`)!);
        console.log(`${c.name.padEnd(30)}${fmt(a).padEnd(18)}${fmt(b).padEnd(21)}${Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '-'}`);
      }
    }
    console.log('\nwhat each wrote (first run; /etc/network/interfaces*):');
    for (const [key, r] of wrote) console.log(`--- ${key.replace('|', ', ')}\n${r.networkFiles.split('\n').map((l) => `    ${l}`).join('\n')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
