/**
 * A private D-Bus system bus for a lab guest's daemons (NetworkManager,
 * systemd-networkd) and the tools that talk to them (nmcli, networkctl): its
 * socket at /run/dbus/system_bus_socket of the lab's /run. It allows only the
 * named users (root, and the user a daemon drops to) and activates no
 * services, so nothing but the processes a test starts is on it.
 */
export function busConfig(users: readonly string[]): string {
  const allow = users.map((u) => `<allow user="${u}"/>`).join('');
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=/run/dbus/system_bus_socket</listen>
 <auth>EXTERNAL</auth><policy context="default">${allow}<allow own="*"/>
 <allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
`;
}
