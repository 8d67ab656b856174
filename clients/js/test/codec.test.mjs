// The pure parts: prefixes and controls (§2, §4), backoff, SSE parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, decodeControl, decodeMessage, encodeControl, encodeData, SseParser } from '../capstan.js';

const SID = 'yW2Y9Qm8TtKJvV0dOqz1xA';
const welcome = { sid: SID, rx: 0, resumed: false, heartbeat_ms: 15000, grace_ms: 30000 };

test('a control is c and a one-key JSON object', () => {
  assert.equal(encodeControl('hello', { v: 1 }), 'c{"hello":{"v":1}}');
  assert.equal(encodeControl('ack', 57), 'c{"ack":57}');
});

test('the server controls decode, unknown fields inside welcome and error are ignored', () => {
  assert.deepEqual(decodeControl(JSON.stringify({ welcome })), ['welcome', welcome]);
  assert.deepEqual(decodeControl('{"ack":3}'), ['ack', 3]);
  assert.deepEqual(decodeControl('{"hb":0}'), ['hb', 0]);
  const error = { code: 'unknown_session', message: 'no such session', extra: 1 };
  assert.deepEqual(decodeControl(JSON.stringify({ error })), ['error', error]);
  assert.deepEqual(decodeControl(JSON.stringify({ welcome: { ...welcome, node: 'a' } }))[0], 'welcome');
});

test('malformed controls are refused', () => {
  const bad = [
    'not json', '[]', 'null', '{}', '{"ack":1,"hb":2}', '{"nope":1}', '{"toString":1}',
    '{"ack":-1}', '{"ack":1.5}', '{"ack":"1"}', '{"hb":9007199254740992}',
    JSON.stringify({ welcome: { ...welcome, sid: 'short' } }),
    JSON.stringify({ welcome: { ...welcome, sid: SID.slice(0, 21) + 'B' } }),
    JSON.stringify({ welcome: { ...welcome, resumed: 0 } }),
    JSON.stringify({ welcome: { ...welcome, heartbeat_ms: undefined } }),
    '{"error":{"code":"x"}}',
  ];
  for (const b of bad) assert.throws(() => decodeControl(b), SyntaxError, b);
});

test('a data message keeps its frame type behind the m prefix', () => {
  assert.equal(encodeData('hello'), 'mhello');
  assert.equal(encodeData(''), 'm');
  assert.deepEqual([...encodeData(new Uint8Array([0, 1, 255]))], [0x6d, 0, 1, 255]);
  assert.deepEqual(decodeMessage('mhi'), ['m', 'hi']);
  assert.deepEqual(decodeMessage('m'), ['m', '']);
  assert.deepEqual(decodeMessage('c{"ack":1}'), ['c', '{"ack":1}']);
  const [kind, bytes] = decodeMessage(new Uint8Array([0x6d, 7, 8]).buffer);
  assert.equal(kind, 'm');
  assert.deepEqual([...bytes], [7, 8]);
  assert.equal(bytes.buffer.byteLength, 2, 'the payload has a buffer of its own');
});

test('anything else is not a session message', () => {
  for (const d of ['', 'x', 'Mhi', new ArrayBuffer(0), new Uint8Array([0x63, 0x7b]).buffer]) {
    assert.throws(() => decodeMessage(d), SyntaxError);
  }
});

test('backoff stays within [0, min(max, min * 2^attempt))', () => {
  assert.equal(backoffDelay(0, 100, 5000, () => 0), 0);
  assert.equal(backoffDelay(0, 100, 5000, () => 0.5), 50);
  assert.equal(backoffDelay(3, 100, 5000, () => 0.999), 799.2);
  assert.equal(backoffDelay(10, 100, 5000, () => 0.5), 2500);
  assert.equal(backoffDelay(5000, 100, 5000, () => 0.5), 2500, 'no overflow for large attempts');
  assert.equal(backoffDelay(5000, 0, 5000, () => 0.5), 0, 'no NaN when min is 0');
  for (let a = 0; a < 20; a++) {
    const d = backoffDelay(a, 250, 10000);
    assert.ok(d >= 0 && d < Math.min(10000, 250 * 2 ** a), `attempt ${a}: ${d}`);
  }
});

test('SSE: events, ids, comments, fields without value', () => {
  const p = new SseParser();
  const text = ': hi\n\nevent: control\ndata: {"hb":1}\n\nid: 1\ndata: "a"\n\nid:2\ndata\n\nevent: binary\nid: 3\ndata: AAE=\n\n';
  assert.deepEqual(p.push(text), [
    { event: 'control', data: '{"hb":1}', id: '' },
    { event: 'message', data: '"a"', id: '1' },
    { event: 'message', data: '', id: '2' },
    { event: 'binary', data: 'AAE=', id: '3' },
  ]);
});

test('SSE: lines split anywhere across chunks, any line end', () => {
  const text = 'event: control\r\ndata: {"ack":5}\r\n\r\ndata: one\rdata: two\r\rid: 7\ndata: "x"\n\n';
  const whole = new SseParser().push(text);
  assert.deepEqual(whole, [
    { event: 'control', data: '{"ack":5}', id: '' },
    { event: 'message', data: 'one\ntwo', id: '' },
    { event: 'message', data: '"x"', id: '7' },
  ]);
  for (let cut = 1; cut < text.length; cut++) {
    const p = new SseParser();
    assert.deepEqual([...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))], whole, `cut at ${cut}`);
  }
  const p = new SseParser(), bytewise = [];
  for (const ch of text) bytewise.push(...p.push(ch));
  assert.deepEqual(bytewise, whole);
});

test('SSE: an event without its blank line is not dispatched yet', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: "half"\n'), []);
  assert.deepEqual(p.push('\n'), [{ event: 'message', data: '"half"', id: '' }]);
});
