// The web client in a large room: the server (here with --large-room 2)
// announces who comes and goes as counts, not names; the client then shows
// the count, says its list may be out of date, and reads the list again
// with `members` when asked.
//
//   node --test large-room.test.mjs   (scripts/browser-test.sh does the setup)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, WAIT, ChatServer, freePort } from './harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-large-'));
let server = null;
let browser = null;
process.on('exit', () => server?.killNow());
after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (server) await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function eventually(probe, what) {
  const deadline = Date.now() + WAIT;
  let last;
  for (;;) {
    last = await probe();
    if (last === true) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

test('a large room: counts, a stale list, and a refresh', { timeout: 60_000 }, async () => {
  const port = await freePort();
  server = new ChatServer({ port, db: path.join(tmp, 'chat.db'), args: ['--large-room', '2'] });
  await server.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill('[data-testid=name-input]', 'alice');
  await page.click('[data-testid=login-button]');
  await page.waitForFunction(() => window.chat && window.chat.named(), null, { timeout: WAIT });

  // Two more users, from plain WebSockets in the page.
  const join = (name) =>
    page.evaluate(
      async ({ url, name }) => {
        const ws = new WebSocket(url);
        (window.__others ||= []).push(ws);
        await new Promise((resolve) => (ws.onopen = resolve));
        const named = new Promise((resolve) => {
          ws.onmessage = (e) => JSON.parse(e.data).type === 'add_user' && resolve();
        });
        ws.send(JSON.stringify({ type: 'add_user', data: { username: name } }));
        await named;
      },
      { url: `ws://127.0.0.1:${port}/ws`, name },
    );
  const members = () => page.evaluate(() => window.chat.members('general'));
  const heading = () => page.textContent('#people-heading');

  await join('bob'); // two members: still named
  await eventually(async () => JSON.stringify(await members()) === '["alice","bob"]' || (await members()), 'bob named in the list');
  assert.equal(await page.locator('[data-testid=refresh-members]').count(), 0);

  await join('carol'); // three: counted
  await eventually(async () => (await heading()).includes('(3)') || (await heading()), 'the count of 3');
  assert.deepEqual(await members(), ['alice', 'bob'], 'carol was counted, not named');
  await page.locator('[data-testid=refresh-members]').click();
  await eventually(async () => JSON.stringify(await members()) === '["alice","bob","carol"]' || (await members()), 'the list read again');
  await page.locator('[data-testid=member][data-name=carol]').waitFor();
  assert.equal(await page.locator('[data-testid=refresh-members]').count(), 0, 'the list is current again');
  assert.deepEqual(errors, []);
});
