/**
 * The VM test's disk images. The base (Debian packages, per stack) is built
 * once by build-image.sh and cached under /var/cache/v6agent-test/<hash>, the
 * hash of the script and its inputs. Per run, the base is unpacked, the built
 * dist/v6agent is baked in with `v6agent install --root` (the product's own
 * path) plus the test-only report unit, and packed with `mkfs.ext4 -d` (no loop
 * mounts). Boots use `-snapshot`, so every case starts from the same disk.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../bin.js';

export const CACHE = process.env.V6AGENT_VM_CACHE ?? '/var/cache/v6agent-test';
const SCRIPT = 'test/vm/build-image.sh';

export type ImageStack = 'ifupdown' | 'ifupdown-cloud-init' | 'netplan' | 'networkmanager';

export interface BaseImage {
  readonly dir: string;
  /** How long building took now (0 when it came from the cache). */
  readonly buildMs: number;
}

function imageDir(stack: ImageStack): string {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).update(`\0${stack}`).digest('hex').slice(0, 16);
  return join(CACHE, `${stack}-${hash}`);
}

/** The cached base image for `stack`, built if missing. */
export function baseImage(stack: ImageStack): BaseImage {
  const dir = imageDir(stack);
  if (existsSync(join(dir, 'rootfs.tar'))) return { dir, buildMs: 0 };
  mkdirSync(CACHE, { recursive: true });
  const t0 = performance.now();
  const r = spawnSync('bash', [SCRIPT, dir, stack], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`building the ${stack} VM image failed (${SCRIPT}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  dropStale(stack, dir);
  return { dir, buildMs: performance.now() - t0 };
}

/** Images of this stack from older inputs are of no further use (each is ~600 MB). */
function dropStale(stack: ImageStack, dir: string): void {
  const stale = new RegExp(`^${stack}-[0-9a-f]{16}$`);
  for (const name of readdirSync(CACHE)) if (stale.test(name) && join(CACHE, name) !== dir) rmSync(join(CACHE, name), { recursive: true, force: true });
}

/**
 * Build the missing base images of `stacks` side by side (mostly downloads and
 * dpkg: together they take little more than the slowest alone). Returns each
 * stack's build time (0: from the cache); baseImage then finds them cached.
 */
export async function buildImages(stacks: readonly ImageStack[]): Promise<Map<ImageStack, number>> {
  mkdirSync(CACHE, { recursive: true });
  const times = new Map<ImageStack, number>();
  await Promise.all(
    stacks.map(async (stack) => {
      const dir = imageDir(stack);
      if (existsSync(join(dir, 'rootfs.tar'))) return times.set(stack, 0);
      const t0 = performance.now();
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', [SCRIPT, dir, stack], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (c) => resolve({ code: c, stderr: err }));
      });
      if (code !== 0) throw new Error(`building the ${stack} VM image failed (${SCRIPT}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
      dropStale(stack, dir);
      return times.set(stack, performance.now() - t0);
    }),
  );
  return times;
}

/**
 * The uncompressed kernel inside a bzImage, as the kernel's
 * scripts/extract-vmlinux finds it: the setup header gives the payload's
 * offset and length (boot protocol ≥ 2.08), and the payload is a compressed ELF.
 * QEMU boots an ELF vmlinux through its PVH entry point, which skips the
 * decompressor — slow under TCG.
 */
export function extractVmlinux(bzImage: string, out: string): void {
  if (existsSync(out)) return;
  const img = readFileSync(bzImage);
  if (img.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new Error(`${bzImage}: not a bzImage (no HdrS header)`);
  const setupSects = img[0x1f1] || 4;
  const offset = (setupSects + 1) * 512 + img.readUInt32LE(0x248);
  const payload = img.subarray(offset, offset + img.readUInt32LE(0x24c));
  const tools: [Buffer, string[]][] = [
    [Buffer.from('fd377a585a00', 'hex'), ['xz', '-dc', '--single-stream']],
    [Buffer.from('28b52ffd', 'hex'), ['zstd', '-dc']],
    [Buffer.from('1f8b', 'hex'), ['gzip', '-dc']],
    [Buffer.from('02214c18', 'hex'), ['lz4', '-dc']],
  ];
  const tool = tools.find(([magic]) => payload.subarray(0, magic.length).equals(magic));
  if (!tool) throw new Error(`${bzImage}: unknown payload compression (magic ${payload.subarray(0, 6).toString('hex')})`);
  const elf = execFileSync(tool[1][0]!, tool[1].slice(1), { input: payload, maxBuffer: 512 * 1024 * 1024 });
  if (elf.toString('latin1', 1, 4) !== 'ELF') throw new Error(`${bzImage}: the payload did not decompress to an ELF`);
  writeFileSync(`${out}.tmp`, elf);
  execFileSync('mv', [`${out}.tmp`, out]);
}

/** Prints the guest's state on the second serial port once IPv6 is ready (or 120 s passed), then powers off. */
const REPORT_SCRIPT = `#!/bin/sh
# v6agent VM test only: never part of the product.
ready_now() { ip -6 addr show scope global -tentative | grep -q inet6 && ip -6 route show default | grep -q default; }
ready=none
i=0
while [ $i -lt 1200 ]; do
  if ready_now; then ready=$(cut -d' ' -f1 /proc/uptime); break; fi
  sleep 0.1; i=$((i+1))
done
timeout 120 systemctl is-system-running --wait >/dev/null 2>&1
# And until networkd / NetworkManager say they have configured the links.
systemctl -q is-active systemd-networkd.service && /lib/systemd/systemd-networkd-wait-online --ipv6 -o routable --timeout=60 -q
systemctl -q is-active NetworkManager.service && nm-online -s -q -t 60
# The network manager that starts after v6agent may take the link over and redo
# what the kernel did (networkd flushes the kernel's SLAAC address and runs its
# own): the figure is when the state the report shows was reached.
if [ "$ready" != none ] && ! ready_now; then
  ready=none; i=0
  while [ $i -lt 600 ]; do
    if ready_now; then ready=$(cut -d' ' -f1 /proc/uptime); break; fi
    sleep 0.1; i=$((i+1))
  done
fi
sec() { echo "=== $1"; }
{
  sec ready; echo "$ready"
  sec uptime; cut -d' ' -f1 /proc/uptime
  sec addr; ip -j addr
  sec route6; ip -j -6 route
  sec route4; ip -j -4 route
  sec resolv; cat /etc/resolv.conf
  sec hostname; hostname
  sec hostname-set; cat /run/v6agent-vm-hostname-set 2>/dev/null || echo none
  sec etc-hostname; cat /etc/hostname
  sec keys; cat /root/.ssh/authorized_keys
  sec unit; systemctl show v6agent.service -p Result -p ExecMainStatus -p ActiveState
  sec journal; journalctl -b -u v6agent.service -o cat --no-pager
  sec ps; ps -eo args
  sec dhcp6-clients; ss -Hulpn 'sport = :546' 2>&1
  sec sysctl; sysctl -a 2>/dev/null | grep -E 'net.ipv6.conf.*(use_tempaddr|addr_gen_mode|accept_ra |autoconf)'
  sec failed; systemctl --failed --no-legend --plain
  sec instance-id; cat /var/lib/v6agent/instance-id
  sec network-files; grep -rH '' /etc/network/interfaces /etc/network/interfaces.d /etc/netplan /etc/systemd/network /run/systemd/network /etc/NetworkManager/system-connections 2>/dev/null
  sec resolved; resolvectl dns 2>/dev/null
  sec stack; systemctl is-active networking.service systemd-networkd.service NetworkManager.service 2>/dev/null
  sec links; ip -j -d link
  sec cloud-init; grep -h -E 'ds-identify|datasource|DataSource|hostname' /run/cloud-init/ds-identify.log /var/log/cloud-init.log 2>/dev/null | tail -n 40
  sec end
} >/dev/ttyS1 2>&1
systemctl poweroff
`;

/** What build-image.sh writes to /etc/hostname. */
const IMAGE_HOSTNAME = 'v6agent-test-image';

/** Records the guest uptime when the host name first changes from the image's (v6agent's or cloud-init's), for the boot bench. */
const HOSTNAME_WATCH = `#!/bin/sh
# v6agent VM test only: never part of the product. Builtins only (read), but sleep.
i=0
while [ $i -lt 3000 ]; do
  read -r now </proc/sys/kernel/hostname
  if [ "$now" != ${IMAGE_HOSTNAME} ]; then read -r up _ </proc/uptime; echo "$up" >/run/v6agent-vm-hostname-set; exit 0; fi
  sleep 0.05; i=$((i+1))
done
`;

const HOSTNAME_UNIT = `[Unit]
Description=v6agent VM test: note when the host name is set
DefaultDependencies=no
After=systemd-remount-fs.service
Before=sysinit.target cloud-init-local.service v6agent.service

[Service]
Type=simple
ExecStart=/usr/local/sbin/v6agent-vm-hostname-watch

[Install]
WantedBy=sysinit.target
`;

const REPORT_UNIT = `[Unit]
Description=v6agent VM test: report the guest's state on ttyS1, then power off
DefaultDependencies=no
After=local-fs.target v6agent.service

[Service]
Type=simple
ExecStart=/usr/local/sbin/v6agent-vm-report

[Install]
WantedBy=multi-user.target
`;

export interface Rootfs {
  readonly image: string;
  readonly vmlinux: string;
  readonly initrd: string;
  readonly assembleMs: number;
  readonly installOutput: string;
}

/** Files a variant of an image adds (path in the tree → content), and the name of its disk. */
export interface Variant {
  readonly name: string;
  readonly files: Readonly<Record<string, string>>;
}

/** Unpack the base, `v6agent install --root` (unless `withV6agent` is false: the benchmark's cloud-init-only image), add the report unit and the variant's files, pack as ext4. */
export function assembleRootfs(base: BaseImage, workDir: string, withV6agent = true, variant?: Variant): Rootfs {
  const t0 = performance.now();
  const tree = mkdtempSync(join(workDir, 'tree-'));
  try {
    execFileSync('tar', ['-xf', join(base.dir, 'rootfs.tar'), '-C', tree]);
    const install = withV6agent ? spawnSync(BIN, ['install', '--root', tree], { encoding: 'utf8' }) : { status: 0, stdout: '', stderr: '' };
    if (install.status !== 0) throw new Error(`v6agent install --root failed: ${install.stderr}`);
    mkdirSync(join(tree, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    writeFileSync(join(tree, 'usr/local/sbin/v6agent-vm-report'), REPORT_SCRIPT);
    chmodSync(join(tree, 'usr/local/sbin/v6agent-vm-report'), 0o755);
    writeFileSync(join(tree, 'etc/systemd/system/v6agent-vm-report.service'), REPORT_UNIT);
    symlinkSync('/etc/systemd/system/v6agent-vm-report.service', join(tree, 'etc/systemd/system/multi-user.target.wants/v6agent-vm-report.service'));
    writeFileSync(join(tree, 'usr/local/sbin/v6agent-vm-hostname-watch'), HOSTNAME_WATCH);
    chmodSync(join(tree, 'usr/local/sbin/v6agent-vm-hostname-watch'), 0o755);
    writeFileSync(join(tree, 'etc/systemd/system/v6agent-vm-hostname-watch.service'), HOSTNAME_UNIT);
    mkdirSync(join(tree, 'etc/systemd/system/sysinit.target.wants'), { recursive: true });
    symlinkSync('/etc/systemd/system/v6agent-vm-hostname-watch.service', join(tree, 'etc/systemd/system/sysinit.target.wants/v6agent-vm-hostname-watch.service'));
    for (const [path, text] of Object.entries(variant?.files ?? {})) writeFileSync(join(tree, path), text);
    const image = join(workDir, `rootfs${withV6agent ? '' : '-without-v6agent'}${variant ? `-${variant.name}` : ''}.ext4`);
    execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'root', '-d', tree, image, '2G']);
    const vmlinux = join(base.dir, 'vmlinux');
    extractVmlinux(join(base.dir, 'vmlinuz'), vmlinux);
    return { image, vmlinux, initrd: join(base.dir, 'initrd.img'), assembleMs: performance.now() - t0, installOutput: install.stdout };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
