// The admin page in headless Chromium, against the admin_demo example
// (crates/capstan-api/examples/admin_demo.rs): log in (a wrong token
// first), then watch the numbers follow plain WebSocket clients that
// connect to the demo's rooms, publish and leave — connections, messages
// per second in and out, the top-topics table, the close causes, the node
// table — each awaited as a change in the DOM, never after a fixed delay.
//
//   node --test admin.test.mjs      (scripts/admin-browser-test.sh does the setup)
//
// CAPSTAN_ADMIN_DEMO_BIN overrides the server binary (default
// target/debug/examples/admin_demo), CHROMIUM_PATH the browser (default
// /usr/bin/chromium). The screenshot is taken in a temporary directory,
// and written to docs/img/admin.png only with ADMIN_SCREENSHOT=1 (a test
// run leaves the tree as it was).
//
// The node-side WebSocket client, free ports and bounded waits are the
// chat's browser harness, imported as it is.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import {
  ROOT,
  CHROMIUM,
  CHROMIUM_ARGS,
  WAIT,
  eventually,
  freePort,
  openSocket,
  sleep,
  canConnect,
} from '../../../capstan-chat/tests/browser/harness.mjs';

const DEMO_BIN = process.env.CAPSTAN_ADMIN_DEMO_BIN || path.join(ROOT, 'target/debug/examples/admin_demo');
const DOC_SCREENSHOT = path.join(ROOT, 'docs', 'img', 'admin.png');
const TOKEN = 'browser-test-admin-token-4f1c2a';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-admin-browser-'));
let server = null;
let context = null;
const sockets = [];

/** `promise`, or nothing after `ms`. */
function bounded(promise, ms) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(r, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

after(async () => {
  for (const s of sockets) s.close();
  if (context) await bounded(context.close().catch(() => {}), 10_000);
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await bounded(exited, 8_000);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------ the server

/** Starts the demo on `port` with the admin token; resolves once it listens. */
async function startDemo(port) {
  if (!fs.existsSync(DEMO_BIN)) {
    throw new Error(`no demo binary at ${DEMO_BIN} (cargo build -p capstan-api --example admin_demo, or set CAPSTAN_ADMIN_DEMO_BIN)`);
  }
  const output = [];
  const proc = spawn(DEMO_BIN, ['--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CAPSTAN_ADMIN_TOKEN: TOKEN, RUST_BACKTRACE: '1' },
  });
  proc.stdout.on('data', (b) => output.push(b.toString()));
  proc.stderr.on('data', (b) => output.push(b.toString()));
  proc.log = () => output.join('').slice(-4000);
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the demo exited before listening:\n${proc.log()}`);
    if (await canConnect(port)) return proc;
    await sleep(100);
  }
  throw new Error(`the demo did not listen on ${port}:\n${proc.log()}`);
}

// ------------------------------------------------------------ the page

const text = (page, testid) => page.textContent(`[data-testid=${testid}]`);
const numberIn = async (page, testid) => Number((await text(page, testid)).replace(/,/g, ''));

/** Waits until the element's text satisfies `wanted`. */
async function waitText(page, testid, wanted, what) {
  await eventually(async () => {
    const seen = await text(page, testid);
    return { ok: wanted(seen), seen };
  }, what);
}

/** The rows of a table body as arrays of cell texts. */
function rows(page, testid) {
  return page.$$eval(`[data-testid=${testid}] tbody tr`, (trs) =>
    trs.map((tr) => [...tr.children].map((td) => td.textContent)),
  );
}

/** Sends a message from `socket` every `ms` until stopped. */
function pump(socket, note, ms) {
  let n = 0;
  const timer = setInterval(() => socket.send('say', { note, n: n++ }), ms);
  return () => clearInterval(timer);
}

// ------------------------------------------------------------ the test

test('the admin page follows the traffic live', { timeout: 120_000 }, async () => {
  const port = await freePort();
  server = await startDemo(port);
  const base = `http://127.0.0.1:${port}`;

  const profile = fs.mkdtempSync(path.join(tmp, 'profile-'));
  context = await chromium.launchPersistentContext(profile, {
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
  page.on('console', (msg) => {
    // A CSP violation is reported on the console: the page must cause none.
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });

  // Logged out: the login form. A wrong token is refused on the page.
  await page.goto(`${base}/admin`);
  await page.waitForSelector('#login-form', { state: 'visible' });
  assert.equal(await page.isVisible('#dashboard'), false);
  await page.fill('#token', 'not-the-admin-token');
  await page.click('#login-form button[type=submit]');
  await waitText(page, 'login-error', (t) => /wrong token/i.test(t), 'the wrong token refused');
  problems.length = 0; // the 401 of that login is logged by the browser, as it should be

  // The right token: the dashboard, live, with this one node and no client.
  await page.fill('#token', TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard', { state: 'visible' });
  await eventually(async () => {
    const state = await page.getAttribute('[data-testid=feed-state]', 'data-state');
    return { ok: state === 'live', seen: state };
  }, 'the feed to be live');
  // capstan's own counters: the page's feed is the one connection yet.
  await waitText(page, 'connections', (t) => t === '1', "only the feed's own connection");
  const nodes = await rows(page, 'nodes');
  assert.equal(nodes.length, 1, JSON.stringify(nodes));
  assert.equal(nodes[0][0], `127.0.0.1:${port}`);
  const cookies = await context.cookies(`${base}/admin`);
  const session = cookies.find((c) => c.name === 'capstan_admin');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));

  // Clients connect: four in the lobby, two in news.
  for (const room of ['lobby', 'lobby', 'lobby', 'lobby', 'news', 'news']) {
    sockets.push(await openSocket(port, `/ws?room=${room}`));
  }
  await waitText(page, 'connections', (t) => t === '7', 'six connections more on the page');
  await eventually(async () => {
    const topics = await rows(page, 'topics');
    const ok = JSON.stringify(topics) === JSON.stringify([['lobby', '4'], ['news', '2']]);
    return { ok, seen: topics };
  }, 'the top topics: lobby 4, news 2');
  await waitText(page, 'topics-total', (t) => t.startsWith('2 '), 'two active topics');

  // Two leave, one with a close handshake, one cut: both causes listed.
  const [polite] = sockets.splice(3, 1); // from the lobby
  polite.write(0x8, Buffer.from([0x03, 0xe8])); // close 1000
  const [rude] = sockets.splice(4, 1); // from news
  rude.close();
  await waitText(page, 'connections', (t) => t === '5', 'four of them left');
  await eventually(async () => {
    const closes = await rows(page, 'closes');
    const causes = Object.fromEntries(closes.map(([cause, recent, total]) => [cause, [recent, total]]));
    const ok =
      JSON.stringify(causes.peer_closed) === '["1","1"]' && JSON.stringify(causes.connection_lost) === '["1","1"]';
    return { ok, seen: closes };
  }, 'the close causes: peer_closed 1, connection_lost 1');
  await eventually(async () => {
    const topics = await rows(page, 'topics');
    const ok = JSON.stringify(topics) === JSON.stringify([['lobby', '3'], ['news', '1']]);
    return { ok, seen: topics };
  }, 'the top topics after they left: lobby 3, news 1');

  // The others publish: messages per second in and out rise on the page
  // (out: each lobby message to the two others).
  assert.equal(await numberIn(page, 'messages-in'), 0);
  const stops = [pump(sockets[0], 'hello', 100), pump(sockets[3], 'news', 250)];
  try {
    await eventually(async () => {
      const seen = [await numberIn(page, 'messages-in'), await numberIn(page, 'messages-out')];
      return { ok: seen[0] > 0 && seen[1] > 0, seen };
    }, 'messages in and out per second above 0');
    if (process.env.ADMIN_SCREENSHOT === '1') await sleep(45_000); // charts worth a picture
    const shot = path.join(tmp, 'admin.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.ADMIN_SCREENSHOT === '1') {
      fs.mkdirSync(path.dirname(DOC_SCREENSHOT), { recursive: true });
      fs.copyFileSync(shot, DOC_SCREENSHOT);
    }
  } finally {
    stops.forEach((stop) => stop());
  }

  // The charts were drawn (something but the background on each canvas).
  for (const chart of ['chart-connections', 'chart-messages', 'chart-bytes']) {
    const inked = await page.$eval(`[data-testid=${chart}]`, (canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    });
    assert.ok(inked > 100, `${chart} has ${inked} inked pixels`);
  }

  // No script error, no CSP violation, no failed request while logged in.
  assert.deepEqual(problems, []);

  // Logout: the form again, and the session is gone for the server too.
  await page.click('#logout');
  await page.waitForSelector('#login-form', { state: 'visible' });
  const status = await page.evaluate(async () => (await fetch('/admin/session')).status);
  assert.equal(status, 401);
});
