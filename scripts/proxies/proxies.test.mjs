// Tests of the two test proxies, each run as its command would be, against
// plain Node http / net servers as targets.
//
//   node --test scripts/proxies/

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { delayPicker, seededRandom } from './cutting-proxy.mjs';
import { endToEndHeaders, parseTarget } from './refuse-upgrade.mjs';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

/** Every process and server a test started, stopped when the file ends. */
const started = [];
after(() => {
  for (const thing of started) {
    if (thing.kill) thing.kill();
    else thing.close();
  }
});

/**
 * Runs `node SCRIPT ...args` and resolves once it printed its port: to
 * { port, child, stderr() (lines so far), stderrLine(regex) (a promise) }.
 */
function runProxy(script, args) {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let errText = '';
  const waiters = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    errText += chunk;
    for (const waiter of waiters.splice(0)) waiter();
  });
  const stderr = () => errText.split('\n').filter(Boolean);
  const stderrLine = (regex) =>
    new Promise((resolve) => {
      const look = () => {
        const line = stderr().find((l) => regex.test(l));
        if (line) resolve(line);
        else waiters.push(look);
      };
      look();
    });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\d+)/.exec(out);
      if (match) resolve({ port: Number(match[1]), child, stderr, stderrLine });
    });
    child.on('exit', (code) => reject(new Error(`${script} exited (${code}): ${errText}`)));
  });
}

/** Starts `server` on a free port of 127.0.0.1; resolves to the port. */
function listen(server) {
  started.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

/** The whole body of an http answer, as text. */
async function bodyText(res) {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  return text;
}

/** Makes an HTTP request; resolves to the response (body not yet read). */
function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves on the first 'event' of `emitter`, with its arguments. */
const once = (emitter, event) => new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));

/** `node SCRIPT --help` exits 0 after printing its usage. */
async function helpWorks(script) {
  const child = spawn(process.execPath, [here(script), '--help']);
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.ok(out.startsWith(`usage: node ${script} `), out);
}

describe('refuse-upgrade.mjs', { timeout: 30_000 }, async () => {
  // The target: a few routes, one an event stream driven by the test.
  let upgradesSeen = 0;
  let releaseStream = null;
  const target = http.createServer(async (req, res) => {
    if (req.url.startsWith('/hello')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-target': 'yes' });
      res.end(`hello ${req.method} ${req.url}`);
    } else if (req.url === '/echo' && req.method === 'POST') {
      const body = await bodyText(req);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.headers['content-type']}|${body.length}|${body.slice(0, 5)}`);
    } else if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      // The second event only once the client said it saw the first: a proxy
      // that held the first back would hang here (until the test's timeout).
      releaseStream = () => res.end('data: two\n\n');
    } else if (req.url === '/next') {
      releaseStream();
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('none here');
    }
  });
  target.on('upgrade', (_req, socket) => {
    upgradesSeen += 1;
    socket.destroy();
  });
  const targetPort = await listen(target);
  const proxy = await runProxy('refuse-upgrade.mjs', ['0', `127.0.0.1:${targetPort}`]);

  test('forwards a GET: status, headers, body and query', async () => {
    const res = await request(proxy.port, 'GET', '/hello?x=1');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-target'], 'yes');
    assert.equal(await bodyText(res), 'hello GET /hello?x=1');
  });

  test('forwards the target’s error statuses', async () => {
    const res = await request(proxy.port, 'GET', '/missing');
    assert.equal(res.statusCode, 404);
    assert.equal(await bodyText(res), 'none here');
  });

  test('forwards a POST body whole', async () => {
    const body = 'c'.repeat(300_000);
    const res = await new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1', port: proxy.port, method: 'POST', path: '/echo', agent: false,
          headers: { 'content-type': 'text/plain;charset=UTF-8' },
        },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(res.statusCode, 200);
    assert.equal(await bodyText(res), 'text/plain;charset=UTF-8|300000|ccccc');
  });

  test('passes an event stream on as it arrives', async () => {
    const res = await request(proxy.port, 'GET', '/events');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    res.setEncoding('utf8');
    let text = '';
    for await (const chunk of res) {
      text += chunk;
      if (text === 'data: one\n\n') await bodyText(await request(proxy.port, 'GET', '/next'));
    }
    assert.equal(text, 'data: one\n\ndata: two\n\n');
  });

  test('answers 403 to a WebSocket upgrade and closes', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    socket.setEncoding('utf8');
    let answer = '';
    for await (const chunk of socket) answer += chunk;
    assert.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.equal(upgradesSeen, 0);
  });

  test('--help prints the usage and exits 0', () => helpWorks('refuse-upgrade.mjs'));

  test('parses targets and strips hop-by-hop headers', () => {
    assert.deepEqual(parseTarget('localhost:80'), { host: 'localhost', port: 80 });
    assert.deepEqual(parseTarget('[::1]:9300'), { host: '::1', port: 9300 });
    assert.throws(() => parseTarget('nohost'));
    assert.deepEqual(
      endToEndHeaders({ connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', upgrade: 'websocket', accept: '*/*' }),
      { accept: '*/*' },
    );
  });
});

describe('cutting-proxy.mjs', { timeout: 30_000 }, async () => {
  // The target: echoes every byte; counts connections and their closes.
  const target = { opened: 0, closed: 0 };
  const echo = net.createServer((socket) => {
    target.opened += 1;
    socket.on('error', () => {});
    socket.on('close', () => { target.closed += 1; });
    socket.pipe(socket);
  });
  const targetPort = await listen(echo);
  const targetArg = `127.0.0.1:${targetPort}`;

  /** Connects to `port`; resolves to the socket once connected. */
  const connect = async (port) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    return socket;
  };

  test('forwards both ways, untouched with --cuts 0', async () => {
    const proxy = await runProxy('cutting-proxy.mjs', ['0', targetArg, '--cuts', '0']);
    const socket = await connect(proxy.port);
    socket.setEncoding('utf8');
    const payload = 'x'.repeat(200_000);
    socket.end(payload);
    let back = '';
    for await (const chunk of socket) back += chunk;
    assert.equal(back.length, payload.length);
    assert.ok(back === payload, 'the echo differs from what was sent');
    assert.deepEqual(proxy.stderr(), []);
  });

  test('cuts a connection on both sides and says so', async () => {
    const proxy = await runProxy('cutting-proxy.mjs', ['0', targetArg, '--min-ms', '50', '--max-ms', '100']);
    const closedBefore = target.closed;
    const socket = await connect(proxy.port);
    await once(socket, 'close');
    const line = await proxy.stderrLine(/^cut 1: /);
    assert.match(line, /^cut 1: connection 1 after (\d+) ms \(\d+ bytes up, \d+ down\)$/);
    const planned = Number(/after (\d+) ms/.exec(line)[1]);
    assert.ok(planned >= 50 && planned <= 100, `planned ${planned} ms`);
    // The target's side is gone too.
    while (target.closed === closedBefore) await new Promise((r) => setTimeout(r, 10));
  });

  test('the same seed cuts at the same moments', async () => {
    const plannedDelays = async (seed) => {
      const proxy = await runProxy('cutting-proxy.mjs', ['0', targetArg, '--seed', seed, '--min-ms', '10', '--max-ms', '60']);
      for (let i = 1; i <= 3; i += 1) {
        const socket = await connect(proxy.port);
        await once(socket, 'close');
        await proxy.stderrLine(new RegExp(`^cut ${i}: connection ${i} `));
      }
      return proxy.stderr().map((line) => Number(/after (\d+) ms/.exec(line)[1]));
    };
    const first = await plannedDelays('42');
    assert.equal(first.length, 3);
    assert.deepEqual(await plannedDelays('42'), first);
  });

  test('--stall keeps both sockets open and silent', async () => {
    const proxy = await runProxy('cutting-proxy.mjs', ['0', targetArg, '--stall', '--min-ms', '10', '--max-ms', '20']);
    const closedBefore = target.closed;
    const socket = await connect(proxy.port);
    let closed = false;
    socket.on('close', () => { closed = true; });
    assert.match(await proxy.stderrLine(/^stall 1: /), /^stall 1: connection 1 after \d+ ms/);
    assert.equal(closed, false);
    assert.equal(target.closed, closedBefore);
    socket.destroy();
  });

  test('the PRNG is deterministic and its delays stay in range', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const pick = delayPicker(seededRandom(7), 200, 1500);
    for (let i = 0; i < 1000; i += 1) {
      const x = a();
      assert.equal(x, b());
      assert.ok(x >= 0 && x < 1);
      const delay = pick();
      assert.ok(Number.isInteger(delay) && delay >= 200 && delay <= 1500, `delay ${delay}`);
    }
    assert.notEqual(seededRandom(0)(), 0);
  });

  test('--help prints the usage and exits 0', () => helpWorks('cutting-proxy.mjs'));
});
