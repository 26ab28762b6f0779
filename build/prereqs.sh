#!/usr/bin/env bash
# Debian packages that the arm64 build, the packages and their tests need;
# installs whatever is missing from Debian's archive (as root; npm test runs
# this before the build). Without root it only says what is missing.
set -euo pipefail
need=()
command -v aarch64-linux-gnu-strip >/dev/null || need+=(binutils-aarch64-linux-gnu)  # strips the arm64 Node
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)                # runs the arm64 binary here
sysroot=/usr/aarch64-linux-gnu/lib                                                    # its QEMU_LD_PREFIX sysroot
[ -e $sysroot/libc.so.6 ] || need+=(libc6-arm64-cross)
[ -e $sysroot/libstdc++.so.6 ] || need+=(libstdc++6-arm64-cross)
[ -e $sysroot/libgcc_s.so.1 ] || need+=(libgcc-s1-arm64-cross)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v rpmbuild >/dev/null || need+=(rpm)
command -v deb-systemd-helper >/dev/null || need+=(init-system-helpers)               # the .deb's postinst
command -v systemctl >/dev/null || need+=(systemd)                                    # the .rpm's scriptlets, chrooted
command -v lintian >/dev/null || need+=(lintian)
command -v rpmlint >/dev/null || need+=(rpmlint)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "prereqs: missing ${need[*]}; run as root to install them from Debian's archive" >&2
  exit 0
fi
echo "prereqs: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
