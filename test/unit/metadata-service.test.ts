/**
 * The metadata service client against a real HTTP server on 127.0.0.1 (the
 * same code path as fe80::a9fe:a9fe%IF, minus the zone): which answers are
 * retried, what 200 `{}` and 404 mean, size caps, the 404 explanation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffMs, retryable, type HttpResult } from '../../agent/sources/http.js';
import { fetchService, ipv4Endpoint, ipv6Endpoint, NOT_IDENTIFIED, ServiceFailure, type FetchContext } from '../../agent/sources/metadataService.js';
import { Timeline } from '../../agent/sources/timeline.js';

const META = JSON.stringify({ uuid: 'u-1', hostname: 'h.novalocal', public_keys: {} });
let answers: Record<string, (res: import('node:http').ServerResponse) => void> = {};
const seen: string[] = [];
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url!);
    const a = answers[req.url!];
    if (a) a(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

function serve(map: Record<string, Array<[number, string] | ((res: import('node:http').ServerResponse) => void)>>): void {
  seen.length = 0;
  answers = {};
  for (const [path, list] of Object.entries(map)) {
    const queue = [...list];
    answers[path] = (res) => {
      const next = queue.length > 1 ? queue.shift()! : queue[0]!;
      if (typeof next === 'function') return next(res);
      res.writeHead(next[0], { 'Content-Length': Buffer.byteLength(next[1]) }).end(next[1]);
    };
  }
}

const OK: Record<string, Array<[number, string]>> = {
  '/openstack': [[200, '2018-08-27\nlatest']],
  '/openstack/latest/meta_data.json': [[200, META]],
  '/openstack/latest/network_data.json': [[200, '{}']],
  '/openstack/latest/user_data': [[404, 'Not Found']],
};

function ctx(timeline = new Timeline()): FetchContext {
  return { timeline, deadline: performance.now() + 10_000, policy: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 }, connectAttempts: 4, connectMs: 1000, readMs: 1000 };
}

describe('metadata service client', () => {
  it('reads meta_data.json; 200 {} is no network data and 404 is no user data', async () => {
    serve(OK);
    const docs = await fetchService(ipv4Endpoint('127.0.0.1', port), ctx());
    expect(docs.origin).toBe(`http://127.0.0.1:${port}/openstack/latest`);
    expect(docs.metaData).toEqual({ path: `http://127.0.0.1:${port}/openstack/latest/meta_data.json`, text: META });
    expect(docs.networkData).toBeUndefined();
    expect(docs.userData).toBeUndefined();
    expect(seen).toEqual(['/openstack', '/openstack/latest/meta_data.json', '/openstack/latest/network_data.json', '/openstack/latest/user_data']);
  });

  it('retries 408, 429 and 5xx, and records every try', async () => {
    serve({ ...OK, '/openstack/latest/meta_data.json': [[408, ''], [429, ''], [502, ''], [200, META]] });
    const t = new Timeline();
    await fetchService(ipv4Endpoint('127.0.0.1', port), ctx(t));
    expect(t.attempts.filter((a) => a.step === 'GET /openstack/latest/meta_data.json').map((a) => a.result)).toEqual(['408', '429', '502', '200']);
  });

  it('does not retry other 4xx answers', async () => {
    serve({ ...OK, '/openstack/latest/meta_data.json': [[403, ''], [200, META]] });
    await expect(fetchService(ipv4Endpoint('127.0.0.1', port), ctx())).rejects.toThrow(/meta_data\.json: HTTP 403$/);
    expect(seen.filter((p) => p.endsWith('meta_data.json'))).toHaveLength(1);
  });

  it('explains a 404 on /openstack: the port was not identified', async () => {
    serve({});
    const e = await fetchService(ipv4Endpoint('127.0.0.1', port), ctx()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ServiceFailure);
    expect((e as ServiceFailure).message).toBe(`http://127.0.0.1:${port}/openstack: 404: ${NOT_IDENTIFIED}`);
    expect((e as ServiceFailure).final).toBe(true);
  });

  it('refuses an answer over the cap, announced or not', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    serve({ ...OK, '/openstack/latest/meta_data.json': [(res) => res.writeHead(200).end(big)] });
    await expect(fetchService(ipv4Endpoint('127.0.0.1', port), ctx())).rejects.toThrow(/more than the 1048576 bytes accepted \(ETOOBIG\)/);
    serve({ ...OK, '/openstack/latest/meta_data.json': [[200, big]] });
    await expect(fetchService(ipv4Endpoint('127.0.0.1', port), ctx())).rejects.toThrow(/is 2097152 bytes, more than the 1048576 accepted/);
  });

  it('drops user data over 64 KiB with a note instead of failing', async () => {
    serve({ ...OK, '/openstack/latest/user_data': [[200, 'u'.repeat(64 * 1024 + 1)]] });
    const docs = await fetchService(ipv4Endpoint('127.0.0.1', port), ctx());
    expect(docs.userData).toBeUndefined();
    expect(docs.dropped?.[0]?.message).toMatch(/^dropped: .*65536.*nova accepts at most 65535 base64 characters/);
  });

  it('gives up on a silent server after the read timeout, without retrying', async () => {
    serve({ ...OK, '/openstack': [() => undefined] });
    const t = new Timeline();
    await expect(fetchService(ipv4Endpoint('127.0.0.1', port), { ...ctx(t), readMs: 100 })).rejects.toThrow(/no data for 100 ms \(EREADTIMEOUT\)/);
    expect(t.attempts).toHaveLength(1);
  });

  it('retries a refused connection, then reports it', async () => {
    const t = new Timeline();
    await expect(fetchService(ipv4Endpoint('127.0.0.1', 1), ctx(t))).rejects.toThrow(/ECONNREFUSED/);
    expect(t.attempts.map((a) => a.result)).toEqual(Array(4).fill('connect ECONNREFUSED'));
  });
});

describe('retry policy', () => {
  const status = (s: number): HttpResult => ({ ok: true, status: s, body: Buffer.alloc(0), retryAfterMs: undefined });
  it('retries connect errors, 408, 429 and 5xx only', () => {
    expect([200, 400, 403, 404, 408, 429, 500, 503, 599].map((s) => retryable(status(s)))).toEqual([false, false, false, false, true, true, true, true, true]);
    expect(retryable({ ok: false, code: 'ECONNREFUSED', message: '', connect: true })).toBe(true);
    expect(retryable({ ok: false, code: 'EREADTIMEOUT', message: '', connect: false })).toBe(false);
    expect(retryable({ ok: false, code: 'ABORTED', message: '', connect: true })).toBe(false);
  });

  it('doubles the pause up to a cap and honours Retry-After on 429 within it', () => {
    const p = { attempts: 5, baseDelayMs: 200, maxDelayMs: 2000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffMs(p, n, status(503)))).toEqual([200, 400, 800, 1600, 2000]);
    expect(backoffMs(p, 0, { ...status(429), retryAfterMs: 1000 } as HttpResult)).toBe(1000);
    expect(backoffMs(p, 0, { ...status(429), retryAfterMs: 60_000 } as HttpResult)).toBe(2000);
  });
});

describe('IPv6 endpoint', () => {
  it('puts the zone in host and localAddress, never in a URL; reports it RFC 6874-escaped', () => {
    expect(ipv6Endpoint('eth0', 'fe80::f816:3eff:fe00:1')).toEqual({
      source: 'ipv6',
      where: 'eth0',
      target: { host: 'fe80::a9fe:a9fe%eth0', family: 6, port: 80, localAddress: 'fe80::f816:3eff:fe00:1%eth0', hostHeader: '[fe80::a9fe:a9fe]' },
      base: 'http://[fe80::a9fe:a9fe%25eth0]',
    });
  });
});
