/**
 * Whether the IPv6 metadata service answers on an interface: one GET of
 * http://[fe80::a9fe:a9fe%IFACE]/openstack. The zone goes in `host`, not a URL
 * (Node's URL parser rejects zone ids). Neutron identifies the port from the
 * EUI-64 link-local the request comes from; 404 means it could not.
 */
import { request } from 'node:http';

export type MetadataAnswer = { readonly status: number } | { readonly error: string };

export function probeMetadata(iface: string, timeoutMs: number): Promise<MetadataAnswer> {
  return new Promise((resolve) => {
    const req = request({ host: `fe80::a9fe:a9fe%${iface}`, family: 6, port: 80, path: '/openstack', timeout: timeoutMs, headers: { 'user-agent': 'v6agent-doctor' } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${(timeoutMs / 1000).toFixed(1)} s`)));
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end();
  });
}
