#!/usr/bin/env bash
# Render a bundled example config drive (dual-stack, DHCPv6-stateless) into a
# fresh image root for each network stack (Debian: ifupdown, netplan,
# systemd-networkd; Rocky Linux: ifcfg), and show every file written.
# Touches nothing outside the temporary directory it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
drive=examples/drives/dual-dhcpv6-stateless
demo=$(mktemp -d /tmp/v6agent-demo.XXXXXX)
for run in debian:eni debian:netplan debian:networkd rocky:ifcfg; do
  distro=${run%%:*} stack=${run#*:}
  root="$demo/$stack"
  mkdir -p "$root/etc"
  printf 'root:x:0:0:root:/root:/bin/bash\ndebian:x:1000:1000::/home/debian:/bin/bash\nrocky:x:1000:1000::/home/rocky:/bin/bash\n' >"$root/etc/passwd"
  printf 'ID=%s\n' "$distro" >"$root/etc/os-release"
  echo "### dist/v6agent apply --config-drive $drive --root $root --stack $stack --iface fa:16:3e:5c:2a:7e=eth0"
  dist/v6agent apply --config-drive "$drive" --root "$root" --stack "$stack" --iface fa:16:3e:5c:2a:7e=eth0
  find "$root" -type f ! -name passwd ! -name os-release | sort | while read -r f; do
    echo "--- ${f#"$root"}"
    cat "$f"
  done
  echo
done
echo "Rendered into $demo (remove it when done)."
