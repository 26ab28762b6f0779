#!/usr/bin/env bash
# Build the VM test's base image from Debian packages (no loop mounts, no
# network manager configuration of ours): OUT/rootfs.tar, OUT/vmlinuz,
# OUT/initrd.img. The caller caches OUT by a hash of this script and its
# arguments; v6agent itself is installed later, per run, with `v6agent install --root`.
#
#   build-image.sh OUT STACK       STACK: ifupdown | ifupdown-cloud-init | netplan | networkmanager
set -euo pipefail
out=$1
stack=$2
case "$stack" in
  # ifenslave: what ifupdown's bond-* options need (the stock kernel has the bonding driver).
  ifupdown) stack_pkgs=ifupdown,isc-dhcp-client,ifenslave ;;
  # The benchmark's image: the same, plus Debian's cloud-init (ConfigDrive, then OpenStack's metadata service).
  ifupdown-cloud-init) stack_pkgs=ifupdown,isc-dhcp-client,cloud-init ;;
  # What Debian 12's cloud images run: netplan driving systemd-networkd (part of
  # the systemd package), systemd-resolved, no ifupdown.
  netplan) stack_pkgs=netplan.io,systemd-resolved ;;
  # NetworkManager (its internal DHCP client), no ifupdown.
  networkmanager) stack_pkgs=network-manager,dbus ;;
  *) echo "build-image.sh: unknown stack $stack" >&2; exit 2 ;;
esac
pkgs=linux-image-amd64,systemd-sysv,udev,iproute2,procps,kmod,initramfs-tools,zstd,$stack_pkgs

# Installing systemd-resolved on a host without systemd as PID 1 leaves
# /etc/resolv.conf pointing at a stub file that nothing creates, and apt cannot
# resolve the archive. Then run in a private mount namespace where that stub
# holds the resolver saved by resolved's postinst; the host is not touched.
if ! getent hosts deb.debian.org >/dev/null && [ -z "${V6AGENT_RESOLV_FIXED:-}" ] &&
  [ "$(readlink /etc/resolv.conf)" = ../run/systemd/resolve/stub-resolv.conf ] && [ -f /etc/.resolv.conf.systemd-resolved.bak ]; then
  exec unshare -m sh -c 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/resolve &&
    cp /etc/.resolv.conf.systemd-resolved.bak /run/systemd/resolve/stub-resolv.conf && V6AGENT_RESOLV_FIXED=1 exec bash "$0" "$@"' "$0" "$@"
fi

tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The initramfs needs only what mounts the root (virtio disk, ext4): a small one
# unpacks fast under TCG. Everything else udev loads from the root file system.
mkdir -p "$tmp/hooks"
cat >"$tmp/hooks/setup.sh" <<'EOF'
#!/bin/sh
set -e
mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
printf 'MODULES=list\nCOMPRESS=zstd\n' >"$1/etc/initramfs-tools/conf.d/v6agent-test"
printf 'virtio_pci\nvirtio_blk\next4\n' >"$1/usr/share/initramfs-tools/modules.d/v6agent-test"
EOF
cat >"$tmp/hooks/customize.sh" <<'EOF'
#!/bin/sh
set -e
r=$1
echo v6agent-test-image >"$r/etc/hostname"
printf '/dev/vda / ext4 defaults 0 1\n' >"$r/etc/fstab"
# No logins, no periodic jobs: nothing competes with the boot being measured.
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer; do
  ln -sf /dev/null "$r/etc/systemd/system/$u"
done
if [ -d "$r/etc/cloud/cloud.cfg.d" ]; then
  printf 'datasource_list: [ConfigDrive, OpenStack, None]\n' >"$r/etc/cloud/cloud.cfg.d/90-v6agent-test.cfg"
fi
# As Debian's cloud images: networkd enabled, for the configuration netplan generates.
if [ -x "$r/usr/sbin/netplan" ]; then
  chroot "$r" systemctl enable systemd-networkd.service systemd-resolved.service
fi
# Root with no password is fine: the VM has no console login and no sshd.
cp "$r"/boot/vmlinuz-* "$2/vmlinuz"
cp "$r"/boot/initrd.img-* "$2/initrd.img"
EOF
chmod +x "$tmp/hooks/"*.sh

mmdebstrap --variant=minbase --include="$pkgs" \
  --setup-hook="$tmp/hooks/setup.sh \"\$1\"" \
  --customize-hook="$tmp/hooks/customize.sh \"\$1\" $tmp" \
  --aptopt='Acquire::Retries "3"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  bookworm "$tmp/rootfs.tar" http://deb.debian.org/debian
rm -rf "$tmp/hooks"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
