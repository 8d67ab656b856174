// Against the real server over the HTTP fallbacks (§8): SSE (with a small
// EventSource for Node) and the fetched stream — echo, close, resume after
// cuts with nothing lost nor twice — and the fall back itself, when the
// WebSocket does not open or fails, remembered for the next reconnects.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CapstanSocket } from '../capstan.js';
import { NodeEventSource } from '../testlib/event_source.mjs';
import { nextEvent } from '../testlib/events.mjs';
import { Inbox } from '../testlib/inbox.mjs';
import { startProxy } from '../testlib/proxy.mjs';
import { startServer } from '../testlib/server.mjs';
import { connect as open, cutTwiceMidStream, exactlyOnceInOrder } from '../testlib/scenarios.mjs';

let server, proxy;
const base = { EventSource: NodeEventSource, WebSocket: undefined, minDelay: 20, maxDelay: 200 };

before(async () => {
  server = await startServer({ SESSION_HEARTBEAT_MS: '400', SESSION_GRACE_MS: '5000' });
  proxy = await startProxy(server.port);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A socket on `url`, opened; with its inbox. */
const connect = (url, options) => open(url, { ...base, ...options });

for (const transport of ['sse', 'stream']) {
  test(`${transport}: echo of text and binary, then close: a clean 1000`, async () => {
    const [s, inbox] = await connect(server.url('/echo'), { transports: [transport] });
    assert.equal(s.transport, transport);
    s.binaryType = 'arraybuffer';
    s.send('hello\nwith "quotes" ✓');
    s.send(new Uint8Array([0, 1, 2, 255]));
    s.send('');
    await inbox.until((l) => l.length == 3);
    assert.equal(inbox.list[0], 'hello\nwith "quotes" ✓');
    assert.deepEqual([...new Uint8Array(inbox.list[1])], [0, 1, 2, 255]);
    assert.equal(inbox.list[2], '');
    assert.equal(await inbox.ask('!transport'), transport);
    const closes = Number(await inbox.ask('!closes'));
    const closed = nextEvent(s, 'close');
    s.close(4000, 'done');
    const e = await closed;
    assert.deepEqual([e.code, e.reason, e.wasClean], [4000, 'done', true]);
    const [other, inbox2] = await connect(server.url('/echo'), { transports: [transport] });
    assert.equal(Number(await inbox2.ask('!closes')), closes + 1, 'the application saw on_close');
    other.close();
  });

  test(`${transport}: the application closes: close 1000 "bye"`, async () => {
    const [s] = await connect(server.url('/echo'), { transports: [transport] });
    const closed = nextEvent(s, 'close');
    s.send('!close');
    const e = await closed;
    assert.deepEqual([e.code, e.reason, e.wasClean], [1000, 'bye', true]);
  });

  test(`${transport}: cut twice mid-stream: every message both ways once, in order`, async () => {
    const N = 300;
    const [s, inbox] = await connect(proxy.url('/echo', 'http'), { transports: [transport] });
    await cutTwiceMidStream(s, inbox, proxy, N);
    s.close();
  });

  test(`${transport}: large messages go in batches under the server's bound`, async () => {
    const bodies = [];
    const counting = (url, init) => {
      if (url.includes('capstan=send')) bodies.push(init.body.length);
      return fetch(url, init);
    };
    const [s, inbox] = await connect(server.url('/echo'), { transports: [transport], fetch: counting });
    s.binaryType = 'arraybuffer';
    const sizes = [200 << 10, 200 << 10, 200 << 10, 600 << 10, 1];
    const sent = sizes.map((n, i) => new Uint8Array(n).map((_, j) => (i * 31 + j * 7) & 255));
    for (const bytes of sent) s.send(bytes);
    s.send('x'.repeat(300 << 10));
    await inbox.until((l) => l.length == sizes.length + 1);
    sent.forEach((bytes, i) => assert.deepEqual(new Uint8Array(inbox.list[i]), bytes, `message ${i + 1}`));
    assert.equal(inbox.list.at(-1).length, 300 << 10);
    assert.equal(await inbox.ask('!count'), String(sizes.length + 2));
    assert.ok(bodies.length >= 4, `${bodies.length} batches`);
    assert.ok(bodies.every((n) => n < 1 << 20), `every batch under 1 MiB: ${bodies}`);
    s.close();
  });

  test(`${transport}: a downstream gone silent is found by heartbeats`, async () => {
    const [s, inbox] = await connect(proxy.url('/echo', 'http'), { transports: [transport] });
    const opens = await inbox.ask('!opens');
    proxy.freeze();
    s.send('while frozen');
    await nextEvent(s, 'resumed');
    await inbox.until((l) => l.includes('while frozen'));
    assert.equal(await inbox.ask('!opens'), opens);
    s.close();
  });
}

/** A WebSocket that never opens, counting how often it was tried. */
class SilentWebSocket {
  static made = 0;
  constructor() {
    SilentWebSocket.made++;
  }
  close() {}
}

/** A WebSocket whose connection fails at once, as a refused upgrade does. */
class FailingWebSocket {
  static made = 0;
  constructor() {
    FailingWebSocket.made++;
    setTimeout(() => this.onclose?.({ code: 1006, reason: '' }), 0);
  }
  close() {}
}

test('a WebSocket that does not open in time: SSE instead, and SSE again after a cut', async () => {
  const transports = [];
  const s = new CapstanSocket(proxy.url('/echo'), { ...base, WebSocket: SilentWebSocket, websocketTimeout: 200 });
  s.addEventListener('transport', (e) => transports.push(e.transport));
  const inbox = new Inbox(s);
  await nextEvent(s, 'open');
  assert.equal(s.transport, 'sse');
  assert.equal(await inbox.ask('!transport'), 'sse');
  const tried = SilentWebSocket.made;
  proxy.cut();
  await nextEvent(s, 'resumed');
  assert.equal(SilentWebSocket.made, tried, 'the working transport is tried first');
  assert.deepEqual(transports, ['sse', 'sse']);
  s.close();
});

test('a WebSocket that fails, and no EventSource: the fetched stream', async () => {
  const s = new CapstanSocket(server.url('/echo', 'http'), { ...base, WebSocket: FailingWebSocket, EventSource: undefined });
  const inbox = new Inbox(s);
  const transport = await nextEvent(s, 'transport');
  assert.equal(transport.transport, 'stream');
  assert.equal(FailingWebSocket.made, 1);
  assert.equal(await inbox.ask('!transport'), 'stream');
  s.close();
});

test('a session moves from the fetched stream to a WebSocket and back', async () => {
  const { default: WebSocket } = await import('ws');
  let blocked = null; // the transport that fails to connect now
  const options = {
    transports: ['stream', 'websocket'],
    fetch: (url, init) => (blocked == 'stream' ? Promise.reject(new TypeError('blocked')) : fetch(url, init)),
    WebSocket: class extends WebSocket {
      constructor(...args) {
        super(...args);
        if (blocked == 'websocket') this.terminate();
      }
    },
  };
  const [s, inbox] = await connect(proxy.url('/echo'), options);
  assert.equal(await inbox.ask('!transport'), 'stream');
  const opens = await inbox.ask('!opens');
  blocked = 'stream';
  proxy.cut();
  assert.equal((await nextEvent(s, 'resumed')).transport, 'websocket');
  assert.equal(await inbox.ask('!transport'), 'websocket');
  blocked = 'websocket';
  proxy.cut();
  assert.equal((await nextEvent(s, 'resumed')).transport, 'stream');
  assert.equal(await inbox.ask('!transport'), 'stream');
  assert.equal(await inbox.ask('!opens'), opens, 'one session all along');
  assert.equal(await inbox.ask('!count'), '6', 'transport, opens, transport, transport, opens, count');
  s.close();
});

for (const [mode, what] of [['refuse', 'refuses WebSocket upgrades (403)'], ['hang', 'never answers WebSocket upgrades']]) {
  test(`behind a proxy that ${what}: the session runs over SSE`, async () => {
    const { default: WebSocket } = await import('ws');
    proxy.upgrades(mode);
    try {
      const [s, inbox] = await connect(proxy.url('/echo'), { WebSocket, websocketTimeout: 300 });
      assert.equal(s.transport, 'sse');
      assert.equal(await inbox.ask('!transport'), 'sse');
      s.close();
    } finally {
      proxy.upgrades('pass');
    }
  });
}
