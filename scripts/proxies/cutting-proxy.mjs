// A TCP proxy that cuts every connection: it forwards bytes both ways and,
// at a random moment between --min-ms and --max-ms after the connection
// opened, destroys both sides (a reset, as a dropped mobile link or a NAT
// reboot gives). The moments come from a seeded PRNG, so a run with the same
// seed and the same order of connections cuts at the same moments. Used to
// test resumable sessions (docs/SESSIONS.md). Node 20, no dependencies.
//
//   node cutting-proxy.mjs LISTEN_PORT TARGET_HOST:TARGET_PORT [--seed N]
//        [--min-ms A --max-ms B] [--cuts N] [--stall]
//
// Prints `listening on PORT` on stdout once bound and one line per cut on
// stderr.

import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseTarget } from './refuse-upgrade.mjs';

const USAGE = `usage: node cutting-proxy.mjs LISTEN_PORT TARGET_HOST:TARGET_PORT [options]

Forwards TCP both ways and cuts each connection (both sides, with a reset)
at a random moment after it opened.

  --seed N      seed of the PRNG that picks the moments (default 1)
  --min-ms A    earliest cut, in ms after the connection opened (default 200)
  --max-ms B    latest cut (default 1500)
  --cuts N      cut only the first N connections, forward later ones
                untouched (default: cut every one)
  --stall       instead of closing, stop forwarding and keep both sockets
                open: a silent dead link, found only by heartbeats
  -h, --help    this text

Prints "listening on PORT" once bound (LISTEN_PORT 0: a free port) and a
line per cut on stderr: "cut K: connection C after D ms (U bytes up, W down)"
("stall K: ..." with --stall), D being the planned moment.`;

/**
 * A PRNG of numbers in [0, 1) from a 32-bit seed: xorshift32 (Marsaglia),
 * its seed scrambled first so that nearby seeds give unrelated sequences.
 */
export function seededRandom(seed) {
  let state = Math.imul((seed >>> 0) ^ 0x5bd1e995, 0x27d4eb2d) >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/** Whole milliseconds in [minMs, maxMs], one per call, from `random`. */
export function delayPicker(random, minMs, maxMs) {
  return () => minMs + Math.floor(random() * (maxMs - minMs + 1));
}

/** Stops forwarding between two sockets and leaves them open, silent. */
function stall(a, b) {
  a.unpipe(b);
  b.unpipe(a);
  a.pause();
  b.pause();
}

/**
 * Starts the proxy; resolves to the server once it listens. `options`:
 * seed, minMs, maxMs, cuts (Infinity for all), stall (boolean), log (a
 * function given each cut's line).
 */
export function startCuttingProxy(listenPort, target, options) {
  const nextDelay = delayPicker(seededRandom(options.seed), options.minMs, options.maxMs);
  let connections = 0;
  let cuts = 0;
  // Half-open allowed: a side's FIN is passed on (by pipe) while the other
  // direction still flows.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const number = connections;
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    const bytes = { up: 0, down: 0 };
    client.on('data', (chunk) => { bytes.up += chunk.length; });
    upstream.on('data', (chunk) => { bytes.down += chunk.length; });
    client.pipe(upstream);
    upstream.pipe(client);

    let timer = null;
    let stalled = false;
    if (number <= options.cuts) {
      const delay = nextDelay();
      timer = setTimeout(() => {
        timer = null;
        cuts += 1;
        const what = options.stall ? 'stall' : 'cut';
        options.log(
          `${what} ${cuts}: connection ${number} after ${delay} ms ` +
            `(${bytes.up} bytes up, ${bytes.down} down)`,
        );
        if (options.stall) {
          stalled = true;
          stall(client, upstream);
        } else {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        }
      }, delay);
    }
    // One side gone: the other goes too, unless the link plays dead.
    const gone = (other) => () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (!stalled) other.destroy();
    };
    client.on('close', gone(upstream));
    upstream.on('close', gone(client));
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  server.cutCount = () => cuts;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve(server));
  });
}

function parseCount(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${text}`);
  return value;
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      seed: { type: 'string', default: '1' },
      'min-ms': { type: 'string', default: '200' },
      'max-ms': { type: 'string', default: '1500' },
      cuts: { type: 'string' },
      stall: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length !== 2) {
    console.error(USAGE);
    process.exit(2);
  }
  const minMs = parseCount(values['min-ms'], '--min-ms');
  const maxMs = parseCount(values['max-ms'], '--max-ms');
  if (maxMs < minMs) throw new Error('--max-ms must be at least --min-ms');
  const server = await startCuttingProxy(Number(positionals[0]), parseTarget(positionals[1]), {
    seed: parseCount(values.seed, '--seed'),
    minMs,
    maxMs,
    cuts: values.cuts === undefined ? Infinity : parseCount(values.cuts, '--cuts'),
    stall: values.stall,
    log: (line) => console.error(line),
  });
  console.log(`listening on ${server.address().port}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
