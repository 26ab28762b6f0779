/**
 * One HTTP GET to the metadata service, with Node's http.request given a
 * host and a family (never a URL string: Node's URL parser rejects the zone
 * id a link-local address needs, `fe80::a9fe:a9fe%eth0`; libuv takes it in
 * `host` and `localAddress`). Bounded connect and read time, bounded size.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';

export interface HttpTarget {
  /** An address literal, with `%zone` for a link-local one. */
  readonly host: string;
  readonly family: 4 | 6;
  readonly port: number;
  /** Bind the request's source (the EUI-64 link-local Neutron identifies the port by). */
  readonly localAddress?: string | undefined;
  /** The Host header: the address without its zone, as a URL would spell it. */
  readonly hostHeader: string;
}

export interface HttpLimits {
  readonly connectMs: number;
  /** Longest silence once connected (headers or body). */
  readonly readMs: number;
  readonly maxBytes: number;
}

export type HttpResult =
  | { readonly ok: true; readonly status: number; readonly body: Buffer; readonly retryAfterMs: number | undefined }
  /** `connect`: no connection was made (refused, unreachable, timed out, reset before an answer). */
  | { readonly ok: false; readonly code: string; readonly message: string; readonly connect: boolean };

let httpModule: typeof import('node:http') | undefined;

export async function httpGet(t: HttpTarget, path: string, limits: HttpLimits, signal?: AbortSignal): Promise<HttpResult> {
  // Loaded on demand: `http` pulls in `net` and `stream`, which a drive boot never needs.
  httpModule ??= await import('node:http');
  const http = httpModule;
  return new Promise<HttpResult>((resolve) => {
    let settled = false;
    let connected = false;
    let req: ClientRequest | undefined;
    let idle: NodeJS.Timeout | undefined;
    const finish = (r: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(idle);
      signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(r);
    };
    const fail = (code: string, message: string): void => finish({ ok: false, code, message, connect: !connected });
    const onAbort = (): void => fail('ABORTED', 'another source answered first');
    /** Restart the read timer: any byte resets the silence allowed. */
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => fail('EREADTIMEOUT', `no data for ${limits.readMs} ms`), limits.readMs);
    };
    const connectTimer = setTimeout(() => fail('ETIMEDOUT', `no connection within ${limits.connectMs} ms`), limits.connectMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);

    req = http.request({
      host: t.host,
      family: t.family,
      port: t.port,
      localAddress: t.localAddress,
      path,
      method: 'GET',
      agent: false,
      headers: { Host: t.hostHeader, 'User-Agent': 'v6agent', Accept: '*/*', Connection: 'close' },
    });
    req.on('socket', (s) => {
      s.once('connect', () => {
        connected = true;
        clearTimeout(connectTimer);
        touch();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'ERROR', e.message));
    req.on('response', (res: IncomingMessage) => {
      touch();
      const status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        return fail('ETOOBIG', `the answer is ${declared} bytes, more than the ${limits.maxBytes} accepted`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        touch();
        size += d.length;
        if (size > limits.maxBytes) return fail('ETOOBIG', `the answer is more than the ${limits.maxBytes} bytes accepted`);
        chunks.push(d);
      });
      res.on('end', () => finish({ ok: true, status, body: Buffer.concat(chunks), retryAfterMs: retryAfter(res.headers['retry-after']) }));
      res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'ERROR', e.message));
    });
    req.end();
  });
}

/** Retry-After in seconds (the HTTP-date form is not worth parsing here). */
function retryAfter(value: string | string[] | undefined): number | undefined {
  const s = Array.isArray(value) ? value[0] : value;
  return s !== undefined && /^\d{1,4}$/.test(s.trim()) ? Number(s) * 1000 : undefined;
}

/** Which failures are worth another try: no connection, 408, 429 and 5xx. Nothing else. */
export function retryable(r: HttpResult): boolean {
  if (!r.ok) return r.connect && r.code !== 'ABORTED';
  return r.status === 408 || r.status === 429 || (r.status >= 500 && r.status <= 599);
}

export interface RetryPolicy {
  readonly attempts: number;
  /** First pause; doubled each time, capped at maxDelayMs. 429's Retry-After is honoured up to the cap. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export function backoffMs(policy: RetryPolicy, attempt: number, r: HttpResult): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const asked = r.ok && r.status === 429 ? r.retryAfterMs : undefined;
  return asked !== undefined ? Math.min(policy.maxDelayMs, Math.max(exp, asked)) : exp;
}

/** One-word outcome for the timeline. */
export function describe(r: HttpResult): string {
  return r.ok ? `${r.status}` : `${r.connect ? 'connect ' : ''}${r.code}${r.code === 'ETOOBIG' ? ` (${r.message})` : ''}`;
}
