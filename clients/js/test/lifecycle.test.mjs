// Cuts, resumes and ends, with a fake WebSocket playing the server: which
// closes end the session and which only detach it (§7), resending what the
// server missed (§5), dead transports (§4.6), and close().
import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { CapstanSocket } from '../capstan.js';
import { FakeWebSocket } from '../testlib/fake_web_socket.mjs';
import { record } from '../testlib/events.mjs';

const SID = 'yW2Y9Qm8TtKJvV0dOqz1xA';
const welcome = (more) => ({ sid: SID, rx: 0, resumed: false, heartbeat_ms: 15000, grace_ms: 30000, ...more });
const EVENTS = ['open', 'close', 'error', 'reconnecting', 'resumed', 'transport'];

/** A socket welcomed on its first fake WebSocket, with a log of its events. */
function welcomed(options) {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket, ...options });
  const log = record(s, EVENTS), ws = FakeWebSocket.last;
  ws.open();
  ws.control('welcome', welcome());
  return [s, ws, log];
}

/** Lets the reconnect timer run (its backoff is at most maxDelay); returns the new fake WebSocket, opened. */
function reconnected(before) {
  mock.timers.tick(10000);
  const ws = FakeWebSocket.last;
  assert.notEqual(ws, before, 'a new WebSocket');
  ws.open();
  return ws;
}

beforeEach(() => {
  FakeWebSocket.all = [];
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
});
afterEach(() => mock.timers.reset());

test('after a cut: resume with rx, resend what the server missed, stay OPEN', () => {
  const [s, ws, log] = welcomed();
  const closes = [];
  s.onclose = (e) => closes.push(e);
  s.send('one');
  s.send('two');
  s.send('three');
  ws.receive('ma');
  ws.receive('mb');
  ws.control('ack', 1);
  ws.end(1006);
  assert.equal(s.readyState, CapstanSocket.OPEN, 'the cut is invisible');
  assert.equal(s.transport, null);
  s.send('four'); // queued while no transport
  const ws2 = reconnected(ws);
  assert.deepEqual(ws2.sent, [`c{"resume":{"sid":"${SID}","rx":2}}`]);
  ws2.control('welcome', welcome({ rx: 2, resumed: true }));
  assert.deepEqual(ws2.data, ['three', 'four'], 'from rx + 1 on');
  assert.deepEqual(log, ['transport', 'open', 'reconnecting', 'transport', 'resumed']);
  assert.deepEqual(closes, []);
  assert.equal(s.transport, 'websocket');
  assert.equal(s.bufferedAmount, 'three'.length + 'four'.length);
});

test('messages resent by the server after a resume are counted on', () => {
  const [s, ws] = welcomed();
  const got = [];
  s.onmessage = (e) => got.push(e.data);
  ws.receive('m1');
  ws.end(1001);
  const ws2 = reconnected(ws);
  assert.deepEqual(ws2.controls[0], { resume: { sid: SID, rx: 1 } });
  ws2.control('welcome', welcome({ resumed: true }));
  ws2.receive('m2');
  ws2.end(1006);
  const ws3 = reconnected(ws2);
  assert.deepEqual(ws3.controls[0], { resume: { sid: SID, rx: 2 } });
  assert.deepEqual(got, ['1', '2']);
});

for (const code of [1001, 1005, 1006, 1011, 1012, 1013, 4000, 4399, 4500]) {
  test(`close ${code} only detaches: resume`, () => {
    const [s, ws, log] = welcomed();
    ws.end(code);
    const ws2 = reconnected(ws);
    assert.ok(ws2.controls[0].resume);
    assert.equal(s.readyState, CapstanSocket.OPEN);
    assert.ok(!log.includes('close'));
  });
}

for (const [code, name] of [[4400, 'protocol_violation'], [4404, 'unknown_session'], [4410, 'messages_lost'],
  [4416, 'rx_beyond_sent'], [4426, 'version_not_supported'], [4429, 'retention_full']]) {
  test(`close ${code} (${name}) ends the session: error, then close, no new session`, () => {
    const [s, ws, log] = welcomed();
    let closed;
    s.onclose = (e) => (closed = e);
    ws.control('error', { code: name, message: 'told plainly' });
    ws.end(code, '');
    assert.equal(s.readyState, CapstanSocket.CLOSED);
    assert.deepEqual([closed.code, closed.reason, closed.wasClean], [code, name, false]);
    assert.deepEqual(log.slice(-2), ['error', 'close']);
    mock.timers.tick(60000);
    assert.equal(FakeWebSocket.all.length, 1, 'no reconnect, no new hello');
    assert.throws(() => s.send('x'), { name: 'InvalidStateError' });
  });
}

test('unknown_session on a resume ends the session with 4404', () => {
  const [s, ws] = welcomed();
  ws.end(1006);
  const ws2 = reconnected(ws);
  let closed;
  s.onclose = (e) => (closed = e);
  ws2.control('error', { code: 'unknown_session', message: 'no such session' });
  ws2.end(4404, 'no such session');
  assert.deepEqual([closed.code, closed.reason], [4404, 'no such session']);
  mock.timers.tick(60000);
  assert.equal(FakeWebSocket.all.length, 2);
});

test('the application closing (1000) ends the session cleanly', () => {
  const [s, ws, log] = welcomed();
  let closed;
  s.onclose = (e) => (closed = e);
  ws.end(1000, 'bye');
  assert.deepEqual([closed.code, closed.reason, closed.wasClean], [1000, 'bye', true]);
  assert.ok(!log.includes('error'));
});

test('replaced (4409): this socket stops, without a resume that would fight', () => {
  const [s, ws] = welcomed();
  let closed;
  s.onclose = (e) => (closed = e);
  ws.end(4409, 'replaced');
  assert.equal(closed.code, 4409);
  mock.timers.tick(60000);
  assert.equal(FakeWebSocket.all.length, 1);
});

test('close() sends 1000 and reports the code asked for', () => {
  const [s, ws, log] = welcomed();
  let closed;
  s.onclose = (e) => (closed = e);
  s.close(4001, 'done');
  assert.equal(s.readyState, CapstanSocket.CLOSING);
  assert.deepEqual(ws.closedWith, { code: 1000, reason: 'done' });
  assert.throws(() => s.send('late'), { name: 'InvalidStateError' });
  ws.end(1000, 'done');
  assert.equal(s.readyState, CapstanSocket.CLOSED);
  assert.deepEqual([closed.code, closed.reason, closed.wasClean], [4001, 'done', true]);
  assert.ok(!log.includes('error'));
});

test('close() while cut: resume, resend, then end', () => {
  const [s, ws] = welcomed();
  s.send('last words');
  ws.end(1006);
  s.close(); // waiting to reconnect: reconnect now, to finish
  const ws2 = FakeWebSocket.last;
  assert.notEqual(ws2, ws);
  ws2.open();
  ws2.control('welcome', welcome({ resumed: true }));
  assert.deepEqual(ws2.data, ['last words']);
  assert.deepEqual(ws2.closedWith, { code: 1000, reason: '' });
});

test('close() before welcome: error, then close 1006, later, as a WebSocket does', () => {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket });
  const log = record(s, EVENTS);
  let closed;
  s.onclose = (e) => (closed = e);
  s.close();
  assert.equal(s.readyState, CapstanSocket.CLOSING);
  assert.deepEqual(log, [], 'events come later, not inside close()');
  mock.timers.tick(0);
  assert.deepEqual(log, ['error', 'close']);
  assert.deepEqual([closed.code, closed.wasClean], [1006, false]);
  assert.equal(s.readyState, CapstanSocket.CLOSED);
});

test('close() checks its code and reason as a WebSocket does', () => {
  const [s] = welcomed();
  assert.throws(() => s.close(1001), { name: 'InvalidAccessError' });
  assert.throws(() => s.close(2999), { name: 'InvalidAccessError' });
  assert.throws(() => s.close(1000, 'x'.repeat(124)), { name: 'SyntaxError' });
  assert.equal(s.readyState, CapstanSocket.OPEN);
});

test('nothing received for 2 x heartbeat_ms: the transport is dropped and the session resumed', () => {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket });
  const ws = FakeWebSocket.last;
  ws.open();
  ws.control('welcome', welcome({ heartbeat_ms: 1000 }));
  mock.timers.tick(1500);
  ws.control('hb', 0); // alive
  mock.timers.tick(1999);
  assert.equal(FakeWebSocket.all.length, 1, 'still alive: something came 1999 ms ago');
  mock.timers.tick(1);
  assert.equal(ws.closedWith.code, 4000, 'dropped with a code that does not end the session');
  const ws2 = reconnected(ws);
  assert.ok(ws2.controls[0].resume);
  assert.equal(s.readyState, CapstanSocket.OPEN);
});

test('a heartbeat counting more messages than arrived means some were lost: resume', () => {
  const [, ws] = welcomed();
  ws.receive('m1');
  ws.control('hb', 1);
  mock.timers.tick(0);
  assert.equal(FakeWebSocket.all.length, 1, 'hb equal to the count: fine');
  ws.control('hb', 2);
  const ws2 = reconnected(ws);
  assert.deepEqual(ws2.controls[0], { resume: { sid: SID, rx: 1 } });
});

test('a WebSocket that does not open in time: the next round, with backoff', () => {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket, websocketTimeout: 500, maxDelay: 100 });
  const log = record(s, EVENTS);
  mock.timers.tick(500);
  assert.deepEqual(log, ['reconnecting']);
  mock.timers.tick(100);
  assert.equal(FakeWebSocket.all.length, 2);
  assert.equal(s.readyState, CapstanSocket.CONNECTING);
});

test('a cut before welcome starts again with hello', () => {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket, maxDelay: 100 });
  FakeWebSocket.last.open();
  FakeWebSocket.last.end(1006);
  mock.timers.tick(100);
  FakeWebSocket.last.open();
  assert.deepEqual(FakeWebSocket.last.controls, [{ hello: { v: 1 } }]);
  assert.equal(s.readyState, CapstanSocket.CONNECTING);
});

test('the server breaking the protocol ends the session with 4400', () => {
  for (const bad of ['xhello', 'c{"nope":1}', 'c{"ack":99}', [0x63, 0x7b, 0x7d]]) {
    const [s, ws] = welcomed();
    let closed;
    s.onclose = (e) => (closed = e);
    ws.receive(bad);
    assert.equal(ws.closedWith.code, 4400, String(bad));
    assert.equal(closed.code, 4400);
  }
});

test('data or a control before welcome is a protocol violation', () => {
  for (const first of ['mhi', 'c{"hb":0}']) {
    const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket });
    let closed;
    s.onclose = (e) => (closed = e);
    FakeWebSocket.last.open();
    FakeWebSocket.last.receive(first);
    assert.equal(closed.code, 4400, first);
  }
});

test('a welcome for another session on a resume is a protocol violation', () => {
  const [s, ws] = welcomed();
  let closed;
  s.onclose = (e) => (closed = e);
  ws.end(1006);
  const ws2 = reconnected(ws);
  ws2.control('welcome', welcome({ sid: 'AAAAAAAAAAAAAAAAAAAAAA', resumed: true }));
  assert.equal(closed.code, 4400);
});

test('window online: reconnect at once instead of waiting', () => {
  const bus = new EventTarget();
  globalThis.addEventListener = bus.addEventListener.bind(bus);
  globalThis.removeEventListener = bus.removeEventListener.bind(bus);
  try {
    const [s, ws] = welcomed({ minDelay: 60000, maxDelay: 60000 });
    ws.end(1006); // a short-lived transport: a long backoff now
    assert.equal(FakeWebSocket.all.length, 1);
    bus.dispatchEvent(new Event('online'));
    assert.equal(FakeWebSocket.all.length, 2, 'reconnected at once');
    s.close(); // the listener goes with the socket
    FakeWebSocket.last.end(1006);
    bus.dispatchEvent(new Event('online'));
  } finally {
    delete globalThis.addEventListener;
    delete globalThis.removeEventListener;
  }
});

test('an ack of a message still queued (never sent) is a protocol violation', () => {
  const s = new CapstanSocket('ws://example.test/echo', { transports: ['websocket'], WebSocket: FakeWebSocket });
  s.send('queued');
  let closed;
  s.onclose = (e) => (closed = e);
  const ws = FakeWebSocket.last;
  ws.open();
  ws.control('welcome', welcome({ rx: 1 }));
  assert.equal(closed.code, 4400, 'welcome.rx counts a message the client never sent');
});

test('the page becoming visible again: reconnect at once', () => {
  const page = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  globalThis.document = page;
  try {
    const [, ws] = welcomed({ minDelay: 60000, maxDelay: 60000 });
    ws.end(1006);
    page.dispatchEvent(new Event('visibilitychange'));
    assert.equal(FakeWebSocket.all.length, 1, 'still hidden: wait');
    page.visibilityState = 'visible';
    page.dispatchEvent(new Event('visibilitychange'));
    assert.equal(FakeWebSocket.all.length, 2, 'visible: at once');
  } finally {
    delete globalThis.document;
  }
});

test('a transport that lasted is resumed at once; one that flaps, with growing backoff', () => {
  const [s, ws] = welcomed({ minDelay: 100, maxDelay: 1000 });
  const delays = [];
  s.addEventListener('reconnecting', (e) => delays.push([e.attempt, e.delay]));
  mock.timers.tick(1001);
  ws.end(1006);
  assert.deepEqual(delays, [[0, 0]], 'up for longer than maxDelay: at once');
  let current = reconnected(ws);
  for (let i = 1; i <= 3; i++) {
    current.control('welcome', welcome({ resumed: true }));
    current.end(1006); // welcomed, then cut at once
    assert.equal(delays.at(-1)[0], i, 'one more attempt each time');
    assert.ok(delays.at(-1)[1] < 100 * 2 ** (i - 1));
    current = reconnected(current);
  }
});
