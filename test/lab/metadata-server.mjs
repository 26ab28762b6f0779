// A metadata service of the test's own, run inside a lab namespace by metadata-server.ts.
// As Neutron's proxy + Nova: an IPv6 client is identified only by the MAC inside its
// link-local source address (neutron agent/metadata/proxy_base.py), anything else gets
// 404 on every path; an IPv4 client from 192.0.2.0/24 is the instance.
// argv[2]: JSON { instances: [{ mac, meta, network, userData }], faults: { path: [status...] }, huge: [path], ports: { v6, v4 } }
// Every request is logged as one JSON line on stdout.
import http from 'node:http';

const config = JSON.parse(process.argv[2]);
const faults = new Map(Object.entries(config.faults ?? {}).map(([p, s]) => [p, [...s]]));

function eui64LinkLocal(mac) {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  const g = [];
  for (let i = 0; i < 8; i += 2) g.push(((iid[i] << 8) | iid[i + 1]).toString(16));
  return `fe80::${g.join(':')}`;
}

function identify(remote) {
  const addr = remote.replace(/^::ffff:/, '').replace(/%.*$/, '');
  if (/^192\.0\.2\.\d+$/.test(addr)) return config.instances[0];
  return config.instances.find((i) => eui64LinkLocal(i.mac) === addr);
}

function handler(req, res) {
  const path = req.url;
  const send = (status, body) => {
    console.log(JSON.stringify({ path, remote: req.socket.remoteAddress, status, host: req.headers.host }));
    res.writeHead(status, { 'Content-Type': 'text/plain', ...(status === 429 ? { 'Retry-After': '0' } : {}) });
    res.end(body);
  };
  const instance = identify(req.socket.remoteAddress ?? '');
  if (!instance) return send(404, 'Not Found\n');
  const queued = faults.get(path);
  if (queued?.length) return send(queued.shift(), 'try again\n');
  if ((config.huge ?? []).includes(path)) {
    // 10 MiB, streamed without a Content-Length: the client must stop reading by itself.
    console.log(JSON.stringify({ path, remote: req.socket.remoteAddress, status: 200, huge: true }));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = 160;
    const more = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return res.once('drain', more);
      }
      res.end();
    };
    res.on('error', () => {});
    return more();
  }
  switch (path) {
    case '/openstack':
      return send(200, '2012-08-10\n2013-04-04\n2015-10-15\n2016-10-06\n2018-08-27\n2020-10-14\nlatest');
    case '/openstack/latest/meta_data.json':
      return send(200, JSON.stringify(instance.meta));
    case '/openstack/latest/network_data.json':
      return send(200, JSON.stringify(instance.network ?? {}));
    case '/openstack/latest/user_data':
      return instance.userData === undefined ? send(404, 'Not Found\n') : send(200, instance.userData);
    default:
      return send(404, 'Not Found\n');
  }
}

const server = http.createServer(handler);
server.listen({ host: config.host ?? '::', port: config.port ?? 80, ipv6Only: false }, () => console.log(JSON.stringify({ listening: true })));
process.on('SIGTERM', () => process.exit(0));
