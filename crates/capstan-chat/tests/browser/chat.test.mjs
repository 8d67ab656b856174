// The web client of capstan-chat in two headless browsers, against the real
// server: Alice through a TCP proxy the test can cut, Bob directly.
//
//   node --test chat.test.mjs        (scripts/browser-test.sh does the setup)
//
// CAPSTAN_CHAT_BIN overrides the server binary (default target/debug/capstan-chat),
// CHROMIUM_PATH the browser (default /usr/bin/chromium). The screenshot of
// alice's page is taken in a temporary directory, and written to
// docs/screenshot.png only with CHAT_SCREENSHOT=1 (a test run leaves the
// tree as it was).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { badge, exactly, loggedIn, login, readMessages, say, waitBadge, waitMessages } from './ui.mjs';
import {
  ROOT,
  CHROMIUM,
  CHROMIUM_ARGS,
  WAIT,
  ChatServer,
  eventually,
  freePort,
  sessionControls,
  sessionEnvelopes,
  sleep,
  startProxy,
} from './harness.mjs';

const DOC_SCREENSHOT = path.join(ROOT, 'docs', 'screenshot.png');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-chat-browser-'));
let server = null;
let proxy = null;
const contexts = [];

process.on('exit', () => server?.killNow());

/** `promise`, or nothing after `ms` (a timer that keeps nobody waiting). */
function bounded(promise, ms) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(r, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

after(async () => {
  for (const context of contexts) await bounded(context.close().catch(() => {}), 10_000);
  if (proxy) await bounded(proxy.close().catch(() => {}), 5_000);
  if (server) await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers


async function openUser(name, url, viewport) {
  const profile = fs.mkdtempSync(path.join(tmp, `profile-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    timeout: WAIT,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT);
  context.setDefaultNavigationTimeout(WAIT);
  const page = context.pages()[0] ?? (await context.newPage());
  // The text frames of every WebSocket of the page, each way: the client's
  // session (`m` + an envelope, `c` + a control) and any the test opens.
  const user = { name, url, page, context, frames: [], sent: [], pageErrors: [] };
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string') user.frames.push(f.payload);
    });
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') user.sent.push(f.payload);
    });
  });
  page.on('pageerror', (err) => user.pageErrors.push(String(err)));
  await page.goto(url);
  return user;
}

const count = (list, text) => list.filter((m) => m.content === text).length;
const contents = (list) => list.map((m) => m.content);

async function openRoom(user, room) {
  await user.page.click(`[data-testid=room][data-room="${room}"] .room-button, [data-testid=dm][data-room="${room}"] .room-button`);
  await eventually(async () => (await user.page.evaluate(() => window.chat.room())) === room, `${user.name} to open ${room}`);
}

async function joinRoom(user, room) {
  await user.page.fill('[data-testid=join-input]', room);
  await user.page.click('[data-testid=join-button]');
  await eventually(async () => (await user.page.evaluate(() => window.chat.room())) === room, `${user.name} to be in ${room}`);
}

const unreadOf = (user, room) =>
  user.page.evaluate((r) => {
    const li = document.querySelector(`[data-testid=room][data-room="${CSS.escape(r)}"], [data-testid=dm][data-room="${CSS.escape(r)}"]`);
    if (!li) return null;
    return li.querySelector('[data-testid=unread]')?.textContent ?? '0';
  }, room);

// --------------------------------------------------------------------- test

test('the chat web client, two browsers, a cut connection and a restart', { timeout: 115_000 }, async (t) => {
  let broken = null;
  // Steps build on each other: after a failure the rest are skipped.
  const step = (name, fn) =>
    t.test(name, async (st) => {
      if (broken) {
        st.skip(`skipped: "${broken}" failed`);
        return;
      }
      try {
        await fn(st);
      } catch (err) {
        broken = name;
        if (server) err.message += `\n--- server output (tail) ---\n${server.log()}`;
        throw err;
      }
    });

  const serverPort = await freePort();
  server = new ChatServer({ port: serverPort, db: path.join(tmp, 'chat.db') });
  let alice;
  let bob;
  const A1 = 'hello from alice';
  const B1 = 'hi alice, bob here';
  const A2 = 'nice to see you, bob';
  const OFF = ['offline one', 'offline two', 'offline three'];
  const B2 = 'bob: are you there?';
  const B3 = 'bob: I will wait';
  const PAYLOAD = '<img src=x onerror=window.__pwned=1>';
  const general = [A1, B1, A2, B2, B3, ...OFF];

  await step('the server starts and serves the client', async () => {
    await server.start();
    proxy = await startProxy(serverPort);
    alice = await openUser('alice', `http://127.0.0.1:${proxy.port}/`, { width: 1200, height: 750 });
    bob = await openUser('bob', `http://127.0.0.1:${serverPort}/`, { width: 1000, height: 700 });
    for (const u of [alice, bob]) {
      assert.equal(await u.page.title(), 'Capstan chat');
      await u.page.locator('[data-testid=name-input]').waitFor({ state: 'visible' });
    }
  });

  await step('both pick names; a refused name shows the server message', async () => {
    await login(alice, 'alice');
    await loggedIn(alice);
    await login(bob, 'ALICE'); // taken (names are case-insensitive)
    const error = bob.page.locator('[data-testid=login-error]');
    await error.waitFor({ state: 'visible' });
    const refusal = await eventually(
      () =>
        sessionEnvelopes(bob.frames).find((e) => e.type === 'error' && e.data && e.data.type === 'add_user'),
      'an error envelope answering add_user',
    );
    assert.equal(refusal.data.code, 'name_taken');
    assert.equal((await error.textContent()).trim(), refusal.data.message);
    await bob.page.fill('[data-testid=name-input]', 'bob');
    await bob.page.click('[data-testid=login-button]');
    await loggedIn(bob);
    assert.equal(await bob.page.textContent('[data-testid=me]'), 'bob');
    // Each page's session rides a WebSocket (nothing refuses one here).
    for (const u of [alice, bob]) {
      assert.equal(await u.page.evaluate(() => window.chat.transport()), 'websocket');
      assert.equal(await u.page.evaluate(() => document.body.dataset.transport), 'websocket');
    }
    await eventually(
      async () => (await alice.page.locator('[data-testid=member][data-name=bob]').count()) === 1,
      'bob in the presence list of alice',
    );
  });

  await step('they talk in general; every message shows once on both sides', async () => {
    await say(alice, A1);
    await waitMessages(bob, (l) => count(l, A1) === 1, 'A1');
    await say(bob, B1, { enter: true });
    await waitMessages(alice, (l) => count(l, B1) === 1, 'B1');
    await say(alice, A2);
    for (const u of [alice, bob]) await waitMessages(u, exactly([A1, B1, A2]), 'the first three messages once each');
    const shown = await readMessages(alice.page);
    assert.deepEqual(
      shown.map((m) => m.author),
      ['alice', 'bob', 'alice'],
    );
    const times = await alice.page.$$eval('#messages [data-testid=message-time]', (ts) => ts.map((x) => x.textContent));
    assert.equal(times.length, 3);
    for (const time of times) assert.match(time, /\d/);
  });

  await step('typing indicator', async () => {
    await bob.page.fill('[data-testid=message-input]', 'I am typing something');
    await eventually(
      async () => (await alice.page.textContent('[data-testid=typing]')) === 'bob is typing…',
      'alice to see "bob is typing…"',
    );
    await bob.page.fill('[data-testid=message-input]', '');
    await eventually(async () => (await alice.page.textContent('[data-testid=typing]')) === '', 'the indicator to go');
  });

  // Where alice's and bob's frames stood when the cut began.
  let cutAt = null;

  await step("alice's connection is cut: her messages wait, pending", async () => {
    cutAt = {
      sent: alice.sent.length,
      received: alice.frames.length,
      bob: bob.frames.length,
      session: await alice.page.evaluate(() => window.chat.session()),
    };
    proxy.cut();
    await waitBadge(alice, ['reconnecting', 'offline'], 'reconnecting or offline');
    for (const text of OFF) await say(alice, text);
    await waitMessages(
      alice,
      (l) => l.filter((m) => m.pending).map((m) => m.content).join('\n') === OFF.join('\n') && contents(l).slice(-3).join('\n') === OFF.join('\n'),
      'her 3 messages pending, at the end',
    );
    const kept = await alice.page.evaluate(() => Object.values(localStorage).join('\n'));
    for (const text of OFF) assert.ok(kept.includes(text), `"${text}" kept in localStorage`);
    await say(bob, B2);
    await say(bob, B3);
    await waitMessages(bob, exactly([A1, B1, A2, B2, B3]), 'his two messages');
    const aliceNow = await readMessages(alice.page);
    assert.equal(count(aliceNow, B2), 0, 'alice is really cut off');
    assert.notEqual(await badge(alice.page), 'online');
  });

  await step('the connection comes back: all delivered once, in order, none pending', async () => {
    proxy.restore();
    await waitBadge(alice, 'online');
    for (const u of [alice, bob]) await waitMessages(u, exactly(general), 'all 8 messages, once each, in order');
    await sleep(500); // anything late (a duplicate) would show now
    for (const u of [alice, bob]) {
      const list = await readMessages(u.page);
      assert.deepEqual(contents(list), general, `${u.name} sees each message once, in order`);
      assert.equal(list.filter((m) => m.pending).length, 0);
    }
    assert.deepEqual(await readMessages(alice.page), await readMessages(bob.page));
  });

  await step('the cut was a resume of the same session: the server never saw alice leave', async () => {
    const [first] = sessionControls(alice.frames, 'welcome');
    assert.ok(first && first.resumed === false, 'the session began with a welcome');
    assert.equal(cutAt.session.id, first.sid, 'the page knew its session');
    // The same session, resumed, with no add_user again: on whichever
    // transport the page came back (a WebSocket, unless the proxy came
    // back between its WebSocket and SSE attempts of one round).
    const now = await alice.page.evaluate(() => window.chat.session());
    assert.equal(now.id, first.sid, 'the session she began with');
    assert.ok(now.resumes > cutAt.session.resumes, 'alice resumed');
    assert.equal(now.addUsers, cutAt.session.addUsers, 'no add_user again: the chat kept her connection');
    const transport = await alice.page.evaluate(() => window.chat.transport());
    if (transport === 'websocket') {
      const resumes = sessionControls(alice.sent, 'resume', cutAt.sent);
      assert.ok(resumes.length >= 1 && resumes.every((r) => r.sid === first.sid), 'her resume on the WebSocket');
      const welcomes = sessionControls(alice.frames, 'welcome', cutAt.received);
      assert.ok(welcomes.some((w) => w.resumed === true && w.sid === first.sid), 'the server took her back into it');
      assert.deepEqual(sessionControls(alice.sent, 'hello', cutAt.sent), [], 'no new session');
    } else {
      assert.ok(['sse', 'stream'].includes(transport), `a known transport: ${transport}`);
    }
    const left = sessionEnvelopes(bob.frames, cutAt.bob).filter(
      (e) => e.type === 'presence' && (e.data.changes || []).some((c) => c.user === 'alice' && c.event === 'leave'),
    );
    assert.deepEqual(left, [], 'bob was never told alice left');
  });

  await step('user text is never HTML', async () => {
    await say(bob, PAYLOAD);
    general.push(PAYLOAD);
    for (const u of [alice, bob]) {
      await waitMessages(u, exactly(general), 'the payload as text');
      assert.equal(await u.page.locator('#messages img').count(), 0);
      assert.equal(await u.page.evaluate(() => typeof window.__pwned), 'undefined');
    }
  });

  await step('rooms: validation, join, unread counts, direct messages, leave', async () => {
    await alice.page.fill('[data-testid=join-input]', 'Bad Room!');
    await alice.page.click('[data-testid=join-button]');
    await alice.page.locator('[data-testid=join-error]').waitFor({ state: 'visible' });
    await joinRoom(alice, 'random');
    assert.equal(await alice.page.textContent('[data-testid=room-title]'), '#random');
    await say(alice, 'R1 in random');
    await joinRoom(bob, 'random');
    await waitMessages(bob, exactly(['R1 in random']), 'the history of random');
    await openRoom(bob, 'general');
    await say(alice, 'R2 in random');
    await eventually(async () => (await unreadOf(bob, 'random')) === '1', 'an unread count of 1 on random');
    await openRoom(bob, 'random');
    await waitMessages(bob, exactly(['R1 in random', 'R2 in random']), 'both messages of random');
    assert.equal(await unreadOf(bob, 'random'), '0');

    // A direct conversation: alice clicks bob in the presence list.
    await alice.page.click('[data-testid=member][data-name=bob] button');
    await eventually(async () => (await alice.page.evaluate(() => window.chat.room())) === '@alice|bob', 'the room @alice|bob');
    assert.equal(await alice.page.textContent('[data-testid=room-title]'), '@bob');
    await say(alice, 'psst, bob');
    await eventually(async () => (await unreadOf(bob, '@alice|bob')) === '1', 'the conversation listed for bob, 1 unread');
    await openRoom(bob, '@alice|bob');
    await waitMessages(bob, exactly(['psst, bob']), 'the direct message');
    await say(bob, 'yes?');
    await waitMessages(alice, exactly(['psst, bob', 'yes?']), 'the answer');

    // Bob leaves random: it goes from his sidebar and from alice's presence list.
    await openRoom(alice, 'random');
    await bob.page.click('[data-testid=room][data-room=random] [data-testid=leave-room]');
    await eventually(async () => (await bob.page.locator('[data-testid=room][data-room=random]').count()) === 0, 'random gone from bob');
    await eventually(
      async () => (await alice.page.locator('[data-testid=member][data-name=bob]').count()) === 0,
      'bob gone from the people in random',
    );
    await openRoom(alice, 'general');
    await openRoom(bob, 'general');
  });

  await step('presence: the list follows joins, renames and leaves; a name is text, never HTML', async () => {
    const NAME = '<b>carol</b>';
    // A third user, from a plain WebSocket in bob's page.
    await bob.page.evaluate(
      async ({ url, name }) => {
        const ws = new WebSocket(url);
        window.__carol = ws;
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Error('cannot connect'));
        });
        ws.send(JSON.stringify({ type: 'add_user', data: { username: name } }));
      },
      { url: `ws://127.0.0.1:${serverPort}/ws`, name: NAME },
    );
    const members = () => alice.page.evaluate(() => window.chat.members('general'));
    await eventually(async () => (await members()).includes(NAME), 'carol in the list alice keeps');
    const item = alice.page.locator('[data-testid=member]').filter({ hasText: NAME });
    await item.waitFor();
    assert.equal(await item.getAttribute('data-name'), NAME);
    assert.equal(await alice.page.locator('[data-testid=presence-list] b').count(), 0, 'the name was not made HTML');
    assert.match(await alice.page.textContent('#people-heading'), /\(3\)/);

    await bob.page.evaluate(() => window.__carol.send(JSON.stringify({ type: 'rename_user', data: { username: 'carol2' } })));
    await eventually(async () => {
      const list = await members();
      return { ok: list.includes('carol2') && !list.includes(NAME), seen: list };
    }, 'the rename in the list');
    await bob.page.evaluate(() => window.__carol.close());
    await eventually(async () => {
      const list = await members();
      return { ok: !list.includes('carol2'), seen: list };
    }, 'carol gone from the list');
    assert.equal(await alice.page.locator('[data-testid=member][data-name=carol2]').count(), 0);
    assert.deepEqual(await members(), ['alice', 'bob']);
  });

  await step('blocking: a blocked user disappears from the page, and the server sends nothing of his', async () => {
    await joinRoom(alice, 'quiet');
    await joinRoom(bob, 'quiet');
    await say(bob, 'before the block');
    await waitMessages(alice, exactly(['before the block']), 'bob in quiet');
    const person = alice.page.locator('[data-testid=member][data-name=bob]');
    await person.hover();
    await person.locator('[data-testid=block]').click();
    await eventually(async () => (await alice.page.evaluate(() => window.chat.blocked())).includes('bob'), 'bob blocked');
    await waitMessages(alice, exactly([]), 'what bob said hidden');
    const HIDDEN = 'only bob can see this';
    await say(bob, HIDDEN);
    await waitMessages(bob, exactly(['before the block', HIDDEN]), 'his own message');
    // Later news from someone else arrives; what bob said in between never does.
    await bob.page.evaluate(
      async ({ url }) => {
        const ws = new WebSocket(url);
        await new Promise((resolve) => (ws.onopen = resolve));
        const seen = new Promise((resolve) => {
          ws.onmessage = (e) => JSON.parse(e.data).type === 'ack' && resolve();
        });
        ws.send(JSON.stringify({ type: 'add_user', data: { username: 'dave' } }));
        ws.send(JSON.stringify({ type: 'join', data: { room: 'quiet' } }));
        ws.send(JSON.stringify({ type: 'message', data: { room: 'quiet', content: 'dave was here', client_id: 'd1' } }));
        await seen;
        ws.close();
      },
      { url: `ws://127.0.0.1:${serverPort}/ws` },
    );
    await waitMessages(alice, exactly(['dave was here']), "dave's message");
    assert.ok(!alice.frames.some((f) => f.includes(HIDDEN)), 'the server sent alice a message of a user she blocks');

    await person.hover();
    await person.locator('[data-testid=unblock]').click();
    await eventually(async () => !(await alice.page.evaluate(() => window.chat.blocked())).includes('bob'), 'bob unblocked');
    await waitMessages(alice, exactly(['before the block', 'dave was here']), 'bob shown again');
    await say(bob, 'after the block');
    await waitMessages(alice, exactly(['before the block', 'dave was here', 'after the block']), 'his new message');
    await openRoom(alice, 'general');
    await openRoom(bob, 'general');
  });

  await step('scroll-back fetches older history and keeps the place', async () => {
    // A third user, from a plain WebSocket in bob's page, writes 60 messages.
    const stored = await bob.page.evaluate(
      async ({ url, n }) => {
        const ws = new WebSocket(url);
        let waiting = null; // { pred, resolve }
        ws.onmessage = (e) => {
          const env = JSON.parse(e.data);
          if (waiting && waiting.pred(env)) {
            const { resolve } = waiting;
            waiting = null;
            resolve(env);
          }
        };
        // Sends, then waits (bounded) for the first envelope that `pred` accepts.
        const ask = (request, pred) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(request)}`)), 5000);
            waiting = {
              pred,
              resolve: (env) => {
                clearTimeout(timer);
                resolve(env);
              },
            };
            ws.send(JSON.stringify(request));
          });
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Error('cannot connect'));
        });
        await ask({ type: 'add_user', data: { username: 'seeder' } }, (e) => e.type === 'add_user');
        await ask({ type: 'join', data: { room: 'history' } }, (e) => e.type === 'joined');
        let ok = 0;
        const until = Date.now() + 40000;
        for (let i = 1; i <= n && Date.now() < until; ) {
          const client_id = `seed-${i}`;
          const answer = await ask(
            { type: 'message', data: { room: 'history', content: `old message ${i}`, client_id } },
            (e) => (e.type === 'ack' || e.type === 'error') && e.data.client_id === client_id,
          );
          if (answer.type === 'ack') {
            ok++;
            i++;
          } else if (answer.data.code === 'rate_limited') {
            await new Promise((r) => setTimeout(r, 1100)); // wait, send it again
          } else {
            throw new Error(`refused: ${JSON.stringify(answer.data)}`);
          }
        }
        ws.close();
        return ok;
      },
      { url: `ws://127.0.0.1:${serverPort}/ws`, n: 60 },
    );
    assert.equal(stored, 60);
    const all = Array.from({ length: 60 }, (_, i) => `old message ${i + 1}`);
    await joinRoom(alice, 'history');
    const first = await waitMessages(alice, (l) => l.length >= 50 && contents(l).at(-1) === all[59], 'the latest messages of history');
    assert.ok(first.list[0].id > 1, 'only the latest ones come first');
    const topId = first.list[0].id;
    // To the top: the older ones are fetched and put above, the view stays put.
    await alice.page.evaluate(() => {
      document.getElementById('messages').scrollTop = 0;
    });
    await waitMessages(alice, exactly(all), 'all 60, once each, in order');
    const place = await alice.page.evaluate((id) => {
      const list = document.getElementById('messages');
      const li = list.querySelector(`[data-testid=message][data-id="${id}"]`);
      return { top: list.scrollTop, offset: li.offsetTop - list.scrollTop };
    }, topId);
    assert.ok(place.top > 0, `the view did not jump to the very top (${JSON.stringify(place)})`);
    assert.ok(Math.abs(place.offset) < 120, `the message that was on top is still in view (${JSON.stringify(place)})`);
    await openRoom(alice, 'general');
  });

  await step('phone width: input and send button visible, sidebar behind a button', async () => {
    const page = bob.page;
    await page.setViewportSize({ width: 375, height: 700 });
    for (const id of ['message-input', 'send-button', 'menu-button']) {
      const el = page.locator(`[data-testid=${id}]`);
      assert.ok(await el.isVisible(), `${id} visible`);
      const box = await el.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375 && box.y + box.height <= 700, `${id} inside the screen: ${JSON.stringify(box)}`);
    }
    assert.equal(await page.locator('[data-testid=sidebar]').isVisible(), false);
    await page.click('[data-testid=menu-button]');
    await page.locator('[data-testid=sidebar]').waitFor({ state: 'visible' });
    await page.click('[data-testid=room][data-room=general] .room-button');
    await page.locator('[data-testid=sidebar]').waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1000, height: 700 });
  });

  await step('the server restarts: each page starts a new session, catches up, and after a reload the history is still there', async () => {
    const before = new Map([alice, bob].map((u) => [u, { sent: u.sent.length, received: u.frames.length }]));
    const lastSeen = await alice.page.evaluate(() => window.chat.lastSeen('general'));
    await server.stop();
    await waitBadge(alice, ['reconnecting', 'offline'], 'reconnecting or offline');
    await waitBadge(bob, ['reconnecting', 'offline'], 'reconnecting or offline');
    await server.start();
    // Without a reload: the restarted server knows no session (4404
    // unknown_session), the page starts a new one and asks for what it
    // missed from its last id.
    for (const u of [alice, bob]) {
      await loggedIn(u);
      await waitMessages(u, exactly(general), 'the history of general after the restart');
      const from = before.get(u);
      // Refused as unknown (4404), on whichever transport the resume went
      // (the WebSocket's error control, or the fallback's 404 when the
      // server came back between the page's WebSocket and SSE attempts).
      const { lastEnd } = await u.page.evaluate(() => window.chat.session());
      assert.equal(lastEnd, 4404, `${u.name}'s resume was refused as an unknown session`);
      assert.ok(sessionControls(u.sent, 'hello', from.sent).length >= 1, `${u.name} began a new session`);
      const names = sessionEnvelopes(u.sent, from.sent).filter((e) => e.type === 'add_user');
      assert.ok(names.length >= 1, `${u.name} sent add_user again`);
      assert.equal(names.at(-1).data.rooms.general, lastSeen, `${u.name} asked for general after the last id seen`);
    }
    for (const u of [alice, bob]) {
      await u.page.reload();
      await loggedIn(u);
      await waitMessages(u, exactly(general), 'the history of general after a reload');
    }
    assert.equal(await alice.page.locator('[data-testid=room][data-room=random]').count(), 1, 'random still listed for alice');
    await openRoom(alice, '@alice|bob');
    await waitMessages(alice, exactly(['psst, bob', 'yes?']), 'the direct conversation after the restart');
    await openRoom(alice, 'general');
  });

  await step('a screenshot of alice at 1200x750 (→ docs/screenshot.png with CHAT_SCREENSHOT=1)', async () => {
    await say(bob, 'Back after the restart, all there');
    general.push('Back after the restart, all there');
    await waitMessages(alice, exactly(general), 'the last message');
    await bob.page.fill('[data-testid=message-input]', 'typing…');
    await eventually(async () => (await alice.page.textContent('[data-testid=typing]')) === 'bob is typing…', 'the typing line');
    await alice.page.setViewportSize({ width: 1200, height: 750 });
    const shot = process.env.CHAT_SCREENSHOT === '1' ? DOC_SCREENSHOT : path.join(tmp, 'screenshot.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await alice.page.screenshot({ path: shot });
    assert.ok(fs.statSync(shot).size > 10_000);
    await bob.page.fill('[data-testid=message-input]', '');
  });

  await step('no script errors in either page', async () => {
    assert.deepEqual(alice.pageErrors, []);
    assert.deepEqual(bob.pageErrors, []);
  });
});
