#!/usr/bin/env bash
# Install what the VM boot test needs, from Debian's archive, if any of it is
# missing (the netns lab's own packages come from test/lab/prereqs.sh). Run as root.
set -euo pipefail
bash "$(dirname "$0")/../lab/prereqs.sh"
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v genisoimage >/dev/null || need+=(genisoimage)
command -v mcopy >/dev/null || need+=(mtools)
command -v mkfs.vfat >/dev/null || need+=(dosfstools)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
# The VLAN case's 802.1Q trunk port (test/vm/vlan-trunk.py).
command -v python3 >/dev/null || need+=(python3)
[ ${#need[@]} -eq 0 ] && exit 0
echo "vm: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
