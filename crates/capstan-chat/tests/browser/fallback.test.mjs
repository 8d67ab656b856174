// The chat web client where a WebSocket cannot pass: alice's page goes
// through refuse-upgrade.mjs (an HTTP proxy that forwards plain requests,
// streaming included, and answers 403 to every WebSocket upgrade), bob's
// straight to the server. Alice's session must fall back to Server-Sent
// Events, talk both ways, see bob and be seen, and survive the proxy's
// restart (a cut of every connection) with nothing lost, nothing twice.
//
//   node --test fallback.test.mjs   (scripts/browser-test.sh does the setup)
//
// Real chat binary (CAPSTAN_CHAT_BIN), headless Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  ROOT,
  CHROMIUM,
  CHROMIUM_ARGS,
  WAIT,
  ChatServer,
  eventually,
  freePort,
  sessionEnvelopes,
  sleep,
  startProcess,
} from './harness.mjs';
import { exactly, loggedIn, login, readMessages, say, waitBadge, waitMessages } from './ui.mjs';

const REFUSE_UPGRADE = path.join(ROOT, 'scripts/proxies/refuse-upgrade.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-fallback-'));
let server = null;
let proxy = null;
let browser = null;

process.on('exit', () => {
  server?.killNow();
  proxy?.killNow();
});
after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (proxy) await proxy.stop();
  if (server) await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The proxy on `port` (0: a free one) in front of the chat. */
const startRefusing = (port, target) =>
  startProcess('node', [REFUSE_UPGRADE, String(port), `127.0.0.1:${target}`], { ready: /^listening on (\d+)$/, name: 'refuse-upgrade' });

/**
 * A user in a browser context of their own, with spies: the page's
 * WebSockets (each: its URL, frames each way, the error it got), the
 * session fallback's opening POSTs (their bodies: hello or resume), and
 * the console.
 */
async function openUser(name, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const user = { name, page, sockets: [], opens: [], answers: [], console: [], pageErrors: [] };
  page.on('websocket', (ws) => {
    const spy = { url: ws.url(), received: [], sent: [], error: null };
    user.sockets.push(spy);
    ws.on('framereceived', (f) => typeof f.payload === 'string' && spy.received.push(f.payload));
    ws.on('framesent', (f) => typeof f.payload === 'string' && spy.sent.push(f.payload));
    ws.on('socketerror', (error) => (spy.error = String(error)));
  });
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().includes('capstan=open')) user.opens.push(request.postData() ?? '');
  });
  page.on('response', (response) => {
    if (response.url().includes('capstan=')) user.answers.push(`${response.status()} ${new URL(response.url()).search}`);
  });
  page.on('console', (message) => user.console.push(message.text()));
  page.on('pageerror', (err) => user.pageErrors.push(String(err)));
  await page.goto(url);
  return user;
}

/** Every frame the user's session WebSockets received, in order. */
const framesOf = (user) => user.sockets.filter((s) => s.url.endsWith('/session')).flatMap((s) => s.received);

test('the chat behind a proxy that refuses WebSockets: Server-Sent Events, a cut, nothing lost', { timeout: 120_000 }, async () => {
  const port = await freePort();
  server = new ChatServer({ port, db: path.join(tmp, 'chat.db') });
  await server.start();
  proxy = await startRefusing(0, port);
  const proxyPort = Number(proxy.ready[1]);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT });

  const alice = await openUser('alice', `http://127.0.0.1:${proxyPort}/`);
  const bob = await openUser('bob', `http://127.0.0.1:${port}/`);
  await login(alice, 'alice');
  await loggedIn(alice);
  await login(bob, 'bob');
  await loggedIn(bob);

  // Alice's WebSocket was refused (403 from the proxy): her session rides
  // Server-Sent Events; bob's, straight to the server, a WebSocket.
  assert.equal(await alice.page.evaluate(() => window.chat.transport()), 'sse');
  assert.equal(await alice.page.evaluate(() => document.body.dataset.transport), 'sse');
  assert.equal(await bob.page.evaluate(() => window.chat.transport()), 'websocket');
  assert.ok(alice.sockets.length >= 1, 'alice tried a WebSocket first');
  for (const s of alice.sockets) {
    assert.deepEqual(s.received, [], `no frame on ${s.url}`);
    assert.match(s.error ?? '', /403/, `${s.url} refused with 403`);
  }
  assert.ok(alice.console.some((m) => /WebSocket/.test(m) && /403/.test(m)), `the browser said why: ${alice.console.join(' | ')}`);
  assert.equal(alice.opens.length, 1, `one session opened over HTTP: ${alice.answers.join(' | ')}`);
  assert.match(alice.opens[0], /^c\{"hello":\{"v":1\}\}$/);

  // They see each other in the members list.
  const members = (user) => user.page.evaluate(() => window.chat.members('general'));
  for (const user of [alice, bob]) {
    await eventually(async () => {
      const list = await members(user);
      return { ok: JSON.stringify(list) === '["alice","bob"]', seen: list };
    }, `${user.name} to list alice and bob`);
  }

  // Messages both ways, each shown once, in order, on both pages.
  const general = ['alice: hello over SSE', 'bob: hello over a WebSocket', 'alice: POSTed up', 'bob: streamed down'];
  for (const [i, text] of general.entries()) {
    await say(i % 2 ? bob : alice, text);
    for (const user of [alice, bob]) await waitMessages(user, exactly(general.slice(0, i + 1)), `the first ${i + 1} messages`);
  }

  // The proxy goes away (every connection through it cut) and comes back
  // on the same port. Meanwhile bob talks and alice's messages wait.
  const bobFrom = framesOf(bob).length;
  const opensFrom = alice.opens.length;
  await proxy.stop();
  await waitBadge(alice, ['reconnecting', 'offline'], 'reconnecting or offline');
  const whileAway = ['bob: are you there?', 'bob: the proxy restarts'];
  for (const text of whileAway) await say(bob, text);
  await waitMessages(bob, exactly([...general, ...whileAway]), "bob's two messages stored");
  const queued = ['alice: typed while cut', 'alice: and another'];
  for (const text of queued) await say(alice, text);
  await waitMessages(alice, (l) => l.filter((m) => m.pending).map((m) => m.content).join('\n') === queued.join('\n'), 'her two messages pending');
  assert.equal((await readMessages(alice.page)).filter((m) => whileAway.includes(m.content)).length, 0, 'alice is really cut off');
  proxy = await startRefusing(proxyPort, port);

  // Back: the same session resumed over SSE, everything once, in order.
  await waitBadge(alice, 'online');
  const all = [...general, ...whileAway, ...queued];
  for (const user of [alice, bob]) await waitMessages(user, exactly(all), 'every message once, in order');
  await sleep(500); // a duplicate arriving late would show now
  for (const user of [alice, bob]) {
    const list = await readMessages(user.page);
    assert.deepEqual(
      list.map((m) => m.content),
      all,
      `${user.name} sees each message once, in order`,
    );
  }
  assert.equal(await alice.page.evaluate(() => window.chat.transport()), 'sse');
  const reopened = alice.opens.slice(opensFrom);
  assert.ok(reopened.length >= 1, 'alice opened a transport again');
  assert.ok(reopened.every((body) => body.startsWith('c{"resume":')), `each a resume of her session: ${reopened.join(' | ')}`);
  const left = sessionEnvelopes(framesOf(bob), bobFrom).filter(
    (e) => e.type === 'presence' && (e.data.changes || []).some((c) => c.user === 'alice' && c.event === 'leave'),
  );
  assert.deepEqual(left, [], 'bob was never told alice left');
  assert.deepEqual(await members(bob), ['alice', 'bob']);
  // Every request of the fallback was taken (a cut one has no answer).
  const refused = alice.answers.filter((a) => !/^(200|204) /.test(a));
  assert.deepEqual(refused, [], 'no fallback request refused');
  assert.deepEqual(alice.pageErrors, []);
  assert.deepEqual(bob.pageErrors, []);
});
