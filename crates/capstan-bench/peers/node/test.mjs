// node --test crates/capstan-bench/peers/node/test.mjs
//
// Starts each peer server (ws-server.mjs, uws-server.mjs) in both
// configurations and checks the protocol of crates/capstan-bench/README.md
// ("The protocol a measured server speaks") with `ws` as the client. Order,
// not time: no assertion depends on how fast anything happens (each test
// only has node:test's overall timeout as a bound).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVERS = ['ws-server.mjs', 'uws-server.mjs'];
const CONFIGS = [[], ['--tuned']];
const TEST_TIMEOUT = 60_000;

/** Starts a server; resolves with its child process and port once it listens. */
function startServer(file, flags) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, file), ...flags], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    const onData = (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline === -1) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve({ child, line: stdout.slice(0, newline) });
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`${file} exited (${code ?? signal}) before listening: ${stdout}`)),
    );
  });
}

/** Stops a server; resolves with its exit code once it has exited. */
function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/**
 * A connected client whose messages queue up for `next()`, in order.
 * @returns {Promise<{ws: WebSocket, next: () => Promise<{data: Buffer, isBinary: boolean}>}>}
 */
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 0 });
    const queue = [];
    const waiting = [];
    ws.on('message', (data, isBinary) => {
      const message = { data, isBinary };
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    });
    const next = () =>
      queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r));
    ws.once('open', () => resolve({ ws, next }));
    ws.once('error', reject);
  });
}

/** Closes with a close handshake; resolves with the code the server returned. */
function closeCleanly(ws) {
  return new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.close(1000, 'done');
  });
}

/** A `pub:` payload as the load generator makes them. */
function pubPayload(size, tag = '0') {
  const head = `pub:${tag.padStart(20, '0')}:`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

/** Opens /broadcast as a raw socket, handshakes, then stops reading. */
function slowSubscriber(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = randomBytes(16).toString('base64');
    let head = Buffer.alloc(0);
    let received = 0;
    const closed = new Promise((done) => socket.once('close', done));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(
        'GET /broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    const onHandshake = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onHandshake);
      if (!head.subarray(0, 12).toString().endsWith('101')) {
        reject(new Error(`handshake refused: ${head.subarray(0, end)}`));
        return;
      }
      received += head.length - end - 4;
      socket.pause();
      let enough = null;
      const reached = new Promise((done) => {
        enough = done;
      });
      let wanted = Infinity;
      socket.on('data', (data) => {
        received += data.length;
        if (received >= wanted) enough();
      });
      resolve({
        // Reads what is on its way until the server closes the connection or
        // `all` bytes have come; resolves with the bytes read.
        drain: async (all) => {
          wanted = all;
          if (received >= wanted) enough();
          socket.resume();
          await Promise.race([closed, reached]);
          socket.destroy();
          return received;
        },
      });
    };
    socket.on('data', onHandshake);
    socket.once('error', reject);
  });
}

describe('command line', () => {
  for (const file of SERVERS) {
    it(`${file} --help exits 0`, () => {
      const run = spawnSync(process.execPath, [path.join(here, file), '--help'], { encoding: 'utf8' });
      assert.equal(run.status, 0);
      assert.match(run.stdout, /--tuned/);
    });
    for (const addr of ['0.0.0.0:0', '10.0.0.1:9001', 'localhost:0', '[::1]:0', '127.0.0.1:70000', '127.0.0.1']) {
      it(`${file} refuses ${addr} with exit code 2`, () => {
        const run = spawnSync(process.execPath, [path.join(here, file), addr], { encoding: 'utf8' });
        assert.equal(run.status, 2, run.stderr);
        assert.equal(run.stdout, '');
      });
    }
  }
});

for (const file of SERVERS) {
  for (const flags of CONFIGS) {
    const config = flags.includes('--tuned') ? 'tuned' : 'default';
    describe(`${file} ${config}`, { timeout: TEST_TIMEOUT }, () => {
      let server;
      let port;
      let base;

      before(async () => {
        server = await startServer(file, flags);
        const match = /^LISTENING port=(\d+) pid=(\d+) url=ws:\/\/127\.0\.0\.1:(\d+) config=(\w+)$/.exec(
          server.line,
        );
        assert.ok(match, `unexpected first line ${JSON.stringify(server.line)}`);
        port = Number(match[1]);
        assert.equal(Number(match[2]), server.child.pid);
        assert.equal(Number(match[3]), port);
        assert.equal(match[4], config);
        base = `ws://127.0.0.1:${port}`;
      });

      after(async () => {
        if (server) assert.equal(await stopServer(server.child), 0);
      });

      it('echoes text and binary, same type and payload', async () => {
        const { ws, next } = await connect(`${base}/echo`);
        const text = 'héllo, wörld ✓';
        const binary = randomBytes(1000);
        ws.send(text);
        ws.send(binary);
        ws.send('');
        const first = await next();
        assert.equal(first.isBinary, false);
        assert.equal(first.data.toString('utf8'), text);
        const second = await next();
        assert.equal(second.isBinary, true);
        assert.deepEqual(second.data, binary);
        const third = await next();
        assert.equal(third.isBinary, false);
        assert.equal(third.data.length, 0);
        assert.equal(await closeCleanly(ws), 1000);
      });

      it('echoes a 1 MiB message', async () => {
        const { ws, next } = await connect(`${base}/echo`);
        const big = randomBytes(1 << 20);
        ws.send(big);
        const echoed = await next();
        assert.equal(echoed.isBinary, true);
        assert.deepEqual(echoed.data, big);
        assert.equal(await closeCleanly(ws), 1000);
      });

      it('answers a ping with a pong', async () => {
        const { ws } = await connect(`${base}/echo`);
        const pong = new Promise((resolve) => ws.once('pong', resolve));
        ws.ping(Buffer.from('are you there'));
        assert.equal((await pong).toString(), 'are you there');
        assert.equal(await closeCleanly(ws), 1000);
      });

      it('broadcasts a pub: text to every subscriber, the sender included', async () => {
        const a = await connect(`${base}/broadcast`);
        const b = await connect(`${base}/broadcast`);
        // b's subscription is in place once one of b's own publications comes
        // back to it; a, opened earlier, is subscribed by then too.
        const ready = pubPayload(40, '1');
        b.ws.send(ready);
        assert.equal((await b.next()).data.toString(), ready);
        assert.equal((await a.next()).data.toString(), ready);

        const message = pubPayload(512, '2');
        a.ws.send(message);
        for (const client of [a, b]) {
          const got = await client.next();
          assert.equal(got.isBinary, false);
          assert.equal(got.data.toString(), message);
        }
        assert.equal(await closeCleanly(a.ws), 1000);
        assert.equal(await closeCleanly(b.ws), 1000);
      });

      it('ignores texts without pub: and binary messages', async () => {
        const a = await connect(`${base}/broadcast`);
        const b = await connect(`${base}/broadcast`);
        const ready = pubPayload(40, '3');
        b.ws.send(ready);
        assert.equal((await b.next()).data.toString(), ready);
        assert.equal((await a.next()).data.toString(), ready);

        // Messages are handled in order: had any of the first three been
        // published, it would arrive before the last one.
        a.ws.send('hello: not for the topic');
        a.ws.send('PUB:upper case is not pub:');
        a.ws.send(Buffer.from(pubPayload(64, '4')));
        const last = pubPayload(64, '5');
        a.ws.send(last);
        for (const client of [a, b]) {
          const got = await client.next();
          assert.equal(got.isBinary, false);
          assert.equal(got.data.toString(), last);
        }
        assert.equal(await closeCleanly(a.ws), 1000);
        assert.equal(await closeCleanly(b.ws), 1000);
      });

      it('drops a subscriber that stops reading', async () => {
        const slow = await slowSubscriber(port);
        const publisher = await connect(`${base}/broadcast`);
        const size = 1 << 20;
        const count = 40;
        // One at a time, so that only the slow subscriber's queue grows: each
        // is back at the publisher before the next is sent.
        for (let i = 0; i < count; i++) {
          publisher.ws.send(pubPayload(size, String(i)));
          assert.equal((await publisher.next()).data.length, size);
        }
        // A frame of 1 MiB from the server: a 10-byte header and the payload.
        const all = count * (10 + size);
        const received = await slow.drain(all);
        assert.ok(received < all, `the slow subscriber got all ${received} bytes`);
        assert.equal(await closeCleanly(publisher.ws), 1000);
      });

      it('answers 404 on an unknown path', async () => {
        const status = await new Promise((resolve, reject) => {
          const ws = new WebSocket(`${base}/nope`);
          ws.once('unexpected-response', (_request, response) => {
            resolve(response.statusCode);
            response.resume();
            ws.terminate();
          });
          ws.once('open', () => reject(new Error('upgraded on /nope')));
          ws.once('error', () => {});
        });
        assert.equal(status, 404);
      });
    });
  }
}
