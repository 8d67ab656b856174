// The web client against the chat in cluster mode (--redis), when Redis
// loses its data: every room's id sequence starts over at 1 under a new
// epoch. A page that held ids of the old sequence must show the room fresh
// (only the new sequence's messages, none missed), not the old ones mixed
// with the new, and it must say which epoch its ids belong to when it
// resumes (add_user's rooms: {after, epoch}).
//
// The page's connection is a session (docs/SESSIONS.md) that outlives a cut
// for the grace period (here 5 s): a short cut is resumed with nothing lost
// and the chat never sees it; only a session that ended (a cut longer than
// the grace) makes the page name itself again with add_user and its ids.
// Both are tested.
//
//   node --test cluster.test.mjs   (scripts/browser-test.sh does the setup)
//
// A real redis-server (no persistence) and the chat binary; the page goes
// through a TCP proxy the test cuts while Redis is restarted; the other user
// is a plain WebSocket client in node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  WAIT,
  ChatServer,
  RedisServer,
  eventually,
  freePort,
  openSocket,
  sessionControls,
  sessionEnvelopes,
  sleep,
  startProxy,
} from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-cluster-'));
let redis = null;
let server = null;
let proxy = null;
let browser = null;
const sockets = [];
process.on('exit', () => {
  server?.killNow();
  redis?.killNow();
});
after(async () => {
  for (const s of sockets) s.close();
  if (browser) await browser.close().catch(() => {});
  if (proxy) await proxy.close().catch(() => {});
  if (server) await server.stop();
  if (redis) await redis.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});



/** The messages shown in the current room, top to bottom: "id content". */
const shown = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('#messages [data-testid=message]')].map(
      (li) => `${li.dataset.pending === 'true' ? 'pending' : li.dataset.id} ${li.querySelector('[data-testid=message-content]')?.textContent}`,
    ),
  );

/** Waits until the page shows exactly `expected` ("id content", in order) in `room`. */
async function waitShown(page, room, expected) {
  if ((await page.evaluate(() => window.chat.room())) !== room) {
    await page.click(`[data-testid=room][data-room="${room}"] .room-button`);
  }
  await eventually(async () => {
    const list = await shown(page);
    return { ok: JSON.stringify(list) === JSON.stringify(expected), seen: list };
  }, `the page to show exactly ${JSON.stringify(expected)} in ${room}`);
}

/** Chat envelopes of `type` in `frames` (the page's session frames) from index `from` on. */
const envelopes = (frames, type, from = 0) => sessionEnvelopes(frames, from).filter((e) => e.type === type);

/** How long the page's session outlives a cut (--session-grace-secs). */
const GRACE_SECS = 5;

/**
 * Cuts the page off and waits until its session is over on the server:
 * a user in general (a plain WebSocket, straight to the server) is told
 * that alice left, which the chat says only when her session ended (the
 * grace period passed without her).
 */
async function cutUntilSessionEnds(port, badge) {
  const watcher = await openSocket(port);
  sockets.push(watcher);
  watcher.send('add_user', { username: `watcher${sockets.length}` });
  assert.equal((await watcher.next(['add_user', 'error'])).type, 'add_user');
  proxy.cut();
  await eventually(async () => ({ ok: (await badge()) !== 'online', seen: await badge() }), 'the page to notice the cut');
  const deadline = Date.now() + GRACE_SECS * 1000 + WAIT;
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    const env = await watcher.next('presence', left);
    assert.notEqual(env, 'closed', "the watcher's connection closed");
    if ((env.data.changes || []).some((c) => c.user === 'alice' && c.event === 'leave')) break;
  }
  watcher.close();
}

/**
 * Posts `content` to `room` as a new user on a new connection, again until
 * it is acknowledged (after a Redis restart the node takes a moment to be
 * back); the id it was stored with.
 */
let posters = 0;
async function post(port, room, content) {
  const deadline = Date.now() + WAIT;
  let last = null;
  while (Date.now() < deadline) {
    posters += 1;
    let sock = null;
    try {
      sock = await openSocket(port);
      sockets.push(sock);
      sock.send('add_user', { username: `poster${posters}` });
      last = await sock.next(['add_user', 'error'], 5000);
      if (last.type === 'add_user' && room !== 'general') {
        sock.send('join', { room });
        last = await sock.next(['joined', 'error'], 5000);
      }
      if (last.type === 'add_user' || last.type === 'joined') {
        sock.send('message', { room, content, client_id: `${content} ${posters}` });
        last = await sock.next(['ack', 'error'], 5000);
        if (last.type === 'ack') return last.data.id;
      }
    } catch (err) {
      last = String(err); // no answer in time: again
    } finally {
      sock?.close();
    }
    await sleep(100);
  }
  throw new Error(`"${content}" was never acknowledged; last answer: ${JSON.stringify(last)}\n${server.log()}`);
}

test('cluster mode: Redis loses its data, the page resumes with its epoch and shows the room fresh', { timeout: 120_000 }, async () => {
  const redisDir = path.join(tmp, 'redis');
  fs.mkdirSync(redisDir);
  redis = new RedisServer({ port: await freePort(), dir: redisDir });
  await redis.start();
  const port = await freePort();
  server = new ChatServer({ port, db: path.join(tmp, 'chat.db'), args: ['--redis', redis.url(), '--session-grace-secs', String(GRACE_SECS)] });
  await server.start();
  proxy = await startProxy(port);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT });
  const page = await browser.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  const sent = [];
  const received = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => typeof f.payload === 'string' && sent.push(f.payload));
    ws.on('framereceived', (f) => typeof f.payload === 'string' && received.push(f.payload));
  });
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  await page.fill('[data-testid=name-input]', 'alice');
  await page.click('[data-testid=login-button]');
  await page.waitForFunction(() => window.chat && window.chat.named(), null, { timeout: WAIT });
  const badge = () => page.getAttribute('[data-testid=connection-state]', 'data-state');
  const online = () => eventually(async () => ({ ok: (await badge()) === 'online', seen: await badge() }), 'the page to be online');

  // The old sequence: general 1..2, random 1 (random joined from the page:
  // its epoch comes in `joined`).
  await page.fill('[data-testid=join-input]', 'random');
  await page.click('[data-testid=join-button]');
  await eventually(async () => (await page.evaluate(() => window.chat.room())) === 'random', 'the page to be in random');
  assert.equal(await post(port, 'random', 'r old 1'), 1);
  await waitShown(page, 'random', ['1 r old 1']);
  assert.equal(await post(port, 'general', 'old 1'), 1);
  assert.equal(await post(port, 'general', 'old 2'), 2);
  await waitShown(page, 'general', ['1 old 1', '2 old 2']);
  const oldGeneral = envelopes(received, 'add_user')[0].data.epoch;
  const oldRandom = envelopes(received, 'joined').find((e) => e.data.room === 'random').data.epoch;
  assert.ok(typeof oldGeneral === 'string' && oldGeneral && typeof oldRandom === 'string' && oldRandom, 'the answers name epochs');

  // The page is away while Redis loses everything and the rooms start over:
  // more messages than before, so a resume from the old ids into the new
  // sequence would look plausible (it would bring "new 3", "new 4").
  await cutUntilSessionEnds(port, badge);
  await redis.kill();
  await redis.start();
  const NEW = ['new 1', 'new 2', 'new 3', 'new 4'];
  for (const [i, text] of NEW.entries()) assert.equal(await post(port, 'general', text), i + 1, 'general starts over at 1');
  assert.equal(await post(port, 'random', 'r new 1'), 1, 'random starts over at 1');

  // Back: the page resumes with its ids and their epoch, is told they are
  // not recovered, and shows only the new sequence, all of it.
  let from = sent.length;
  let answersFrom = received.length;
  proxy.restore();
  await page.evaluate(() => window.chat.reconnect());
  await online();
  await waitShown(page, 'general', NEW.map((t, i) => `${i + 1} ${t}`));
  await waitShown(page, 'random', ['1 r new 1']);
  await sleep(500); // anything late (an old message, a duplicate) would show now
  await waitShown(page, 'general', NEW.map((t, i) => `${i + 1} ${t}`));

  const refused = sessionControls(received, 'error', answersFrom);
  assert.ok(refused.some((e) => e.code === 'unknown_session'), `the session had ended: ${JSON.stringify(refused)}`);
  assert.ok(sessionControls(sent, 'hello', from).length >= 1, 'the page began a new session');
  const resume = envelopes(sent, 'add_user', from)[0];
  assert.ok(resume, 'the page sent add_user again');
  assert.deepEqual(resume.data.rooms, { general: { after: 2, epoch: oldGeneral }, random: { after: 1, epoch: oldRandom } });
  const answer = envelopes(received, 'add_user', answersFrom)[0].data;
  assert.equal(answer.resumed, false, 'a resume from the old epoch is not recovered');
  assert.deepEqual(answer.messages, []);
  assert.notEqual(answer.epoch, oldGeneral, 'general has a new epoch');
  const newGeneral = answer.epoch;
  const joined = envelopes(received, 'joined', answersFrom).find((e) => e.data.room === 'random').data;
  assert.equal(joined.resumed, false);
  assert.notEqual(joined.epoch, oldRandom, 'random has a new epoch');

  // Kept with the ids, for the next page load too.
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('capstan.chat.rooms')));
  assert.deepEqual(kept.general, { last: 4, read: 4, epoch: newGeneral });
  assert.equal(kept.random.epoch, joined.epoch);

  // A short cut, within the grace period: the session resumes, the
  // message posted meanwhile comes on it once, and the chat never saw the
  // page go (no add_user again).
  const [session] = sessionControls(received, 'welcome', answersFrom).filter((w) => !w.resumed);
  assert.ok(session, 'the new session was welcomed');
  from = sent.length;
  answersFrom = received.length;
  const before = await page.evaluate(() => window.chat.session());
  assert.equal(before.id, session.sid, 'the page knew its session');
  proxy.cut();
  await eventually(async () => ({ ok: (await badge()) !== 'online', seen: await badge() }), 'the page to notice the short cut');
  assert.equal(await post(port, 'general', 'new 5'), 5);
  proxy.restore();
  await online();
  await waitShown(page, 'general', [...NEW, 'new 5'].map((t, i) => `${i + 1} ${t}`));
  // The same session resumed, on whichever transport the page came back
  // (a WebSocket, unless the proxy came back between its WebSocket and SSE
  // attempts of one round: then the frames below are not a WebSocket's).
  const after = await page.evaluate(() => window.chat.session());
  assert.equal(after.id, session.sid, 'the page resumed its session');
  assert.ok(after.resumes > before.resumes, 'it resumed');
  assert.equal(after.addUsers, before.addUsers, 'no add_user: the chat kept the connection');
  if ((await page.evaluate(() => window.chat.transport())) === 'websocket') {
    const resumes = sessionControls(sent, 'resume', from);
    assert.ok(resumes.length >= 1 && resumes.every((r) => r.sid === session.sid), 'its resume');
    assert.ok(sessionControls(received, 'welcome', answersFrom).some((w) => w.resumed && w.sid === session.sid), 'and was taken back');
    const live = envelopes(received, 'message', answersFrom).filter((e) => e.data.content === 'new 5');
    assert.equal(live.length, 1, "'new 5' came once, on the resumed session");
  }

  // A long cut in the new epoch: the session ends, and the page's add_user
  // is recovered as ever: exactly what was missed.
  await cutUntilSessionEnds(port, badge);
  assert.equal(await post(port, 'general', 'new 6'), 6);
  from = sent.length;
  answersFrom = received.length;
  proxy.restore();
  await page.evaluate(() => window.chat.reconnect());
  await online();
  await waitShown(page, 'general', [...NEW, 'new 5', 'new 6'].map((t, i) => `${i + 1} ${t}`));
  const again = envelopes(sent, 'add_user', from)[0];
  assert.deepEqual(again.data.rooms.general, { after: 5, epoch: newGeneral });
  const recovered = envelopes(received, 'add_user', answersFrom)[0].data;
  assert.equal(recovered.resumed, true);
  assert.deepEqual(
    recovered.messages.map((m) => m.content),
    ['new 6'],
  );
  assert.deepEqual(errors, []);
});
