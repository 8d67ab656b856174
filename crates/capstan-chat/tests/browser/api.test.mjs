// The server API seen in the browser: what a backend publishes with
// POST /api/publish (here Node's fetch, as a PHP or Python backend would
// call it) shows in the chat web client as a bot's message — an author
// marked "bot", never taken for the user's own — and a skip_history
// publish as a notice; unsubscribe takes the room out of the sidebar; and
// the page asks for no resource the server lacks.
// Real chat server binary (--api-key), headless Chromium.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, WAIT, ChatServer, eventually, freePort } from './harness.mjs';

const KEY = 'browser-test-api-key-0123456789';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-api-'));
let server = null;
let context = null;

process.on('exit', () => server?.killNow());
after(async () => {
  if (context) await context.close().catch(() => {});
  if (server) await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function api(method, body) {
  const response = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${method}: ${response.status}`);
  const answer = await response.json();
  assert.ok(answer.result, `${method}: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** The messages and notices shown, top to bottom. */
function shown(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('#messages [data-testid=message], #messages [data-testid=notice]')].map((li) => ({
      kind: li.dataset.testid,
      author: li.querySelector('[data-testid=message-author]')?.textContent ?? '',
      content: li.querySelector('[data-testid=message-content]')?.textContent ?? '',
      bot: li.classList.contains('bot'),
      mine: li.classList.contains('mine'),
    })),
  );
}

async function waitShown(page, check, what) {
  return eventually(async () => {
    const list = await shown(page);
    return { ok: !!check(list), seen: list };
  }, what);
}

test('what the backend publishes shows as a bot in the browser', { timeout: 60_000 }, async () => {
  server = new ChatServer({ port: await freePort(), db: path.join(tmp, 'chat.db'), args: ['--api-key', KEY] });
  await server.start();
  context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: WAIT,
  });
  context.setDefaultTimeout(WAIT);
  const page = context.pages()[0] ?? (await context.newPage());
  // The page asks for nothing the server lacks (a favicon included).
  const failed = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForLoadState('load');
  // The user is called "CI" too: a bot of that name must not pass for them.
  await page.fill('[data-testid=name-input]', 'CI');
  await page.click('[data-testid=login-button]');
  await page.waitForFunction(() => window.chat && window.chat.named(), null, { timeout: WAIT });
  assert.deepEqual(failed, [], 'every resource the page asked for was there');
  // Its icon is declared and served (a browser then asks for no /favicon.ico,
  // which headless Chromium never fetches, so a 404 there would not show).
  const icon = await page.evaluate(() => document.querySelector('link[rel~=icon]')?.href ?? null);
  assert.ok(icon, 'the page declares its icon');
  const served = await fetch(icon);
  assert.equal(served.status, 200, `${icon}: ${served.status}`);
  assert.match(served.headers.get('content-type'), /^image\/svg\+xml/);

  const published = await api('publish', { channel: 'general', data: { content: 'deploy finished', author: 'CI' } });
  assert.equal(published.offset, 1);
  await waitShown(page, (l) => l.some((m) => m.content === 'deploy finished'), 'the bot message');
  const message = (await shown(page)).find((m) => m.content === 'deploy finished');
  assert.equal(message.author, 'CI');
  assert.equal(message.bot, true, 'shown as a bot');
  assert.equal(message.mine, false, "never the user's own, though the names match");
  assert.equal(await page.locator('[data-testid=message-bot]').count(), 1, 'the bot badge');

  await api('publish', { channel: 'general', data: 'maintenance at noon', skip_history: true });
  await waitShown(page, (l) => l.some((m) => m.kind === 'notice' && m.content === 'maintenance at noon' && m.bot), 'the notice');

  // Joined from the page, then taken out by the backend.
  await page.fill('[data-testid=join-input]', 'ops');
  await page.click('[data-testid=join-button]');
  const rooms = () => page.evaluate(() => window.chat.rooms());
  await eventually(async () => ({ ok: (await rooms()).includes('ops'), seen: await rooms() }), 'ops joined');
  await api('unsubscribe', { user: 'CI', channel: 'ops' });
  await eventually(async () => ({ ok: !(await rooms()).includes('ops'), seen: await rooms() }), 'ops gone');
});
