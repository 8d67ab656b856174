// Against the real server (crates/capstan/examples/session_echo.rs) over
// WebSocket: echo, close either way, resume after cuts with nothing lost
// nor twice, the queue while cut, a dead link found by heartbeats, and a
// session that expired while cut.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { CapstanSocket } from '../capstan.js';
import { nextEvent } from '../testlib/events.mjs';
import { startProxy } from '../testlib/proxy.mjs';
import { startServer } from '../testlib/server.mjs';
import { connect as open, cutTwiceMidStream, exactlyOnceInOrder } from '../testlib/scenarios.mjs';

const options = (more) => ({ WebSocket, transports: ['websocket'], minDelay: 20, maxDelay: 200, ...more });
let server, proxy;

before(async () => {
  server = await startServer({ SESSION_HEARTBEAT_MS: '400', SESSION_GRACE_MS: '3000' });
  proxy = await startProxy(server.port);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** A socket on `url`, opened; with its inbox. */
const connect = (url, more) => open(url, options(more));

test('echo of text and binary, the transport, close: a clean 1000', async () => {
  const [s, inbox] = await connect(server.url('/echo'));
  assert.equal(s.readyState, CapstanSocket.OPEN);
  assert.equal(s.transport, 'websocket');
  assert.match(s.sessionId, /^[\w-]{22}$/);
  s.binaryType = 'arraybuffer';
  s.send('hello');
  s.send(new Uint8Array([0, 1, 2, 255]));
  s.send('');
  await inbox.until((l) => l.length == 3);
  assert.equal(inbox.list[0], 'hello');
  assert.deepEqual([...new Uint8Array(inbox.list[1])], [0, 1, 2, 255]);
  assert.equal(inbox.list[2], '');
  assert.equal(await inbox.ask('!transport'), 'websocket');
  const closes = Number(await inbox.ask('!closes'));
  const closed = nextEvent(s, 'close');
  s.close(1000, 'done');
  const e = await closed;
  assert.deepEqual([e.code, e.reason, e.wasClean], [1000, 'done', true]);
  const [other, inbox2] = await connect(server.url('/echo'));
  assert.equal(Number(await inbox2.ask('!closes')), closes + 1, 'the application saw on_close');
  other.close();
});

test('the application closes: close 1000 "bye", no resume', async () => {
  const [s] = await connect(server.url('/echo'));
  const closed = nextEvent(s, 'close');
  s.send('!close');
  const e = await closed;
  assert.deepEqual([e.code, e.reason, e.wasClean], [1000, 'bye', true]);
  assert.equal(s.readyState, CapstanSocket.CLOSED);
});

test('cut twice mid-stream: every message both ways once, in order, one on_open', async () => {
  const N = 300;
  const [s, inbox] = await connect(proxy.url('/echo'));
  await cutTwiceMidStream(s, inbox, proxy, N);
  s.close();
});

test('messages sent while cut are queued and delivered after the resume', async () => {
  const [s, inbox] = await connect(proxy.url('/echo'));
  proxy.refuse(true);
  proxy.cut();
  await nextEvent(s, 'reconnecting');
  assert.equal(s.transport, null);
  for (let i = 1; i <= 20; i++) s.send(`echo ${i}`);
  assert.ok(s.bufferedAmount >= 20 * 'echo 1'.length);
  proxy.refuse(false);
  await nextEvent(s, 'resumed');
  await inbox.until((l) => l.length == 20);
  exactlyOnceInOrder(inbox.list, 'echo ', 20);
  assert.equal(await inbox.ask('!count'), '21');
  s.close();
});

test('a link that goes silent is found by heartbeats and the session resumed', async () => {
  const [s, inbox] = await connect(proxy.url('/echo'));
  const opens = await inbox.ask('!opens');
  s.send('before');
  await inbox.until((l) => l.includes('before'));
  proxy.freeze();
  s.send('while frozen');
  const resumed = await nextEvent(s, 'resumed');
  assert.equal(resumed.transport, 'websocket');
  await inbox.until((l) => l.includes('while frozen'));
  assert.equal(await inbox.ask('!opens'), opens);
  assert.equal(await inbox.ask('!count'), '5', 'opens, before, while frozen, opens, count');
  s.close();
});

test('a session that expired while cut: close 4404, and no new session behind the app', async () => {
  const [s, inbox] = await connect(proxy.url('/echo'));
  const [watch, watchInbox] = await connect(server.url('/echo'));
  const closes = Number(await watchInbox.ask('!closes'));
  s.send('sent before the cut');
  await inbox.until((l) => l.length == 1);
  proxy.refuse(true);
  proxy.cut();
  // Wait for the server to expire the session (its on_close), asking now and then.
  for (let n = closes; n == closes; ) {
    await nextEvent(s, 'reconnecting');
    n = Number(await watchInbox.ask('!closes'));
  }
  const opens = await watchInbox.ask('!opens');
  const closed = nextEvent(s, 'close');
  proxy.refuse(false);
  const e = await closed;
  assert.deepEqual([e.code, e.wasClean], [4404, false]);
  assert.equal(s.readyState, CapstanSocket.CLOSED);
  assert.throws(() => s.send('x'), { name: 'InvalidStateError' });
  assert.equal(await watchInbox.ask('!opens'), opens, 'the client did not start a session by itself');
  watch.close();
});

test('a route that is not in session mode is refused as a protocol violation', async () => {
  const s = new CapstanSocket(server.url('/plain'), options());
  const e = await nextEvent(s, 'close');
  assert.equal(e.code, 4400);
});
