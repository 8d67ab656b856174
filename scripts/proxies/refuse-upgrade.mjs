// An HTTP reverse proxy that refuses every WebSocket upgrade, the way some
// corporate proxies do, and forwards everything else: ordinary requests,
// POST bodies, and long-lived streaming answers (text/event-stream, chunked
// text) passed on chunk by chunk as they arrive. Used to test the session
// fallback transports (docs/SESSIONS.md §8). Node 20, no dependencies.
//
//   node refuse-upgrade.mjs LISTEN_PORT TARGET_HOST:TARGET_PORT
//
// Prints `listening on PORT` on stdout once bound (LISTEN_PORT 0 picks a
// free port, and the line tells which).

import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: node refuse-upgrade.mjs LISTEN_PORT TARGET_HOST:TARGET_PORT

Forwards plain HTTP requests to TARGET (streaming answers flushed as they
arrive, request bodies streamed through) and answers every WebSocket upgrade
with 403 Forbidden, then closes the connection.
Prints "listening on PORT" once bound (LISTEN_PORT 0: a free port).`;

/** Headers that belong to one hop and are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
  'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** A copy of `headers` without the hop-by-hop ones (and those `Connection` names). */
export function endToEndHeaders(headers) {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const kept = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}

/** Parses `HOST:PORT` (the host may be a bracketed IPv6 address). */
export function parseTarget(text) {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text ?? '');
  if (!match) throw new Error(`target must be HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: match[1], port: Number(match[2]) };
}

/** The upstream connections, kept alive and shared by every client. */
const pooled = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** Passes one request on to the target and its answer back, streaming both. */
function forward(target, req, res) {
  const upstream = http.request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: endToEndHeaders(req.headers),
    // Upstream connections kept alive and pooled, as many proxies do: the
    // requests of several clients and routes share them (a session's POST
    // after a GET of a page, on one connection), which the server must
    // route request by request.
    agent: pooled,
  });
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode, answer.statusMessage, endToEndHeaders(answer.headers));
    // Send the head now: an event stream may not write its first byte for a while.
    res.flushHeaders();
    answer.pipe(res);
    answer.on('error', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (res.headersSent) {
      res.destroy();
    } else {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway: ${error.message}\n`);
    }
  });
  // The client went away (e.g. closed its event stream): stop the upstream too.
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

/** Answers an upgrade request 403 and closes its connection. */
function refuse(socket) {
  const body = 'WebSocket upgrades are not allowed through this proxy\n';
  socket.on('error', () => {});
  socket.end(
    'HTTP/1.1 403 Forbidden\r\n' +
      'Content-Type: text/plain\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
}

/** Starts the proxy; resolves to the server once it listens. */
export function startRefuseUpgrade(listenPort, target) {
  const server = http.createServer((req, res) => forward(target, req, res));
  server.on('upgrade', (_req, socket) => refuse(socket));
  server.on('clientError', (_error, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 2) {
    console.error(USAGE);
    process.exit(2);
  }
  const server = await startRefuseUpgrade(Number(positionals[0]), parseTarget(positionals[1]));
  console.log(`listening on ${server.address().port}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
