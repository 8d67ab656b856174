// Processes and sockets for the browser test: the chat server, a TCP proxy
// that can cut a user's connection for real, free ports, a redis-server that
// keeps nothing (cluster mode), a plain WebSocket client in node.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SERVER_BIN = process.env.CAPSTAN_CHAT_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug/capstan-chat');
/** The browser (CHROMIUM_PATH, default /usr/bin/chromium). */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Every wait in the browser tests is bounded by this, ms. */
export const WAIT = 15_000;
/** Chromium's flags for a headless run that talks to nothing but the test. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Waits `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What `promise` gives, or 'timeout' after `ms`; the timer is cleared either way. */
function within(promise, ms) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A port nobody listens on right now. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Whether something accepts connections on 127.0.0.1:`port` now. */
export function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * The chat server as a child process (`args`: flags beyond the port and
 * database). `log()` has what it printed (for failure messages); `stop()`
 * ends it (SIGTERM, then SIGKILL), bounded.
 */
export class ChatServer {
  constructor({ port, db, args = [] }) {
    this.port = port;
    this.db = db;
    this.extraArgs = args;
    this.proc = null;
    this.output = [];
  }

  log() {
    return this.output.join('').slice(-4000);
  }

  async start(timeoutMs = 15000) {
    if (!fs.existsSync(SERVER_BIN)) {
      throw new Error(`no server binary at ${SERVER_BIN} (cargo build -p capstan-chat, or set CAPSTAN_CHAT_BIN)`);
    }
    const args = ['--bind', '127.0.0.1', '--port', String(this.port), '--db', this.db, ...this.extraArgs];
    const proc = spawn(SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_BACKTRACE: '1' } });
    this.proc = proc;
    let exited = null;
    proc.once('exit', (code, signal) => {
      exited = { code, signal };
      this.output.push(`[server exited: code ${code}, signal ${signal}]\n`);
    });
    proc.once('error', (err) => {
      exited = { error: err };
      this.output.push(`[server failed to start: ${err.message}]\n`);
    });
    proc.stdout.on('data', (b) => this.output.push(b.toString()));
    proc.stderr.on('data', (b) => this.output.push(b.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`the server exited before listening:\n${this.log()}`);
      if (await canConnect(this.port)) return;
      await sleep(100);
    }
    throw new Error(`the server did not listen on ${this.port} within ${timeoutMs} ms:\n${this.log()}`);
  }

  /**
   * Stops the server with SIGTERM, as a service manager does, and checks
   * that it exited 0 within `timeoutMs`; else kills it (SIGKILL) and throws.
   */
  async stop(timeoutMs = 8000) {
    const proc = this.proc;
    this.proc = null;
    if (!proc) return;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`the server had exited already (code ${proc.exitCode}, signal ${proc.signalCode}):\n${this.log()}`);
    }
    const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    proc.kill('SIGTERM');
    const status = await within(exited, timeoutMs);
    if (status === 'timeout') {
      proc.kill('SIGKILL');
      await within(exited, 2000);
      throw new Error(`the server did not exit within ${timeoutMs} ms of SIGTERM (killed):\n${this.log()}`);
    }
    if (status.code !== 0) {
      throw new Error(`the server exited with code ${status.code}, signal ${status.signal} after SIGTERM:\n${this.log()}`);
    }
  }

  /** Synchronous last resort (process 'exit' handler). */
  killNow() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

// Close with a reset, as a dropped network would; a plain destroy if not.
function hardClose(socket) {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/**
 * A TCP proxy on a free port in front of `targetPort`. `cut()` destroys
 * every connection through it and refuses new ones until `restore()`.
 */
export async function startProxy(targetPort) {
  const sockets = new Set();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      hardClose(client);
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    get down() {
      return down;
    },
    cut() {
      down = true;
      for (const s of sockets) hardClose(s);
      sockets.clear();
    },
    restore() {
      down = false;
    },
    async close() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A redis-server (Debian's binary) on `port`, keeping nothing on disk
 * (`--save '' --appendonly no`, in its own directory `dir`): `kill()` and
 * `start()` again is a Redis that lost its data.
 */
export class RedisServer {
  constructor({ port, dir }) {
    this.port = port;
    this.dir = dir;
    this.proc = null;
    this.output = [];
  }

  url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  log() {
    return this.output.join('').slice(-2000);
  }

  async start(timeoutMs = 10000) {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const proc = spawn(process.env.REDIS_SERVER || 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let exited = null;
    proc.once('exit', (code, signal) => {
      exited = { code, signal };
    });
    proc.once('error', (err) => {
      exited = { error: err };
      this.output.push(`[redis-server failed to start: ${err.message}]\n`);
    });
    proc.stdout.on('data', (b) => this.output.push(b.toString()));
    proc.stderr.on('data', (b) => this.output.push(b.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`redis-server exited before listening:\n${this.log()}`);
      if (await canConnect(this.port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not listen on ${this.port} within ${timeoutMs} ms:\n${this.log()}`);
  }

  /** SIGKILL, and waits (bounded) until it is gone: its data goes with it. */
  async kill(timeoutMs = 5000) {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    if ((await within(exited, timeoutMs)) === 'timeout') throw new Error('redis-server did not exit after SIGKILL');
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

/**
 * A plain WebSocket client in node (no extensions, text frames), for a
 * second user that is not a browser: `send(type, data)`, `next(types)` for
 * the next envelope of one of those types (the others before it are
 * skipped), `close()`.
 */
export function openSocket(port, urlPath = '/ws', timeoutMs = WAIT) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: urlPath,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
      },
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('no WebSocket handshake answer')));
    req.once('upgrade', (res, socket, head) => resolve(new ChatSocket(socket, head)));
    req.once('response', (res) => {
      res.resume();
      reject(new Error(`WebSocket handshake refused: HTTP ${res.statusCode}`));
    });
    req.once('error', reject);
    req.end();
  });
}

class ChatSocket {
  constructor(socket, head) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.parts = [];
    this.queue = []; // envelopes not taken yet
    this.wake = null;
    this.closed = false;
    socket.setNoDelay(true);
    socket.on('data', (b) => this.onData(b));
    socket.on('close', () => this.onClose());
    socket.on('error', () => this.onClose());
    if (head && head.length) this.onData(head);
  }

  onClose() {
    this.closed = true;
    this.wake?.();
  }

  onData(bytes) {
    this.buf = Buffer.concat([this.buf, bytes]);
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const opcode = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (opcode === 0x9) this.write(0xa, payload);
      else if (opcode === 0x8) {
        this.write(0x8, payload.subarray(0, 2));
        this.socket.end();
      } else if (opcode === 0x1 || opcode === 0x0) {
        this.parts.push(Buffer.from(payload));
        if (fin) {
          const text = Buffer.concat(this.parts).toString('utf8');
          this.parts = [];
          try {
            this.queue.push(JSON.parse(text));
          } catch {
            // not an envelope
          }
          this.wake?.();
        }
      }
    }
  }

  write(opcode, payload) {
    if (this.closed) return;
    const len = payload.length;
    let header;
    if (len < 126) header = Buffer.from([0x80 | opcode, 0x80 | len]);
    else if (len < 65536) {
      header = Buffer.from([0x80 | opcode, 0x80 | 126, 0, 0]);
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const mask = crypto.randomBytes(4);
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  send(type, data) {
    this.write(0x1, Buffer.from(JSON.stringify(data === undefined ? { type } : { type, data })));
  }

  /** The next envelope of one of `types` ('closed' if the connection ends first). */
  async next(types, timeoutMs = WAIT) {
    const wanted = [].concat(types);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((e) => wanted.includes(e.type));
      if (i >= 0) {
        const env = this.queue[i];
        this.queue.splice(0, i + 1);
        return env;
      }
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${wanted.join(' or ')} within ${timeoutMs} ms`);
      await within(new Promise((r) => (this.wake = r)), left);
      this.wake = null;
    }
  }

  close() {
    this.socket.destroy();
    this.closed = true;
  }
}

/**
 * A helper process (a proxy, an example server, a test client): started,
 * waited for until a line of its stdout or stderr matches `ready` (the
 * match is returned as `ready`), and stopped. `stdout` and `stderr` keep
 * its lines; `exited` resolves with { code, signal }.
 */
export async function startProcess(command, args, { ready, env = {}, timeoutMs = WAIT, name = path.basename(command) } = {}) {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const child = { name, proc, stdout: [], stderr: [], ready: null };
  child.exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    proc.once('error', (error) => resolve({ code: null, signal: null, error: String(error) }));
  });
  child.log = () => `--- ${name} stdout ---\n${child.stdout.slice(-40).join('\n')}\n--- ${name} stderr ---\n${child.stderr.slice(-40).join('\n')}`;
  child.stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      if ((await within(child.exited, 5000)) === 'timeout') {
        proc.kill('SIGKILL');
        await within(child.exited, 2000);
      }
    }
  };
  child.killNow = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  let wake = null;
  const lines = (into) => {
    let partial = '';
    return (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop();
      into.push(...parts);
      wake?.();
    };
  };
  proc.stdout.on('data', lines(child.stdout));
  proc.stderr.on('data', lines(child.stderr));
  if (!ready) return child;
  const deadline = Date.now() + timeoutMs;
  let done = false;
  child.exited.then(() => {
    done = true;
    wake?.();
  });
  for (;;) {
    for (const line of [...child.stdout, ...child.stderr]) {
      const match = ready.exec(line);
      if (match) {
        child.ready = match;
        return child;
      }
    }
    if (done) throw new Error(`${name} exited before it was ready\n${child.log()}`);
    const left = deadline - Date.now();
    if (left <= 0) {
      child.killNow();
      throw new Error(`${name} was not ready within ${timeoutMs} ms\n${child.log()}`);
    }
    await within(new Promise((r) => (wake = r)), left);
    wake = null;
  }
}

/**
 * The web client speaks session mode (docs/SESSIONS.md §2): each WebSocket
 * frame of its connection starts with `m` (a data message: the chat's JSON
 * envelope follows) or `c` (a session control: JSON). The chat envelope of
 * a frame, or null for a control (or anything else).
 */
export function sessionData(frame) {
  return typeof frame === 'string' && frame.startsWith('m') ? JSON.parse(frame.slice(1)) : null;
}

/** The session control a frame carries (`{welcome: …}`, `{resume: …}`…), or null for data. */
export function sessionControl(frame) {
  return typeof frame === 'string' && frame.startsWith('c') ? JSON.parse(frame.slice(1)) : null;
}

/** The chat envelopes among `frames` (session frames, as Playwright reports them), from index `from` on. */
export const sessionEnvelopes = (frames, from = 0) => frames.slice(from).map(sessionData).filter(Boolean);

/** The controls named `name` among `frames`, from index `from` on: their values. */
export const sessionControls = (frames, name, from = 0) =>
  frames
    .slice(from)
    .map(sessionControl)
    .filter((c) => c && name in c)
    .map((c) => c[name]);

/** Polls `probe` until it returns a truthy value; bounded. */
export async function eventually(probe, what, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last && last.ok !== false) return last;
    if (Date.now() > deadline) {
      const seen = last && 'seen' in last ? last.seen : last;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${JSON.stringify(seen, null, 1)}`);
    }
    await sleep(100);
  }
}
