// What the integration tests do alike on every transport: open a socket
// with its inbox, check a numbered run arrived once and in order, and the
// run through two cuts.
import assert from 'node:assert/strict';
import { CapstanSocket } from '../capstan.js';
import { nextEvent } from './events.mjs';
import { Inbox } from './inbox.mjs';

/** A socket on `url` with `options`, opened; with its inbox. */
export async function connect(url, options) {
  const s = new CapstanSocket(url, options);
  const inbox = new Inbox(s);
  await nextEvent(s, 'open');
  return [s, inbox];
}

/** Checks that `list` holds `prefix 1` … `prefix n` exactly once each, in order. */
export function exactlyOnceInOrder(list, prefix, n) {
  const got = list.filter((m) => typeof m == 'string' && m.startsWith(prefix)).map((m) => Number(m.slice(prefix.length)));
  assert.deepEqual(got, Array.from({ length: n }, (_, i) => i + 1), `${prefix}1 … ${prefix}${n}`);
}

/**
 * `n` messages each way on the open socket `s` (a server flood and echoes
 * of the client's), the transport cut twice by `proxy` midway: every
 * message arrives once and in order, the server counted each of the
 * client's once, the application saw one on_open, the page two resumes,
 * and the socket stays open.
 */
export async function cutTwiceMidStream(s, inbox, proxy, n) {
  let resumes = 0;
  s.addEventListener('resumed', () => resumes++);
  const opens = await inbox.ask('!opens');
  s.send(`!flood ${n}`);
  for (let i = 1; i <= n; i++) s.send(`echo ${i}`);
  await inbox.until((l) => l.length >= 60, '60 messages');
  proxy.cut();
  await nextEvent(s, 'resumed');
  await inbox.until((l) => l.length >= 350, '350 messages');
  proxy.cut();
  await inbox.until((l) => l.length >= 2 * n + 1, 'every message');
  assert.equal(await inbox.ask('!count'), String(n + 3), 'the server got each message once: opens, flood, echoes, count');
  exactlyOnceInOrder(inbox.list, 'flood ', n);
  exactlyOnceInOrder(inbox.list, 'echo ', n);
  assert.equal(await inbox.ask('!opens'), opens, 'no second on_open');
  assert.ok(resumes >= 2, `${resumes} resumes`);
  assert.equal(s.readyState, CapstanSocket.OPEN);
}
