/**
 * A long-lived TCP connection from the guest to the router, for the live-apply
 * tests: it must still carry a line after the guest's network was reconfigured.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Lab } from './lab.js';

const PORT = 7777;

/** A line-echo TCP peer: `ping` goes out, the same line must come back on the same connection. */
export class Connection {
  private buffer = '';
  private closed = false;
  constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.buffer += d.toString()));
    child.on('exit', () => (this.closed = true));
  }
  async roundTrip(token: string): Promise<boolean> {
    if (this.closed) return false;
    this.child.stdin!.write(`${token}\n`);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (this.buffer.includes(`${token}\n`)) return true;
      if (this.closed) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }
}

export async function openConnection(lab: Lab, host: string): Promise<Connection> {
  const server = spawn('ip', ['netns', 'exec', lab.router, process.execPath, '-e', `require('net').createServer((s) => s.pipe(s)).listen(${PORT}, '::', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => server.stdout!.once('data', r));
  const client = spawn('ip', ['netns', 'exec', lab.guest, process.execPath, '-e', `
    const s = require('net').connect({ host: ${JSON.stringify(host)}, port: ${PORT} });
    s.on('connect', () => console.log('connected'));
    s.on('data', (d) => process.stdout.write(d));
    s.on('close', () => process.exit(1));
    s.on('error', () => process.exit(1));
    process.stdin.on('data', (d) => s.write(d));`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = new Connection(client);
  if (!(await conn.roundTrip('hello'))) throw new Error(`lab: no TCP connection to [${host}]:${PORT}`);
  return conn;
}

