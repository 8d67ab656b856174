// An idle session on each transport stays where it is: the server's
// heartbeats (§4.6) keep the client's dead-link detection quiet. Counted
// in heartbeats seen, not in time waited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { CapstanSocket } from '../capstan.js';
import { NodeEventSource } from '../testlib/event_source.mjs';
import { nextEvent } from '../testlib/events.mjs';
import { Inbox } from '../testlib/inbox.mjs';
import { startServer } from '../testlib/server.mjs';

const HEARTBEATS = 6;
let server;

before(async () => {
  server = await startServer({ SESSION_HEARTBEAT_MS: '150' });
});
after(() => server?.stop());

/** Resolves after `n` calls of the returned `beat`. */
function counter(n) {
  let beat;
  const done = new Promise((resolve) => (beat = () => --n == 0 && resolve()));
  return [beat, done];
}

/** Transport options that call `beat` for each heartbeat the client receives. */
const watched = {
  websocket: (beat) => ({
    WebSocket: class extends WebSocket {
      constructor(...args) {
        super(...args);
        this.on('message', (data) => String(data).startsWith('c{"hb"') && beat());
      }
    },
  }),
  sse: (beat) => ({
    EventSource: class extends NodeEventSource {
      constructor(url) {
        super(url);
        this.addEventListener('control', (e) => e.data.startsWith('{"hb"') && beat());
      }
    },
  }),
  stream: (beat) => ({
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      if (!url.includes('capstan=stream')) return response;
      const [mine, theirs] = response.body.tee();
      (async () => {
        const text = new TextDecoderStream();
        for await (const chunk of theirs.pipeThrough(text)) for (const _ of chunk.matchAll(/\{"hb"/g)) beat();
      })().catch(() => {});
      return new Response(mine, response);
    },
  }),
};

for (const transport of ['websocket', 'sse', 'stream']) {
  test(`${transport}: idle through ${HEARTBEATS} heartbeats without a reconnect`, async () => {
    const [beat, beaten] = counter(HEARTBEATS);
    const s = new CapstanSocket(server.url('/echo'), { transports: [transport], ...watched[transport](beat) });
    const inbox = new Inbox(s);
    let reconnects = 0;
    s.addEventListener('reconnecting', () => reconnects++);
    await nextEvent(s, 'open');
    const opens = await inbox.ask('!opens');
    await beaten;
    assert.equal(reconnects, 0);
    assert.equal(s.transport, transport);
    assert.equal(await inbox.ask('!opens'), opens, 'no new session');
    s.close();
  });
}
