// node socketio-server.mjs [--redis URL] [ADDR]: one Socket.IO 4 node, the
// peer of `capstan-bench-server --redis URL` in the cross-node benchmark
// (BENCHMARKS.md, "Across nodes (Redis)").
//
// The same protocol as the capstan node, in Socket.IO's terms: every client
// is a subscriber of the one broadcast (`io.emit` reaches every socket of
// the namespace, on every node); a `pub` event whose data is a string that
// starts with `pub:` is emitted unchanged to everyone as event `m`, its
// sender included. Anything else is ignored.
//
// With --redis, the nodes are one cluster through @socket.io/redis-adapter's
// sharded adapter (createShardedAdapter: SPUBLISH / SSUBSCRIBE, Redis 7), the
// one Socket.IO's documentation recommends "for new developments" and the
// same Redis feature capstan's engine uses; its redis clients come from the
// `redis` package (node-redis 4), as in the adapter's README. A broadcast is
// sent to this node's sockets at once and published once on Redis; the other
// nodes send it to theirs (Socket.IO's ClusterAdapter). Without --redis, the
// default in-memory adapter (one node).
//
// Settings: transports websocket only (the clients use no HTTP long-polling,
// as capstan's speak plain WebSocket), permessage-deflate off (engine.io's
// default), messages up to 64 MiB (maxHttpBufferSize), no client script
// served. Socket.IO's heartbeat stays as shipped (a ping every 25 s from the
// server, 20 s for the pong): it is part of its protocol. Socket.IO has no
// bound on a connection's outbound queue, so there is none here.
//
// Prints `LISTENING port=P pid=PID url=ws://HOST:P` on stdout once listening
// (and connected to Redis); stops on SIGINT/SIGTERM.

import http from 'node:http';

import { createShardedAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

import { parseLoopbackAddr, parseRedisUrl } from './lib/args.mjs';

const USAGE = `node socketio-server.mjs [--redis URL] [ADDR]: a Socket.IO 4 node for the cross-node benchmark

  --redis URL  one node of several: @socket.io/redis-adapter (sharded) on the Redis at
               URL, redis://127.x.y.z:PORT (loopback only)
  ADDR         where to listen, a loopback IPv4 HOST:PORT (default 127.0.0.1:0)

Prints \`LISTENING port=P pid=PID url=ws://HOST:P\` once listening.`;

function parse(args) {
  let redis = null;
  let addr = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    if (arg === '--redis') {
      redis = args[++i];
      if (redis === undefined || parseRedisUrl(redis) === null) {
        throw new Error(`--redis needs redis://IP:PORT at a loopback address, not ${redis}`);
      }
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${JSON.stringify(arg)}`);
    } else if (addr !== null) {
      throw new Error(`a second ADDR ${JSON.stringify(arg)}`);
    } else {
      addr = arg;
    }
  }
  const listen = parseLoopbackAddr(addr ?? '127.0.0.1:0');
  if (listen === null) throw new Error(`${JSON.stringify(addr)} is not a loopback IPv4 HOST:PORT`);
  return { help: false, redis, ...listen };
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`socketio-server: ${e.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE + '\n');
  process.exit(0);
}

const clients = [];
let adapter;
if (options.redis !== null) {
  const pubClient = createClient({ url: options.redis });
  const subClient = pubClient.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on('error', (e) => process.stderr.write(`socketio-server: redis: ${e.message}\n`));
  }
  await Promise.all([pubClient.connect(), subClient.connect()]);
  clients.push(pubClient, subClient);
  adapter = createShardedAdapter(pubClient, subClient);
}

const httpServer = http.createServer((_req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024 * 1024,
  serveClient: false,
  ...(adapter ? { adapter } : {}),
});

io.on('connection', (socket) => {
  socket.on('pub', (data) => {
    if (typeof data === 'string' && data.startsWith('pub:')) io.emit('m', data);
  });
});

httpServer.listen(options.port, options.host, () => {
  const { port } = httpServer.address();
  process.stdout.write(
    `LISTENING port=${port} pid=${process.pid} url=ws://${options.host}:${port}\n`,
  );
});

const stop = () => {
  for (const client of clients) client.disconnect().catch(() => {});
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
