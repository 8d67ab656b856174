// A TCP proxy for the tests, between the client and the server: it can cut
// every connection (as a network drop does), freeze them (forward nothing
// and close nothing, as a dead link does), refuse new ones for a while, or
// stop WebSocket upgrades only (as some corporate proxies do).
import net from 'node:net';

/** Starts a proxy to 127.0.0.1:`target`; resolves with its controls once listening. */
export async function startProxy(target) {
  const pairs = new Set();
  let refusing = false, upgrades = 'pass';
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    if (upgrades == 'pass') return pipe(client);
    client.once('data', (head) => {
      if (!/^upgrade:\s*websocket/im.test(head.toString('latin1'))) return pipe(client, head);
      if (upgrades == 'refuse') client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      client.on('error', () => {}); // 'hang': answer nothing, close nothing
    });
  });
  /** Forwards `client` both ways, `head` first. */
  function pipe(client, head) {
    const upstream = net.connect(target, '127.0.0.1');
    if (head) upstream.write(head);
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    const forward = (from, to) => from.on('data', (chunk) => pair.frozen || to.write(chunk));
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  }
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    /** How many connections are open now. */
    get open() {
      return pairs.size;
    },
    /** The URL of `path` through the proxy. */
    url: (path, scheme = 'ws') => `${scheme}://127.0.0.1:${port}${path}`,
    /** Destroys every open connection, both ways. */
    cut() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    /** Stops forwarding on every open connection, without closing them. */
    freeze() {
      for (const pair of pairs) pair.frozen = true;
    },
    /** Refuses (closes at once) new connections while `on`. */
    refuse(on) {
      refusing = on;
    },
    /** What new WebSocket upgrades meet: 'pass', 'refuse' (403) or 'hang' (no answer). */
    upgrades(mode) {
      upgrades = mode;
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
