// node uws-server.mjs [--tuned] [ADDR]: uWebSockets.js (npm
// `@trufflesuite/uws-js-unofficial`, which ships uWebSockets.js v20.30's
// binaries for Node 16, 18 and 20) speaking the load generator's protocol
// (crates/capstan-bench/README.md, "The protocol a measured server speaks"):
// GET /echo, GET /broadcast, 404 elsewhere.
//
// - Settings the protocol requires, in both configurations (uWS's defaults
//   in brackets, from the WebSocketBehavior docs in the package's
//   docs/index.d.ts and unetworking.github.io/uWebSockets.js/generated):
//   compression DISABLED [DISABLED]; idleTimeout 0, i.e. none [120 s];
//   sendPingsAutomatically false [true; with idleTimeout 0 it would send
//   none anyway]; maxLifetime 0 [0]; maxPayloadLength 64 MiB [16 KiB];
//   maxBackpressure 4 MiB [64 KiB] with closeOnBackpressureLimit true [false:
//   a slow receiver's messages are then skipped, silently, instead of the
//   receiver being dropped]. Pings are answered and close frames returned by
//   uWS itself (the "ping" handler's doc: "pong messages are automatically
//   sent as per the standard").
//
// - default: the above and nothing else.
//
// - --tuned: the same as default, accepted so that both peers take the same
//   flags. uWebSockets.js's docs and examples suggest nothing beyond the
//   settings above for throughput or many connections: its examples
//   (Broadcast.js, PubSub.js, Backpressure.js) only set compression,
//   maxPayloadLength, idleTimeout and maxBackpressure; cork() is "a
//   performance improvement" only for sends made outside a uWS callback ("By
//   default, you're corked in the immediately executing top portion of the
//   route handler", HttpResponse.cork), and every send here is made in a
//   message callback; sendPingsAutomatically false and compression off are
//   already required settings.
//
// Broadcast is uWS's encode-once pub/sub: each connection calls
// ws.subscribe(topic) on open, and a `pub:` text goes out with
// app.publish(topic, message, false). App.publish reaches every subscriber
// of the app, the sender included; WebSocket.publish would skip the sender.
//
// The package falls back, with only a warning, to a slow TypeScript
// reimplementation when no binary fits this Node.js; that is not what we
// measure, so this server exits 1 unless the native binary is the one loaded.
//
// One thread: uWS runs its event loop on Node's main thread.

import { createRequire } from 'node:module';
import path from 'node:path';

import {
  BACKPRESSURE_LIMIT,
  MAX_PAYLOAD,
  TOPIC,
  parseArgs,
  printListening,
  startsWithPub,
  stopOnSignals,
} from './common.mjs';

const options = parseArgs(process.argv.slice(2), {
  name: 'uws-server.mjs',
  what: 'uWebSockets.js serving /echo and /broadcast for loadgen',
  tuned: "accepted; the same as default (uWebSockets.js's docs suggest nothing more)",
});

const uWS = loadNative();

const behavior = {
  compression: uWS.DISABLED,
  idleTimeout: 0,
  sendPingsAutomatically: false,
  maxLifetime: 0,
  maxPayloadLength: MAX_PAYLOAD,
  maxBackpressure: BACKPRESSURE_LIMIT,
  closeOnBackpressureLimit: true,
};

const app = uWS.App();

app.ws('/echo', {
  ...behavior,
  message: (ws, message, isBinary) => {
    // `message` is valid until the handler returns; send copies it.
    ws.send(message, isBinary);
  },
});

app.ws('/broadcast', {
  ...behavior,
  open: (ws) => {
    ws.subscribe(TOPIC);
  },
  message: (_ws, message, isBinary) => {
    if (!isBinary && startsWithPub(new Uint8Array(message))) {
      app.publish(TOPIC, message, false);
    }
  },
});

// A plain GET on a WebSocket path falls through to these.
for (const route of ['/echo', '/broadcast']) {
  app.get(route, (res) => {
    res.writeStatus('426 Upgrade Required').writeHeader('upgrade', 'websocket').end('upgrade required\n');
  });
}
app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end('not found\n');
});

app.listen(options.host, options.port, (listenSocket) => {
  if (!listenSocket) {
    process.stderr.write(`uws-server.mjs: cannot listen on ${options.host}:${options.port}\n`);
    process.exit(1);
  }
  stopOnSignals(() => uWS.us_listen_socket_close(listenSocket));
  const port = uWS.us_socket_local_port(listenSocket);
  printListening({ host: options.host, port, tuned: options.tuned });
});

/**
 * The package's native binary, or exit 1. The package's entry point prints
 * to stdout and falls back to its TypeScript implementation when asked to
 * (UWS_USE_FALLBACK) or when no binary loads: refuse the first before
 * loading, and check the second after.
 */
function loadNative() {
  const name = '@trufflesuite/uws-js-unofficial';
  if (process.env.UWS_USE_FALLBACK) {
    process.stderr.write('uws-server.mjs: UWS_USE_FALLBACK is set; unset it to measure the native uWS\n');
    process.exit(1);
  }
  const require = createRequire(import.meta.url);
  const loaded = require(name);
  const binary = path.join(
    path.dirname(require.resolve(`${name}/package.json`)),
    'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
  );
  if (require.cache[binary]?.exports !== loaded) {
    process.stderr.write(
      `uws-server.mjs: ${name} has no working native binary for this Node.js ` +
        `(${process.version}, ABI ${process.versions.modules}; wanted ${binary})\n`,
    );
    process.exit(1);
  }
  return loaded;
}
