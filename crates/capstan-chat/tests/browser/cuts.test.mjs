// Resumable sessions through a link that keeps breaking: session_echo's
// /relay (each message to every other session) behind cutting-proxy.mjs,
// which resets every connection 300–1500 ms after it opened (fixed seed).
// Three participants send COUNT numbered messages each ("<sender>:<n>"):
// two Chromium pages with the browser client (CapstanSocket, loaded from
// the server's /capstan.js) and a Rust client (capstan-testkit's
// session_client, in the session-relay-client binary). Each must receive
// the other two's messages exactly once and in order, across every cut.
//
//   node --test cuts.test.mjs     (scripts/browser-test.sh builds what it needs)
//
// CAPSTAN_SESSION_ECHO and CAPSTAN_RELAY_CLIENT name the binaries (default:
// the debug builds under CARGO_TARGET_DIR, else target/).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, CHROMIUM, CHROMIUM_ARGS, WAIT, eventually, startProcess } from './harness.mjs';

const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const SESSION_ECHO = process.env.CAPSTAN_SESSION_ECHO || path.join(TARGET, 'debug/examples/session_echo');
const RELAY_CLIENT = process.env.CAPSTAN_RELAY_CLIENT || path.join(TARGET, 'debug/session-relay-client');
const CUTTING_PROXY = path.join(ROOT, 'scripts/proxies/cutting-proxy.mjs');
const COUNT = 10_000;
const SEED = 17;
/** The whole exchange is bounded by this (it takes well under a minute). */
const EXCHANGE_MS = 180_000;
const PAGES = ['page-a', 'page-b'];
const RUST = 'rust';
const EVERYONE = [...PAGES, RUST];

const children = [];
let browser = null;
process.on('exit', () => children.forEach((c) => c.killNow()));
after(async () => {
  if (browser) await browser.close().catch(() => {});
  for (const child of children) await child.stop();
});

/**
 * In the page: opens a CapstanSocket on `url` and keeps, in window.__relay,
 * what arrives from each peer (in order, duplicates, out of order) and the
 * session's events. Resolves once the session is open.
 */
async function openRelay(page, { url, name, peers, count }) {
  await page.evaluate(
    async ({ url, name, peers, count }) => {
      // The script comes through the cutting proxy too: a request cut on
      // the way is tried again (bounded).
      let mod = null;
      for (let i = 0; !mod; i++) {
        try {
          mod = await import(`/capstan.js?try=${i}`);
        } catch (err) {
          if (i >= 5) throw err;
        }
      }
      const r = {
        name,
        sent: 0,
        from: {},
        unexpected: 0,
        resumes: 0,
        reconnecting: 0,
        transports: {},
        closed: null,
        errors: [],
      };
      for (const peer of peers) r.from[peer] = { highest: 0, inOrder: 0, duplicates: 0, outOfOrder: 0 };
      const seen = Object.fromEntries(peers.map((p) => [p, new Uint8Array(count + 1)]));
      // Short backoff: with the default ceiling (10 s) a link cut every
      // second would spend most of its time waiting, by design.
      const socket = new mod.CapstanSocket(url, { minDelay: 50, maxDelay: 1000 });
      socket.addEventListener('resumed', () => r.resumes++);
      socket.addEventListener('reconnecting', () => r.reconnecting++);
      socket.addEventListener('transport', (e) => (r.transports[e.transport] = (r.transports[e.transport] || 0) + 1));
      socket.onmessage = (e) => {
        const at = typeof e.data === 'string' ? e.data.lastIndexOf(':') : -1;
        const peer = at > 0 ? e.data.slice(0, at) : null;
        const n = at > 0 ? Number(e.data.slice(at + 1)) : NaN;
        const from = r.from[peer];
        if (!from || !Number.isInteger(n) || n < 1 || n > count) {
          r.unexpected++;
          return;
        }
        if (seen[peer][n]) from.duplicates++;
        else if (n === from.highest + 1) from.inOrder++;
        else from.outOfOrder++;
        seen[peer][n] = 1;
        from.highest = Math.max(from.highest, n);
      };
      socket.onclose = (e) => (r.closed = { code: e.code, reason: e.reason });
      window.__relay = r;
      window.__socket = socket;
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error('the session did not open'));
      });
      // Sends the numbered messages, paced by what the server has not
      // acknowledged yet (bufferedAmount, in bytes): far below the
      // client's queue bound (10,000 messages), so `send` never throws.
      window.__go = () => {
        (async () => {
          for (let n = 1; n <= count; ) {
            if (socket.bufferedAmount < 16_384) {
              socket.send(`${name}:${n}`);
              r.sent = n++;
              if (n % 256 === 0) await new Promise((ok) => setTimeout(ok, 0)); // let messages in
            } else {
              await new Promise((ok) => setTimeout(ok, 5));
            }
          }
        })().catch((err) => r.errors.push(String(err)));
      };
    },
    { url, name, peers, count },
  );
}

/** The page's counts, and whether it is done (all sent and acknowledged, all received). */
const progress = (page) =>
  page.evaluate(() => ({ ...window.__relay, bufferedAmount: window.__socket.bufferedAmount }));

const doneWith = (r) => r.sent === COUNT && r.bufferedAmount === 0 && Object.values(r.from).every((f) => f.inOrder + f.outOfOrder === COUNT);

test('three session clients relay 10,000 messages each through a proxy that cuts every connection', { timeout: EXCHANGE_MS + 60_000 }, async () => {
  for (const bin of [SESSION_ECHO, RELAY_CLIENT]) {
    assert.ok(fs.existsSync(bin), `no ${bin} (scripts/browser-test.sh builds it)`);
  }
  const server = await startProcess(SESSION_ECHO, ['127.0.0.1:0'], { ready: /listening on http:\/\/(\S+)/, name: 'session_echo' });
  children.push(server);
  const target = server.ready[1];
  const proxy = await startProcess(
    'node',
    [CUTTING_PROXY, '0', target, '--seed', String(SEED), '--min-ms', '300', '--max-ms', '1500'],
    { ready: /^listening on (\d+)$/, name: 'cutting-proxy' },
  );
  children.push(proxy);
  const origin = `http://127.0.0.1:${proxy.ready[1]}`;
  const relayUrl = `ws://127.0.0.1:${proxy.ready[1]}/relay`;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: WAIT });
  const pages = [];
  const pageErrors = [];
  for (const name of PAGES) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (err) => pageErrors.push(`${name}: ${err}`));
    await page.goto(`${origin}/`); // any page of the origin (this one is a 404)
    await openRelay(page, { url: relayUrl, name, peers: EVERYONE.filter((p) => p !== name), count: COUNT });
    pages.push(page);
  }
  const rust = await startProcess(
    RELAY_CLIENT,
    [relayUrl, RUST, String(COUNT), PAGES.join(','), '--go-on-stdin', '--timeout-secs', String(EXCHANGE_MS / 1000)],
    { ready: /^open \S+$/, name: 'session-relay-client' },
  );
  children.push(rust);

  // Every session exists (the relay passes a message to those there are): go.
  rust.proc.stdin.write('go\n');
  for (const page of pages) await page.evaluate(() => window.__go());

  // (Its own --timeout-secs bounds it; this timer is the safety net, cleared.)
  let timer;
  const rustExit = await Promise.race([rust.exited, new Promise((r) => (timer = setTimeout(() => r('timeout'), EXCHANGE_MS + 10_000)))]);
  clearTimeout(timer);
  assert.notEqual(rustExit, 'timeout', `the Rust client did not finish\n${rust.log()}`);
  const line = rust.stdout.find((l) => l.startsWith('{'));
  assert.ok(line, `the Rust client printed its result\n${rust.log()}`);
  const result = JSON.parse(line);
  const finals = await eventually(async () => {
    const seen = await Promise.all(pages.map(progress));
    return { ok: seen.every(doneWith) || seen.some((r) => r.closed || r.errors.length), seen, list: seen };
  }, 'both pages to send, be acknowledged and receive everything', WAIT);

  // The Rust client: all sent and acknowledged, each page's messages once, in order.
  assert.equal(result.complete, true, line);
  assert.equal(result.sent, COUNT);
  assert.equal(result.unacknowledged, 0);
  assert.equal(result.closed, null, 'its session never ended');
  assert.equal(result.unexpected, 0);
  for (const peer of PAGES) {
    assert.deepEqual(result.received[peer], { received: COUNT, in_order: COUNT, duplicates: 0, out_of_order: 0, missing: 0 }, `rust from ${peer}`);
  }
  assert.ok(result.resumes > 0, 'the Rust client resumed');
  assert.equal(rustExit.code, 0, rust.log());

  // Each page: all sent, the other two's messages once each, in order.
  for (const r of finals.list) {
    assert.deepEqual(r.errors, [], `${r.name}: send never threw`);
    assert.equal(r.closed, null, `${r.name}: its session never ended`);
    assert.equal(r.sent, COUNT);
    assert.equal(r.bufferedAmount, 0, `${r.name}: all acknowledged`);
    assert.equal(r.unexpected, 0);
    for (const [peer, from] of Object.entries(r.from)) {
      assert.deepEqual(from, { highest: COUNT, inOrder: COUNT, duplicates: 0, outOfOrder: 0 }, `${r.name} from ${peer}`);
    }
    assert.ok(r.resumes > 0, `${r.name} resumed`);
  }
  assert.deepEqual(pageErrors, []);

  // The proxy did cut: a line per cut on its stderr.
  const cuts = proxy.stderr.filter((l) => /^cut \d+: connection \d+ after \d+ ms/.test(l));
  assert.ok(cuts.length >= 3, `the proxy cut connections:\n${proxy.log()}`);
  const summary = finals.list.map((r) => `${r.name}: ${r.resumes} resumes, transports ${JSON.stringify(r.transports)}`);
  console.log(`# ${cuts.length} cuts; rust: ${result.resumes} resumes in ${result.elapsed_ms} ms; ${summary.join('; ')}`);
});
