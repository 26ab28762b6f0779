#!/usr/bin/env python3
"""The switch port of a VM test's VLAN case: an 802.1Q trunk between the VM's
NIC and the lab's bridge, in user space (the host kernel has no 8021q and no
bridge VLAN filtering).

QEMU sends the guest's frames as UDP datagrams (-netdev socket,udp=…); frames
tagged with VID go untagged into the lab's tap (plugged into br0, where radvd
and dnsmasq serve the subnet), untagged frames and other VLANs are dropped, as
on an access port of another network; frames from the tap go back tagged.

    vlan-trunk.py TAP VID LISTEN_PORT QEMU_PORT      (127.0.0.1, in the router namespace)
"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000

tap_name, vid, listen_port, qemu_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tap = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack('16sH', tap_name.encode(), IFF_TAP | IFF_NO_PI))
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(('127.0.0.1', listen_port))
tag = struct.pack('!HH', 0x8100, vid)
print('ready', flush=True)
while True:
    ready, _, _ = select.select([tap, sock], [], [])
    if sock in ready:
        frame = sock.recv(65536)
        if len(frame) >= 18 and frame[12:14] == b'\x81\x00' and struct.unpack('!H', frame[14:16])[0] & 0xFFF == vid:
            os.write(tap, frame[:12] + frame[16:])
    if tap in ready:
        frame = os.read(tap, 65536)
        sock.sendto(frame[:12] + tag + frame[12:], ('127.0.0.1', qemu_port))
