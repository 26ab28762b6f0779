/**
 * The OpenStack metadata service (Nova behind Neutron's proxy), over IPv6 at
 * fe80::a9fe:a9fe on one interface or over IPv4 at 169.254.169.254. Reads the
 * same documents as the config drive: `/openstack` (the version list, a cheap
 * probe), then `latest/meta_data.json` (required), `network_data.json` (200 `{}`
 * means none), `user_data` (404 means none). Nova's handler: nova/api/metadata/.
 */
import type { SourceKind } from '../model/discovery.js';
import type { SourceDocuments } from './documents.js';
import { SERVICE_LIMITS } from './documents.js';
import { tryUtf8 } from './files.js';
import { backoffMs, describe, httpGet, retryable, type HttpLimits, type HttpResult, type HttpTarget, type RetryPolicy } from './http.js';
import type { Timeline } from './timeline.js';

export const METADATA_V6 = 'fe80::a9fe:a9fe';
export const METADATA_V4 = '169.254.169.254';

export interface Endpoint {
  readonly source: Exclude<SourceKind, 'drive'>;
  /** The interface (IPv6) or `ipv4`, for the timeline. */
  readonly where: string;
  readonly target: HttpTarget;
  /** Base URL for reports, zone escaped as RFC 6874 writes it. */
  readonly base: string;
}

export function ipv6Endpoint(iface: string, localAddress: string | undefined): Endpoint {
  return {
    source: 'ipv6',
    where: iface,
    target: { host: `${METADATA_V6}%${iface}`, family: 6, port: 80, localAddress: localAddress && `${localAddress}%${iface}`, hostHeader: `[${METADATA_V6}]` },
    base: `http://[${METADATA_V6}%25${iface}]`,
  };
}

export function ipv4Endpoint(address = METADATA_V4, port = 80): Endpoint {
  const host = port === 80 ? address : `${address}:${port}`;
  return { source: 'ipv4', where: 'ipv4', target: { host: address, family: 4, port, hostHeader: host }, base: `http://${host}` };
}

export interface FetchContext {
  readonly timeline: Timeline;
  /** Absolute time (performance.now()) after which nothing new is started. */
  readonly deadline: number;
  readonly policy: RetryPolicy;
  /** Tries when no connection is made (fewer where another way to the service is left to try). */
  readonly connectAttempts: number;
  readonly connectMs: number;
  readonly readMs: number;
  readonly signal?: AbortSignal;
}

/** Why a service did not give us an instance. `final`: no point retrying this endpoint. */
export class ServiceFailure extends Error {
  constructor(
    message: string,
    readonly final: boolean,
    /** No connection was made: another way to the service (a route via the router) may work. */
    readonly unreached = false,
  ) {
    super(message);
  }
}

export const NOT_IDENTIFIED = 'the port was not identified: is the link-local EUI-64 of the MAC? (Neutron finds the port by the MAC inside the source link-local address; a stable-privacy or random one gets 404 everywhere)';

async function get(ep: Endpoint, path: string, maxBytes: number, ctx: FetchContext): Promise<HttpResult> {
  const limits: HttpLimits = { connectMs: ctx.connectMs, readMs: ctx.readMs, maxBytes };
  for (let attempt = 0; ; attempt++) {
    const start = ctx.timeline.now();
    const r = await httpGet(ep.target, path, limits, ctx.signal);
    if (!r.ok && r.code === 'ABORTED') return r;
    ctx.timeline.add(ep.source, ep.where, `GET ${path}`, start, describe(r));
    if (!retryable(r) || attempt + 1 >= (r.ok ? ctx.policy.attempts : ctx.connectAttempts)) return r;
    const pause = backoffMs(ctx.policy, attempt, r);
    if (performance.now() + pause >= ctx.deadline) return r;
    await sleep(pause, ctx.signal);
    if (ctx.signal?.aborted) return r;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

function failure(ep: Endpoint, path: string, r: HttpResult, notIdentified: string): ServiceFailure {
  const url = `${ep.base}${path}`;
  if (r.ok && r.status === 404 && path === '/openstack') return new ServiceFailure(`${url}: 404: ${notIdentified}`, true);
  if (r.ok) return new ServiceFailure(`${url}: HTTP ${r.status}`, !retryable(r));
  return new ServiceFailure(`${url}: ${r.message} (${r.code})`, r.code === 'ETOOBIG', r.connect);
}

/**
 * Read the documents from one endpoint. `notIdentified` explains a 404 on
 * /openstack (the caller knows whether the link-local was EUI-64).
 */
export async function fetchService(ep: Endpoint, ctx: FetchContext, notIdentified = NOT_IDENTIFIED): Promise<SourceDocuments> {
  const probe = await get(ep, '/openstack', SERVICE_LIMITS.json, ctx);
  if (!probe.ok || probe.status !== 200) throw failure(ep, '/openstack', probe, notIdentified);
  const dir = '/openstack/latest';
  const meta = await get(ep, `${dir}/meta_data.json`, SERVICE_LIMITS.json, ctx);
  if (!meta.ok || meta.status !== 200) throw failure(ep, `${dir}/meta_data.json`, meta, notIdentified);
  const net = await get(ep, `${dir}/network_data.json`, SERVICE_LIMITS.json, ctx);
  if (!net.ok || (net.status !== 200 && net.status !== 404)) throw failure(ep, `${dir}/network_data.json`, net, notIdentified);
  const user = await get(ep, `${dir}/user_data`, SERVICE_LIMITS.userData, ctx);
  // User data never stops the network from being configured: one too big for nova to have accepted is dropped.
  const tooBig = !user.ok && user.code === 'ETOOBIG';
  if (!tooBig && (!user.ok || (user.status !== 200 && user.status !== 404))) throw failure(ep, `${dir}/user_data`, user, notIdentified);

  const url = (name: string): string => `${ep.base}${dir}/${name}`;
  const netText = net.status === 200 ? net.body.toString('utf8') : undefined;
  return {
    origin: `${ep.base}${dir}`,
    metaData: { path: url('meta_data.json'), text: decode(url('meta_data.json'), meta.body) },
    // Nova answers 200 `{}` when the instance has no network metadata.
    networkData: netText === undefined || /^\s*\{\s*\}\s*$/.test(netText) ? undefined : { path: url('network_data.json'), text: decode(url('network_data.json'), net.body) },
    userData: user.ok && user.status === 200 && user.body.length > 0 ? { path: url('user_data'), bytes: user.body } : undefined,
    dropped: tooBig ? [{ where: url('user_data'), message: `dropped: ${user.message} (nova accepts at most 65535 base64 characters)` }] : [],
  };
}

function decode(url: string, body: Buffer): string {
  const text = tryUtf8(body);
  if (text === undefined) throw new ServiceFailure(`${url}: the answer is not valid UTF-8`, true);
  return text;
}
