// What the Node.js peer servers (ws-server.mjs, uws-server.mjs) share: the
// command line, the LISTENING line, the stop signals and the protocol's
// fixed numbers. The protocol itself is in crates/capstan-bench/README.md,
// "The protocol a measured server speaks".

/** Largest message accepted (the reference server's frame/message limit). */
export const MAX_PAYLOAD = 64 * 1024 * 1024;

/** Bytes queued for one connection before it is dropped as a slow consumer. */
export const BACKPRESSURE_LIMIT = 4 * 1024 * 1024;

/** The one topic every /broadcast connection joins. */
export const TOPIC = 'broadcast';

const DEFAULT_ADDR = '127.0.0.1:0';

/**
 * Whether a message's payload starts with the ASCII bytes `pub:`.
 * @param {Uint8Array} bytes
 */
export function startsWithPub(bytes) {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x70 && // p
    bytes[1] === 0x75 && // u
    bytes[2] === 0x62 && // b
    bytes[3] === 0x3a // :
  );
}

/**
 * `HOST:PORT` with HOST a dotted-quad IPv4 address in 127.0.0.0/8 and PORT
 * 0..65535 (0: any free port). Returns null for anything else.
 * @param {string} text
 * @returns {{host: string, port: number} | null}
 */
export function parseLoopbackAddr(text) {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const octets = match.slice(1, 5).map(Number);
  const port = Number(match[5]);
  if (octets.some((octet) => octet > 255) || port > 65535) return null;
  if (octets[0] !== 127) return null;
  return { host: octets.join('.'), port };
}

/**
 * Parses `[--tuned] [ADDR]` (and `--help`). Prints the usage and exits 0 on
 * --help; prints why and exits 2 on anything it does not accept.
 * @param {string[]} args the arguments after the script's path
 * @param {{name: string, what: string, tuned: string}} about
 * @returns {{tuned: boolean, host: string, port: number}}
 */
export function parseArgs(args, about) {
  const usage = [
    `node ${about.name} [--tuned] [ADDR]: ${about.what}`,
    '',
    '  --tuned  ' + about.tuned,
    `  ADDR     where to listen, a loopback IPv4 HOST:PORT (default ${DEFAULT_ADDR}: any free port)`,
    '',
    'Prints `LISTENING port=P pid=PID url=ws://HOST:P config=default|tuned` on stdout once',
    'listening; stops on SIGINT/SIGTERM. Endpoints: GET /echo, GET /broadcast (see',
    'crates/capstan-bench/README.md, "The protocol a measured server speaks").',
  ].join('\n');
  const refuse = (why) => {
    process.stderr.write(`${about.name}: ${why}\n\n${usage}\n`);
    process.exit(2);
  };
  let tuned = false;
  let addr = null;
  for (const arg of args) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage + '\n');
      process.exit(0);
    } else if (arg === '--tuned') {
      tuned = true;
    } else if (arg.startsWith('-')) {
      refuse(`unknown option ${JSON.stringify(arg)}`);
    } else if (addr !== null) {
      refuse(`more than one ADDR (${JSON.stringify(addr)}, ${JSON.stringify(arg)})`);
    } else {
      addr = arg;
    }
  }
  addr ??= DEFAULT_ADDR;
  const parsed = parseLoopbackAddr(addr);
  if (parsed === null) refuse(`${JSON.stringify(addr)} is not a loopback IPv4 HOST:PORT`);
  return { tuned, ...parsed };
}

/**
 * Prints the one line the load generator waits for (its first line on stdout).
 * @param {{host: string, port: number, tuned: boolean}} listening
 */
export function printListening({ host, port, tuned }) {
  const config = tuned ? 'tuned' : 'default';
  // Writes to a pipe or a file are synchronous on Linux, so the line is out
  // before anything else happens.
  process.stdout.write(
    `LISTENING port=${port} pid=${process.pid} url=ws://${host}:${port} config=${config}\n`,
  );
}

/**
 * Exits (status 0) on SIGINT or SIGTERM, after `cleanup` if given.
 * @param {() => void} [cleanup]
 */
export function stopOnSignals(cleanup) {
  const stop = () => {
    try {
      cleanup?.();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** A complete HTTP/1.1 response with no body, e.g. `bareResponse('404 Not Found')`. */
export function bareResponse(status) {
  return `HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
}
