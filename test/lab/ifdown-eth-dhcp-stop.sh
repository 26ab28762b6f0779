#!/bin/bash
# How initscripts' ifdown stops an interface's DHCP clients: the loop of
# network-scripts/ifdown-eth in fedora-sysv/initscripts 9.49.54 (rhel7-branch,
# lines 90-107) verbatim, with the two helpers it sources (is_true from
# rc.d/init.d/functions, generate_lease_file_name from network-functions).
# The caller sets DEVICE (and DHCPRELEASE, UUID as ifcfg-DEVICE would).

is_true() {
    case "$1" in
    [tT] | [yY] | [yY][eE][sS] | [oO][nN] | [tT][rR][uU][eE] | 1)
        return 0
        ;;
    esac
    return 1
}
generate_lease_file_name ()
{
    local ver=$1
    LEASEFILE="/var/lib/dhclient/dhclient$ver-${DEVICE}.leases"
    if [ -f $LEASEFILE ]; then
         return
    fi
    LEASEFILE="/var/lib/dhclient/dhclient$ver-${UUID}-${DEVICE}.lease"
}
for VER in "" 6 ; do
    if [ -f "/var/run/dhclient$VER-${DEVICE}.pid" ]; then
        dhcpid=$(cat /var/run/dhclient$VER-${DEVICE}.pid)
        generate_lease_file_name $VER
        if is_true "$DHCPRELEASE";  then
            /sbin/dhclient -r -lf ${LEASEFILE} -pf /var/run/dhclient$VER-${DEVICE}.pid ${DEVICE} >/dev/null 2>&1
            retcode=$?
        else
            kill $dhcpid >/dev/null 2>&1
            retcode=$?
            reason=STOP$VER interface=${DEVICE} /sbin/dhclient-script
        fi
        if [ -f "/var/run/dhclient$VER-${DEVICE}.pid" ]; then
            rm -f /var/run/dhclient$VER-${DEVICE}.pid
            kill $dhcpid >/dev/null 2>&1
        fi
    fi
done
