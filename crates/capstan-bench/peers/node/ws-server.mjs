// node ws-server.mjs [--tuned] [ADDR]: the `ws` library (npm `ws`, 8.x)
// speaking the load generator's protocol (crates/capstan-bench/README.md,
// "The protocol a measured server speaks"): GET /echo, GET /broadcast,
// 404 elsewhere.
//
// Both configurations, on one node:http server and two WebSocketServers in
// noServer mode routed by path (ws README, "Multiple servers sharing a single
// HTTP/S server"):
//
// - Settings the protocol requires, in both: perMessageDeflate false (ws's
//   server default already), maxPayload 64 MiB (ws's default is 100 MiB; set
//   to the reference server's limit), no server pings and no idle timeout (ws
//   has neither unless the application adds them: ws README, FAQ "How to
//   detect and close broken connections?" is application code), pings
//   answered (autoPong, default true), close frames answered (ws does it),
//   UTF-8 of text messages validated (skipUTF8Validation stays false), and a
//   slow consumer dropped: ws has no outbound limit of its own, so after each
//   send the connection is terminated once ws.bufferedAmount (socket buffer +
//   ws's own queue; doc/ws.md, "websocket.bufferedAmount") passes 4 MiB.
//
// - default: everything else as ws ships it, and WITHOUT the optional native
//   addon bufferutil: WS_NO_BUFFER_UTIL=1 is set before ws is loaded (ws's
//   doc/ws.md, "WS_NO_BUFFER_UTIL"), so one install serves both
//   configurations. /broadcast is the ws README's "Server broadcast" example
//   (sender included): wss.clients.forEach(c => c.send(data, {binary})).
//
// - --tuned: what ws's README offers for performance, "Legacy opt-in for
//   performance": the bufferutil addon (native masking/unmasking; a server
//   unmasks every client frame, and ws hands those of 32 bytes and more to
//   bufferutil on Node.js versions without http.websocketMask, Node 20 among
//   them). Its sibling utf-8-validate is not used: ws 8 prefers
//   buffer.isUtf8, built into Node >= 18.14, and loads utf-8-validate only
//   where that is missing. Beyond the README: clientTracking false (doc/ws.md,
//   "new WebSocketServer(options)"), so /echo keeps no set of its clients at
//   all and /broadcast keeps its own Set of subscribers instead of
//   wss.clients (the same work, made explicit). ws's documentation suggests
//   nothing else for throughput or many connections; allowSynchronousEvents
//   is already true by default.
//
// The server checks at startup that bufferutil's native binary is loaded in
// --tuned and not loaded by default, and exits 1 otherwise.
//
// Broadcast is a loop of client.send: ws has no documented way to frame a
// message once for many sockets (WebSocket.Sender is internal), so each send
// frames again; the payload Buffer itself is shared, not copied.
//
// One thread: Node runs all of this on its main thread.

import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

import {
  BACKPRESSURE_LIMIT,
  MAX_PAYLOAD,
  bareResponse,
  parseArgs,
  printListening,
  startsWithPub,
  stopOnSignals,
} from './common.mjs';

const options = parseArgs(process.argv.slice(2), {
  name: 'ws-server.mjs',
  what: 'the ws library serving /echo and /broadcast for loadgen',
  tuned: 'with the native bufferutil addon and clientTracking: false (default: neither)',
});

// ws decides whether to load bufferutil when it is first loaded, so the
// switch goes before the import.
if (options.tuned) delete process.env.WS_NO_BUFFER_UTIL;
else process.env.WS_NO_BUFFER_UTIL = '1';
const { WebSocket, WebSocketServer } = await import('ws');
checkBufferutil(options.tuned);

const SEND_TEXT = Object.freeze({ binary: false });
const SEND_BINARY = Object.freeze({ binary: true });

/** Drops a connection whose outbound queue has passed the limit. */
function dropIfSlow(ws) {
  if (ws.bufferedAmount > BACKPRESSURE_LIMIT) ws.terminate();
}

function ignoreError() {
  // A connection's error (a protocol violation, a reset) is followed by its
  // close; nothing else to do. The listener keeps it from being thrown.
}

const serverOptions = {
  noServer: true,
  perMessageDeflate: false,
  maxPayload: MAX_PAYLOAD,
  skipUTF8Validation: false,
  ...(options.tuned ? { clientTracking: false } : {}),
};

// /echo: every message back, same type, same payload.
const echo = new WebSocketServer(serverOptions);
echo.on('connection', (ws) => {
  ws.on('error', ignoreError);
  ws.on('message', (data, isBinary) => {
    ws.send(data, isBinary ? SEND_BINARY : SEND_TEXT);
    dropIfSlow(ws);
  });
});

// /broadcast: every connection subscribed; `pub:` texts to all, sender too.
const broadcast = new WebSocketServer(serverOptions);
/** @type {Set<import('ws').WebSocket>} the subscribers (wss.clients by default) */
const subscribers = options.tuned ? new Set() : broadcast.clients;
broadcast.on('connection', (ws) => {
  ws.on('error', ignoreError);
  if (options.tuned) {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  }
  ws.on('message', (data, isBinary) => {
    if (isBinary || !startsWithPub(data)) return;
    subscribers.forEach((client) => {
      if (client.readyState === WebSocket.OPEN) {
        client.send(data, SEND_TEXT);
        dropIfSlow(client);
      }
    });
  });
});

const routes = new Map([
  ['/echo', echo],
  ['/broadcast', broadcast],
]);

function pathOf(request) {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

const server = http.createServer((request, response) => {
  // Plain HTTP: the WebSocket paths want an upgrade, the rest do not exist.
  const known = routes.has(pathOf(request));
  response.writeHead(known ? 426 : 404, {
    'content-type': 'text/plain',
    ...(known ? { upgrade: 'websocket', connection: 'Upgrade' } : {}),
  });
  response.end(known ? 'upgrade required\n' : 'not found\n');
});

server.on('upgrade', (request, socket, head) => {
  const wss = routes.get(pathOf(request));
  if (wss === undefined) {
    socket.on('error', ignoreError);
    socket.end(bareResponse('404 Not Found'));
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => {
    wss.emit('connection', ws, request);
  });
});

server.on('error', (error) => {
  process.stderr.write(`ws-server.mjs: ${error.message}\n`);
  process.exit(1);
});

stopOnSignals(() => server.close());

server.listen(options.port, options.host, () => {
  const { port } = server.address();
  printListening({ host: options.host, port, tuned: options.tuned });
});

/**
 * Exits 1 unless bufferutil's native binary is loaded exactly when `wanted`.
 * ws loads it with require, so the binary shows in require.cache.
 */
function checkBufferutil(wanted) {
  const require = createRequire(import.meta.url);
  const wsDir = path.dirname(require.resolve('ws'));
  let dir = null;
  try {
    dir = path.dirname(createRequire(path.join(wsDir, 'index.js')).resolve('bufferutil'));
  } catch {
    // Not installed: only a problem when wanted.
  }
  const loaded =
    dir !== null &&
    Object.keys(require.cache).some((file) => file.startsWith(dir + path.sep) && file.endsWith('.node'));
  if (loaded !== wanted) {
    process.stderr.write(
      `ws-server.mjs: bufferutil's native binary is ${loaded ? '' : 'not '}loaded, ` +
        `but config=${wanted ? 'tuned' : 'default'} wants it ${wanted ? 'loaded' : 'not loaded'} ` +
        '(npm ci in crates/capstan-bench/peers/node installs it)\n',
    );
    process.exit(1);
  }
}
