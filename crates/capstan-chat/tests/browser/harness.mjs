// Processes and sockets for the browser test: the chat server, a TCP proxy
// that can cut a user's connection for real, free ports.
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SERVER_BIN = process.env.CAPSTAN_CHAT_BIN || path.join(ROOT, 'target/debug/capstan-chat');
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

function canConnect(port) {
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
