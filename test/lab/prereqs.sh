#!/usr/bin/env bash
# Install what the netns lab needs, from Debian's archive, if any of it is missing.
# Run as root (the lab tests call this before they start).
set -euo pipefail
need=()
command -v radvd >/dev/null || need+=(radvd)
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v ifup >/dev/null || need+=(ifupdown)
command -v dhclient >/dev/null || need+=(isc-dhcp-client)
command -v ip >/dev/null || need+=(iproute2)
command -v rdisc6 >/dev/null || need+=(ndisc6)
command -v sysctl >/dev/null || need+=(procps)
command -v genisoimage >/dev/null || need+=(genisoimage)
command -v mkfs.vfat >/dev/null || need+=(dosfstools)
command -v NetworkManager >/dev/null || need+=(network-manager)
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v tcpdump >/dev/null || need+=(tcpdump)
# netplan → systemd-networkd chain (test/lab/networkd.test.ts, test/golden/netplan-generate.test.ts).
command -v netplan >/dev/null || need+=(netplan.io)
[ -x /lib/systemd/systemd-networkd ] || need+=(systemd)
[ ${#need[@]} -eq 0 ] && exit 0
echo "lab: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Daemons in these packages (NetworkManager) must never start on the host: the lab runs its own in
# namespaces. policy-rc.d exit 101 = "action forbidden" (invoke-rc.d / deb-systemd-invoke).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
