// The chat server's admin page (capstan-chat --admin-token) in headless
// Chromium: log in with the token, then the live numbers follow real chat
// clients — connections, messages/s in, the rooms in the top topics — and
// a client that leaves shows among the close causes. Real chat binary.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, WAIT, ChatServer, eventually, freePort, openSocket } from './harness.mjs';

const TOKEN = 'chat-admin-token-for-the-browser-test';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-admin-'));
let server = null;
let context = null;
const sockets = [];

process.on('exit', () => server?.killNow());
after(async () => {
  for (const s of sockets) s.close();
  if (context) await context.close().catch(() => {});
  if (server) await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const text = (page, testid) => page.textContent(`[data-testid=${testid}]`);
const number = async (page, testid) => Number((await text(page, testid)).replace(/,/g, ''));

test("the chat's admin page follows its users live", { timeout: 90_000 }, async () => {
  server = new ChatServer({ port: await freePort(), db: path.join(tmp, 'chat.db'), args: ['--admin-token', TOKEN] });
  await server.start();
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
    timeout: WAIT,
  });
  context.setDefaultTimeout(WAIT);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err}`));

  await page.goto(`http://127.0.0.1:${server.port}/admin`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard', { state: 'visible' });
  await eventually(async () => {
    const state = await page.getAttribute('[data-testid=feed-state]', 'data-state');
    return { ok: state === 'live', seen: state };
  }, 'the feed to be live');
  // The admin page's own feed is the one connection open so far.
  const start = 1;
  await eventually(async () => {
    const seen = await number(page, 'connections');
    return { ok: seen === start, seen };
  }, "the feed's own connection on the page");

  // Three chat users connect and name themselves; two join "ops".
  for (const name of ['ann', 'bob', 'cid']) {
    const socket = await openSocket(server.port, '/ws');
    socket.send('add_user', { username: name });
    await socket.next('add_user');
    if (name !== 'cid') {
      socket.send('join', { room: 'ops' });
      await socket.next('joined');
    }
    sockets.push(socket);
  }
  await eventually(async () => {
    const seen = await number(page, 'connections');
    return { ok: seen === start + 3, seen };
  }, 'three more connections on the page');
  await eventually(async () => {
    const topics = await page.$$eval('[data-testid=topics] tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    const ok = JSON.stringify(topics) === JSON.stringify([['general', '3'], ['ops', '2']]);
    return { ok, seen: topics };
  }, 'the rooms as top topics: general 3, ops 2');

  // Messages flow: messages/s in rises above zero.
  let n = 0;
  const timer = setInterval(() => sockets[0].send('message', { content: `m${n}`, client_id: `c${n++}` }), 100);
  try {
    await eventually(async () => {
      const rate = await number(page, 'messages-in');
      return { ok: rate > 0, seen: rate };
    }, 'messages/s in above zero');
  } finally {
    clearInterval(timer);
  }

  // One leaves without a close handshake: a close cause is listed.
  sockets.pop().close();
  await eventually(async () => {
    const seen = await number(page, 'connections');
    return { ok: seen === start + 2, seen };
  }, 'one connection fewer');
  await eventually(async () => {
    const causes = await page.$$eval('[data-testid=closes] tbody tr', (trs) => trs.map((tr) => tr.textContent));
    return { ok: causes.length > 0, seen: causes };
  }, 'a close cause listed');
  assert.deepEqual(problems, []);
});
