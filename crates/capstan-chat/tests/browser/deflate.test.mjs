// permessage-deflate in headless Chromium against Capstan's echo example
// (as offered, and ECHO_DEFLATE=default): the browser's own WebSocket, in
// an empty page served from 127.0.0.1 (Chromium's local network access
// checks refuse loopback WebSockets from about:blank), negotiates the
// extension, and text (5 KiB of JSON, UTF-8 with emoji) and binary
// (100 KiB) messages come back intact.
// A TCP proxy in between reads the frames both ways, so the test also
// checks that the browser did compress (the server inflated) and that the
// server compressed exactly the echoes at or above its threshold.
//
//   node --test deflate.test.mjs
//
// CAPSTAN_ECHO_BIN: the echo binary (default target/release/examples/echo,
// built with `cargo build --release -p capstan --example echo` if missing);
// CHROMIUM_PATH: the browser (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, CHROMIUM, CHROMIUM_ARGS, WAIT } from './harness.mjs';

const ECHO_BIN = process.env.CAPSTAN_ECHO_BIN || path.join(ROOT, 'target/release/examples/echo');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-deflate-browser-'));
const servers = [];
const proxies = [];
let browser = null;
let pageServer = null;

process.on('exit', () => {
  for (const s of servers) s.killNow();
});

/** `promise`, or a rejection naming `what` after `ms`; the timer is cleared either way. */
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ------------------------------------------------------------ echo server

/** The echo example as a child process on a port the kernel picks. */
class EchoServer {
  constructor(mode) {
    this.mode = mode; // 'as_offered' or 'default'
    this.proc = null;
    this.output = [];
    this.port = null;
  }

  log() {
    return this.output.join('').slice(-4000);
  }

  async start() {
    const env = { ...process.env, RUST_BACKTRACE: '1' };
    delete env.ECHO_DEFLATE;
    if (this.mode === 'default') env.ECHO_DEFLATE = 'default';
    const proc = spawn(ECHO_BIN, ['127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.proc = proc;
    const listening = new Promise((resolve, reject) => {
      const onData = (b) => {
        this.output.push(b.toString());
        const m = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(this.output.join(''));
        if (m) resolve(Number(m[1]));
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', (b) => this.output.push(b.toString()));
      proc.once('exit', (code, signal) => reject(new Error(`echo exited (${code}, ${signal}):\n${this.log()}`)));
      proc.once('error', reject);
    });
    this.port = await within(listening, WAIT, `the echo server (${this.mode}) to listen`);
  }

  async stop() {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    try {
      await within(exited, 5_000, 'echo to exit');
    } catch {
      proc.kill('SIGKILL');
      await within(exited, 2_000, 'echo to die').catch(() => {});
    }
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

// ------------------------------------------------------- sniffing proxy

/**
 * Reads WebSocket frames from one direction of a connection: skips the
 * HTTP head, then records each frame's FIN, RSV1, opcode and payload length.
 */
class FrameReader {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.headDone = false;
    this.frames = [];
  }

  push(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (!this.headDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = this.buf.subarray(0, end).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      this.headDone = true;
    }
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let pos = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        pos = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        pos = 10;
      }
      if (b1 & 0x80) pos += 4;
      if (this.buf.length < pos + len) return;
      this.frames.push({ fin: !!(b0 & 0x80), rsv1: !!(b0 & 0x40), opcode: b0 & 0x0f, len });
      this.buf = this.buf.subarray(pos + len);
    }
  }

  /** Data messages: RSV1 of each first frame. */
  messages() {
    const out = [];
    for (const f of this.frames) {
      if (f.opcode === 1 || f.opcode === 2) out.push({ opcode: f.opcode, rsv1: f.rsv1 });
      else if (f.opcode === 0) assert.equal(f.rsv1, false, 'RSV1 on a continuation frame');
    }
    return out;
  }
}

/** A proxy on a free port in front of `targetPort` that reads both directions. */
async function startSniffer(targetPort) {
  const conns = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const conn = { up: new FrameReader(), down: new FrameReader() };
    conns.push(conn);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => {
      conn.up.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      conn.down.push(d);
      client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: server.address().port,
    conns,
    async close() {
      for (const s of sockets) s.destroy();
      await within(new Promise((r) => server.close(r)), 5_000, 'proxy to close').catch(() => {});
    },
  };
}

// ------------------------------------------------------------ a page

/**
 * An empty page served from 127.0.0.1: Chromium's local network access
 * checks block WebSockets to the loopback from about:blank, not from a
 * page that is itself on the loopback.
 */
async function startPageServer() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><meta charset="utf-8"><title>deflate</title>');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    async close() {
      server.closeAllConnections();
      await within(new Promise((r) => server.close(r)), 5_000, 'page server to close').catch(() => {});
    },
  };
}

// ------------------------------------------------------------ the tests

before(async () => {
  if (!fs.existsSync(ECHO_BIN)) {
    if (process.env.CAPSTAN_ECHO_BIN) throw new Error(`no echo binary at ${ECHO_BIN}`);
    const built = spawnSync('cargo', ['build', '--release', '-p', 'capstan', '--example', 'echo'], {
      cwd: ROOT,
      stdio: 'inherit',
      timeout: 20 * 60_000,
    });
    if (built.status !== 0 || !fs.existsSync(ECHO_BIN)) throw new Error('cargo build of the echo example failed');
  }
  pageServer = await startPageServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT });
});

after(async () => {
  if (browser) await within(browser.close(), 10_000, 'browser to close').catch(() => {});
  for (const p of proxies) await p.close();
  if (pageServer) await pageServer.close();
  for (const s of servers) await s.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** 5 KiB (and a bit) of JSON. */
function jsonText() {
  const items = [];
  for (let i = 0; JSON.stringify(items).length < 5 * 1024; i++) {
    items.push({ id: i, user: `user-${i % 7}`, room: 'lobby', text: `message number ${i}`, tags: ['a', 'b'] });
  }
  return JSON.stringify(items);
}

const EMOJI = 'héllo wörld € 🦀🚀 日本語 👩‍👩‍👧 '.repeat(60);
const SHORT_EMOJI = 'hi 🦀';

/** 100 KiB: half pseudo-random, half repetitive. */
function binaryData() {
  const data = Buffer.alloc(100 * 1024);
  let x = 0x2545f491;
  for (let i = 0; i < data.length / 2; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  for (let i = data.length / 2; i < data.length; i++) data[i] = i % 251;
  return data;
}

/**
 * In the page: opens a WebSocket to `url`, sends each message (text as is,
 * binary given in base64) and waits for its echo; returns the extensions
 * and the echoes (binary back in base64). Every wait is bounded.
 */
async function roundTripInPage(page, url, messages) {
  return page.evaluate(
    async ({ url, messages, wait }) => {
      const bounded = (promise, what) =>
        Promise.race([
          promise,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), wait)),
        ]);
      const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;
      const toB64 = (buf) => {
        const bytes = new Uint8Array(buf);
        let s = '';
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(s);
      };
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      const queue = [];
      let waiting = null;
      let closed = null;
      ws.onmessage = (e) => {
        if (waiting) {
          const w = waiting;
          waiting = null;
          w.resolve(e.data);
        } else queue.push(e.data);
      };
      ws.onclose = (e) => {
        closed = `closed ${e.code} ${e.reason}`;
        if (waiting) waiting.reject(new Error(closed));
      };
      await bounded(
        new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Error('WebSocket error before open'));
        }),
        'open',
      );
      const next = () =>
        bounded(
          new Promise((resolve, reject) => {
            if (queue.length) resolve(queue.shift());
            else if (closed) reject(new Error(closed));
            else waiting = { resolve, reject };
          }),
          'echo',
        );
      const echoes = [];
      for (const m of messages) {
        ws.send(m.kind === 'text' ? m.data : fromB64(m.data));
        const echo = await next();
        echoes.push(typeof echo === 'string' ? { kind: 'text', data: echo } : { kind: 'binary', data: toB64(echo) });
      }
      const extensions = ws.extensions;
      ws.close(1000, 'done');
      await bounded(
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) resolve();
          else ws.addEventListener('close', resolve);
        }),
        'close',
      );
      return { extensions, echoes };
    },
    { url, messages, wait: WAIT },
  );
}

async function exercise(mode, threshold, expectedExtensions) {
  const server = new EchoServer(mode);
  servers.push(server);
  await server.start();
  const proxy = await startSniffer(server.port);
  proxies.push(proxy);

  const json = jsonText();
  const binary = binaryData();
  const messages = [
    { kind: 'text', data: json },
    { kind: 'text', data: json }, // again: the context (if kept) is in use
    { kind: 'text', data: EMOJI },
    { kind: 'binary', data: binary.toString('base64') },
    { kind: 'text', data: SHORT_EMOJI },
    { kind: 'binary', data: Buffer.from('tiny').toString('base64') },
    { kind: 'text', data: json },
  ];
  const sizes = messages.map((m) => (m.kind === 'text' ? Buffer.byteLength(m.data) : Buffer.from(m.data, 'base64').length));
  assert.ok(Buffer.byteLength(json) >= 5 * 1024);

  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    await page.goto(pageServer.url);
    const result = await within(
      roundTripInPage(page, `ws://127.0.0.1:${proxy.port}`, messages),
      4 * WAIT,
      'the round trips in the page',
    );

    assert.ok(result.extensions.includes('permessage-deflate'), `extensions: ${JSON.stringify(result.extensions)}`);
    assert.equal(result.extensions, expectedExtensions);
    assert.equal(result.echoes.length, messages.length);
    result.echoes.forEach((echo, i) => {
      assert.equal(echo.kind, messages[i].kind, `message ${i}`);
      assert.ok(echo.data === messages[i].data, `message ${i} (${messages[i].kind}, ${sizes[i]} bytes) came back different`);
    });

    // What went over the wire.
    assert.equal(proxy.conns.length, 1);
    const conn = proxy.conns[0];
    assert.match(conn.down.head, /^HTTP\/1\.1 101 /);
    const answer = /\r\nsec-websocket-extensions: *([^\r\n]*)/i.exec(conn.down.head)?.[1];
    assert.equal(answer, expectedExtensions, 'the server answer as sent');
    assert.match(conn.up.head, /sec-websocket-extensions: *permessage-deflate/i, 'the browser offers permessage-deflate');
    const up = conn.up.messages();
    const down = conn.down.messages();
    assert.equal(up.length, messages.length, 'every message sent');
    assert.ok(
      up.filter((m) => m.rsv1).length >= 1,
      `the browser compressed (so the server inflated): ${JSON.stringify(up)}`,
    );
    assert.equal(down.length, messages.length, 'every echo received');
    down.forEach((m, i) => {
      assert.equal(m.rsv1, sizes[i] >= threshold, `echo ${i} (${sizes[i]} bytes, threshold ${threshold}): RSV1 ${m.rsv1}`);
    });
  } catch (err) {
    err.message += `\n--- echo server (${mode}) output:\n${server.log()}`;
    throw err;
  } finally {
    await within(context.close(), 10_000, 'context to close').catch(() => {});
  }
}

test('permessage-deflate as offered (context takeover, threshold 0)', { timeout: 90_000 }, async () => {
  await exercise('as_offered', 0, 'permessage-deflate');
});

test('permessage-deflate with the default config (no context takeover, threshold 1024)', { timeout: 90_000 }, async () => {
  await exercise('default', 1024, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
});
