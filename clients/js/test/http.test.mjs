// The HTTP fallbacks' answers (§8.1, §8.3), with a fake fetch playing the
// server: which refusals end the session, which only fail the transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CapstanSocket } from '../capstan.js';
import { nextEvent } from '../testlib/events.mjs';

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const refusal = (status, code) => json(status, { error: { code, message: 'told plainly' } });

/** A socket on the `stream` fallback whose every opening POST gets `answer()`; records the requests. */
function socket(answer) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url: new URL(url), init });
    return answer();
  };
  const s = new CapstanSocket('http://example.test/echo?room=1', { transports: ['stream'], fetch, minDelay: 1, maxDelay: 5 });
  return [s, requests];
}

test('the opening POST carries hello, as text, to ?capstan=open&transport=', async () => {
  const [s, requests] = socket(() => refusal(426, 'version_not_supported'));
  await nextEvent(s, 'close');
  const { url, init } = requests[0];
  assert.equal(url.origin + url.pathname, 'http://example.test/echo');
  assert.deepEqual([...url.searchParams], [['room', '1'], ['capstan', 'open'], ['transport', 'stream']]);
  assert.equal(init.method, 'POST');
  assert.equal(init.headers['content-type'], 'text/plain;charset=UTF-8');
  assert.equal(init.body, 'c{"hello":{"v":1}}');
});

for (const [status, code] of [[400, 'protocol_violation'], [404, 'unknown_session'], [410, 'messages_lost'],
  [416, 'rx_beyond_sent'], [426, 'version_not_supported'], [429, 'retention_full']]) {
  test(`an opening refused ${status} ${code} ends the session with ${4000 + status}`, async () => {
    const [s] = socket(() => refusal(status, code));
    const e = await nextEvent(s, 'close');
    assert.deepEqual([e.code, e.reason, e.wasClean], [4000 + status, code, false]);
  });
}

for (const [what, answer] of [
  ['a 503', () => new Response('busy', { status: 503 })],
  ['a 404 that is not the server\'s', () => new Response('<h1>Not Found</h1>', { status: 404 })],
  ['a network failure', () => Promise.reject(new TypeError('fetch failed'))],
]) {
  test(`${what} only fails the transport: try again later`, async () => {
    let calls = 0;
    const [s] = socket(() => (++calls == 1 ? answer() : refusal(404, 'unknown_session')));
    const again = await nextEvent(s, 'reconnecting');
    assert.equal(again.attempt, 1);
    const e = await nextEvent(s, 'close');
    assert.equal(e.code, 4404, 'the second try got the real answer');
    assert.equal(calls, 2);
  });
}
