/**
 * A private D-Bus system bus for a lab guest: the daemons under test (NetworkManager,
 * systemd-networkd) and their clients (nmcli, networkctl) talk over it, never the host's.
 * No service activation; root and the users the daemons drop to may connect.
 */
export function busConf(users: readonly string[] = ['root']): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=/run/dbus/system_bus_socket</listen>
 <auth>EXTERNAL</auth><policy context="default">${users.map((u) => `<allow user="${u}"/>`).join('')}<allow own="*"/>
 <allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
`;
}
