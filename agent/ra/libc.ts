/**
 * The few libc calls Node does not offer: raw ICMPv6 and netlink sockets,
 * through koffi (FFI, prebuilt; inside the binary its .node file is an SEA
 * asset). Constants are Linux x86-64/arm64 values from the uapi headers.
 */
import koffi from 'koffi';

export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;
export const ICMP6_FILTER = 1;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;
export const NETLINK_ROUTE = 0;
export const POLLIN = 1;

const lib = koffi.load('libc.so.6');

export const iovec = koffi.struct('v6agent_iovec', { base: 'void *', len: 'size_t' });
export const msghdr = koffi.struct('v6agent_msghdr', {
  name: 'void *',
  namelen: 'uint32_t',
  iov: 'v6agent_iovec *',
  iovlen: 'size_t',
  control: 'void *',
  controllen: 'size_t',
  flags: 'int',
});
export const pollfd = koffi.struct('v6agent_pollfd', { fd: 'int', events: 'short', revents: 'short' });

export const socket = lib.func('int socket(int domain, int type, int protocol)');
export const close = lib.func('int close(int fd)');
export const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
export const sendto = lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)');
export const send = lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)');
export const recv = lib.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)');
export const recvmsg = lib.func('intptr_t recvmsg(int fd, v6agent_msghdr *msg, int flags)');
export const poll = lib.func('int poll(_Inout_ v6agent_pollfd *fds, unsigned long nfds, int timeout)');
export const ifNameToIndex = lib.func('unsigned int if_nametoindex(const char *name)');
export const strerror = lib.func('const char *strerror(int errnum)');

export function errno(): number {
  return koffi.errno();
}

export function lastError(what: string): Error {
  const e = errno();
  return Object.assign(new Error(`${what}: ${strerror(e)}`), { errno: e });
}

export interface NativeBuffer {
  readonly ptr: unknown;
  /** A copy of the first `len` bytes. */
  read(len: number): Buffer;
  free(): void;
}

/** Stable native memory of `size` bytes (koffi.alloc: malloc'd, so freed explicitly). */
export function nativeBuffer(size: number): NativeBuffer {
  const ptr = koffi.alloc('uint8_t', size);
  return { ptr, read: (len) => Buffer.from(koffi.view(ptr, len).slice(0)), free: () => koffi.free(ptr) };
}

export function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return b;
}
