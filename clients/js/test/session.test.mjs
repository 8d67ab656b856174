// The session over a WebSocket, with a fake WebSocket playing the server:
// hello and welcome, the queue, sending every kind of data, receiving,
// acknowledging (§4.4), and the API a WebSocket user expects.
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { CapstanSocket } from '../capstan.js';
import { FakeWebSocket } from '../testlib/fake_web_socket.mjs';
import { record } from '../testlib/events.mjs';

const SID = 'yW2Y9Qm8TtKJvV0dOqz1xA';
const welcome = (more) => ({ sid: SID, rx: 0, resumed: false, heartbeat_ms: 15000, grace_ms: 30000, ...more });
const open = (options) => new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket, ...options });

/** A socket welcomed on its first fake WebSocket. */
function welcomed(options) {
  const s = open(options), ws = FakeWebSocket.last;
  ws.open();
  ws.control('welcome', welcome());
  return [s, ws];
}

beforeEach(() => {
  FakeWebSocket.all = [];
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
});
afterEach(() => mock.timers.reset());

test('hello first; open once welcomed; queued messages follow in order', () => {
  const s = open(), log = record(s, ['open', 'transport']);
  s.addEventListener('transport', (e) => assert.equal(e.transport, 'websocket'));
  assert.equal(s.readyState, CapstanSocket.CONNECTING);
  assert.equal(s.transport, null);
  s.send('one');
  s.send('two');
  const ws = FakeWebSocket.last;
  assert.equal(ws.url, 'ws://example.test/echo');
  ws.open();
  assert.deepEqual(ws.sent, ['c{"hello":{"v":1}}'], 'nothing but hello before welcome');
  assert.equal(s.bufferedAmount, 6);
  ws.control('welcome', welcome());
  assert.deepEqual(ws.data, ['one', 'two']);
  assert.deepEqual(log, ['transport', 'open']);
  assert.equal(s.readyState, CapstanSocket.OPEN);
  assert.equal(s.readyState, s.OPEN);
  assert.equal(s.sessionId, SID);
  assert.equal(s.transport, 'websocket');
  ws.control('ack', 2);
  assert.equal(s.bufferedAmount, 0, 'acknowledged messages are forgotten');
});

test('onopen, onmessage and listeners all see the events', () => {
  const s = open(), seen = [];
  s.onopen = (e) => seen.push(`onopen ${e.type}`);
  s.onmessage = (e) => seen.push(`onmessage ${e.data}`);
  s.addEventListener('message', (e) => seen.push(`listener ${e.data}`));
  FakeWebSocket.last.open();
  FakeWebSocket.last.control('welcome', welcome());
  FakeWebSocket.last.receive('mhi');
  assert.deepEqual(seen, ['onopen open', 'onmessage hi', 'listener hi']);
});

test('every kind of data is sent with its frame type; a Blob keeps its place in line', async () => {
  const [s, ws] = welcomed();
  const bytes = new Uint8Array([1, 2, 3, 4]);
  s.send('text');
  s.send(bytes.buffer);
  s.send(bytes.subarray(1, 3));
  s.send(new DataView(bytes.buffer, 3, 1));
  s.send(new Blob([new Uint8Array([9, 8])]));
  s.send('after blob');
  s.send(42);
  s.send('');
  bytes[0] = 100; // the socket took a copy
  await new Promise((resolve) => setImmediate(resolve)); // the Blob's bytes are read
  assert.deepEqual(ws.data, ['text', [1, 2, 3, 4], [2, 3], [4], [9, 8], 'after blob', '42', '']);
  assert.equal(s.bufferedAmount, 4 + 4 + 2 + 1 + 2 + 10 + 2);
});

test('bufferedAmount counts UTF-8 bytes', () => {
  const [s] = welcomed();
  s.send('é€😀');
  assert.equal(s.bufferedAmount, 2 + 3 + 4);
});

test('messages arrive as strings, ArrayBuffers or Blobs per binaryType', async () => {
  const [s, ws] = welcomed();
  const got = [];
  s.onmessage = (e) => got.push(e.data);
  assert.equal(s.binaryType, 'blob');
  ws.receive('mtext');
  ws.receive('m');
  ws.receive([0x6d, 1, 2]);
  s.binaryType = 'arraybuffer';
  s.binaryType = 'nonsense';
  assert.equal(s.binaryType, 'arraybuffer', 'an invalid binaryType is ignored');
  ws.receive([0x6d, 3]);
  assert.equal(got[0], 'text');
  assert.equal(got[1], '');
  assert.ok(got[2] instanceof Blob);
  assert.deepEqual([...new Uint8Array(await got[2].arrayBuffer())], [1, 2]);
  assert.ok(got[3] instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(got[3])], [3]);
});

test('the queue is bounded: send throws when full, never drops', () => {
  const [s, ws] = welcomed({ maxQueuedMessages: 2, maxQueuedBytes: 10 });
  s.send('a');
  s.send('b');
  assert.throws(() => s.send('c'), /send buffer full/);
  ws.control('ack', 1);
  s.send('c');
  assert.throws(() => s.send('0123456789'), /send buffer full/, 'bytes are bounded too');
  assert.deepEqual(ws.data, ['a', 'b', 'c']);
});

test('the queue bound holds while disconnected too', () => {
  const s = open({ maxQueuedMessages: 1 });
  s.send('a');
  assert.throws(() => s.send('b'), /send buffer full/);
});

test('received messages are acknowledged every 32', () => {
  const [, ws] = welcomed();
  for (let i = 1; i <= 31; i++) ws.receive(`m${i}`);
  assert.deepEqual(ws.controls, [{ hello: { v: 1 } }]);
  ws.receive('m32');
  assert.deepEqual(ws.controls.at(-1), { ack: 32 });
  for (let i = 33; i <= 64; i++) ws.receive(`m${i}`);
  assert.deepEqual(ws.controls.slice(1), [{ ack: 32 }, { ack: 64 }]);
});

test('a received message is acknowledged within 1 s', () => {
  const [, ws] = welcomed();
  ws.receive('mone');
  ws.receive('mtwo');
  mock.timers.tick(999);
  assert.equal(ws.controls.length, 1, 'only hello so far');
  mock.timers.tick(1);
  assert.deepEqual(ws.controls.at(-1), { ack: 2 });
  mock.timers.tick(5000);
  assert.equal(ws.controls.length, 2, 'nothing new, no new ack');
});

test('URLs: http becomes ws, the fragment goes, bad ones throw SyntaxError', () => {
  assert.equal(new CapstanSocket('https://h.test/a?x=1#f', { transports: ['websocket'], WebSocket: FakeWebSocket }).url, 'wss://h.test/a?x=1');
  assert.equal(FakeWebSocket.last.url, 'wss://h.test/a?x=1');
  assert.throws(() => new CapstanSocket('ftp://h.test/', { transports: ['websocket'], WebSocket: FakeWebSocket }), { name: 'SyntaxError' });
  assert.throws(() => new CapstanSocket('not a url', { transports: ['websocket'], WebSocket: FakeWebSocket }), { name: 'SyntaxError' });
});

test('protocols go to the WebSocket, options may come second or third', () => {
  new CapstanSocket('ws://h.test/', ['v1', 'v2'], { transports: ['websocket'], WebSocket: FakeWebSocket });
  assert.deepEqual(FakeWebSocket.last.protocols, ['v1', 'v2']);
  new CapstanSocket('ws://h.test/', { transports: ['websocket'], WebSocket: FakeWebSocket });
  assert.equal(FakeWebSocket.last.protocols, undefined);
});

test('without any usable transport the constructor throws', () => {
  assert.throws(
    () => new CapstanSocket('ws://h.test/', { WebSocket: undefined, fetch: undefined, EventSource: undefined }),
    /no transport available/,
  );
  assert.throws(() => new CapstanSocket('ws://h.test/', { transports: ['pigeon'], WebSocket: FakeWebSocket }), /no transport available/);
});

test('the WebSocket constants, static and on instances', () => {
  const s = open();
  assert.deepEqual([CapstanSocket.CONNECTING, CapstanSocket.OPEN, CapstanSocket.CLOSING, CapstanSocket.CLOSED], [0, 1, 2, 3]);
  assert.deepEqual([s.CONNECTING, s.OPEN, s.CLOSING, s.CLOSED], [0, 1, 2, 3]);
});
