// The game's web client in headless Chromium, against the real server:
// browsers play a public game to a win while a third watches and one
// reloads mid-game, then a private game by invite link, the bot, a
// phone-width page, names that try to be HTML, and the replay view.
//
//   cd crates/capstan-game/tests/browser && node --test game.test.mjs
//
// CAPSTAN_GAME_BIN overrides the server binary (default the debug build
// under CARGO_TARGET_DIR or target/), CHROMIUM_PATH the browser. With
// GAME_SCREENSHOT=1 the first game's page is saved mid-game to
// docs/img/game.png (otherwise a test run leaves the tree as it was).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startGame, CHROMIUM, CHROMIUM_ARGS, WAIT, eventually } from './harness.mjs';
import { startProxy } from '../../../capstan-chat/tests/browser/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SCREENSHOT = path.join(ROOT, 'docs', 'img', 'game.png');

const GRACE_SECS = 10;

let server = null;
let browser = null;
let proxy = null;
const pages = []; // every page opened, for the checks at the end

/** `promise`, or nothing after `ms`. */
function bounded(promise, ms) {
  let timer;
  const timeout = new Promise((r) => {
    timer = setTimeout(r, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

before(async () => {
  // A short grace period, for the forfeit of a player who closed the tab.
  server = await startGame({ args: ['--grace-secs', String(GRACE_SECS)] });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: WAIT });
});

after(async () => {
  for (const p of pages) await bounded(p.context.close().catch(() => {}), 10_000);
  if (proxy) await bounded(proxy.close().catch(() => {}), 5_000);
  if (browser) await bounded(browser.close().catch(() => {}), 10_000);
  // Throws unless the server exits 0 on SIGTERM.
  if (server) await server.stop();
});

// --------------------------------------------------------------- helpers

/**
 * A page in a browser context of its own (its own localStorage, so its own
 * rating key), on `path` of the server, once connected. `frames` keeps the
 * session's data messages the page received (parsed envelopes).
 */
async function openPage(label, { viewport = { width: 1100, height: 800 }, at = '', mobile = false, base = null, context = null } = {}) {
  if (!context) {
    context = await browser.newContext({
      viewport,
      isMobile: mobile,
      hasTouch: mobile,
      deviceScaleFactor: 1,
    });
    context.setDefaultTimeout(WAIT);
    context.setDefaultNavigationTimeout(WAIT);
  }
  const page = await context.newPage();
  if (label.startsWith('tab-copy')) {
    // As "Duplicate tab" does: the new tab starts with a copy of the
    // first one's sessionStorage (its seat), once.
    await page.addInitScript((seat) => {
      if (!sessionStorage.getItem('copied')) {
        sessionStorage.setItem('tikztakz.seat', seat);
        sessionStorage.setItem('copied', '1');
      }
    }, label.slice('tab-copy:'.length));
  }
  const p = { label, context, page, errors: [], csp: [], envelopes: [] };
  page.on('pageerror', (err) => p.errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text())) p.csp.push(msg.text());
  });
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => {
      // Session mode: `m` + the game's JSON envelope, `c` + a control.
      if (typeof f.payload === 'string' && f.payload.startsWith('m')) {
        try {
          p.envelopes.push(JSON.parse(f.payload.slice(1)));
        } catch {
          // not an envelope
        }
      }
    });
  });
  pages.push(p);
  await page.goto((base || server.url) + at);
  await connected(p);
  return p;
}

async function connected(p) {
  await p.page.waitForSelector('#conn[data-state="connected"]');
}

/** What the game view of `p` shows. */
function gameView(p) {
  return p.page.evaluate(() => {
    const game = document.getElementById('game');
    const result = document.getElementById('result');
    const cells = (selector) =>
      [...document.querySelectorAll(`#board .cell${selector}`)].map((c) => `${c.dataset.x},${c.dataset.y}`).sort();
    return {
      view: document.body.dataset.view,
      gameId: game.dataset.gameId,
      state: game.dataset.state,
      role: game.dataset.role,
      symbol: game.dataset.symbol,
      turn: document.getElementById('turn').textContent,
      myTurn: document.getElementById('board').dataset.turn === 'mine',
      nameX: document.getElementById('name-x').textContent,
      nameO: document.getElementById('name-o').textContent,
      stones: [...document.querySelectorAll('#board .cell[data-symbol]')]
        .map((c) => `${c.dataset.symbol}${c.dataset.x},${c.dataset.y}`)
        .sort(),
      last: cells('.last'),
      win: cells('.win'),
      result: result.hidden ? null : result.textContent,
      outcome: result.hidden ? null : result.dataset.outcome,
      running: [...document.querySelectorAll('.clock.running')].map((c) => c.id),
    };
  });
}

/** Waits until `check(view)` holds on `p`'s game view. */
function waitView(p, check, what, timeout = WAIT) {
  return eventually(
    async () => {
      const view = await gameView(p);
      return { ok: !!check(view), seen: view, view };
    },
    `${p.label}: ${what}`,
    timeout,
  ).then((r) => r.view);
}

const cell = (x, y) => `#board .cell[data-x="${x}"][data-y="${y}"]`;

/** `p` puts its stone at (x, y) by clicking, once it is its turn; waits until it shows. */
async function play(p, x, y) {
  await p.page.waitForSelector('#board[data-turn="mine"]');
  const { symbol } = await gameView(p);
  await p.page.click(cell(x, y));
  await p.page.waitForSelector(`${cell(x, y)}[data-symbol="${symbol}"]`);
}

/** Waits until `p` shows `symbol` at (x, y). */
function sees(p, x, y, symbol) {
  return p.page.waitForSelector(`${cell(x, y)}[data-symbol="${symbol}"]`);
}

async function enterName(p, name) {
  await p.page.fill('#name', name);
}

const sorted = (cells) => cells.map(([x, y]) => `${x},${y}`).sort();

// The first game: X builds a diagonal five, O answers alongside.
const X_MOVES = [[6, 6], [7, 7], [8, 8], [9, 9], [10, 10]];
const O_MOVES = [[7, 6], [8, 7], [9, 8], [10, 9]];

const shared = { alice: null, bob: null, carol: null, gameId: null, failed: null };

/** A test that needs the public game of the first ones. */
function needsGame(t) {
  if (shared.failed) t.skip(`needs the first game, which failed: ${shared.failed}`);
  return !shared.failed;
}

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    shared.failed ||= name;
    err.message += `\n--- server ---\n${server.log()}`;
    throw err;
  }
}

// ----------------------------------------------------------------- tests

test('1. two browsers join a public game; it starts on both', { timeout: 60_000 }, async () => {
  await step('start', async () => {
    const alice = (shared.alice = await openPage('alice', { viewport: { width: 1000, height: 800 } }));
    const bob = (shared.bob = await openPage('bob'));
    assert.equal(await alice.page.title(), 'TikzTakz');
    await enterName(alice, 'Alice');
    await alice.page.click('#play-public');
    const waiting = await waitView(alice, (v) => v.view === 'game' && v.state === 'waiting', 'waiting for an opponent');
    assert.equal(waiting.symbol, 'X');
    assert.match(waiting.turn, /Waiting for an opponent/);
    await enterName(bob, 'Bob');
    await bob.page.click('#play-public');
    const a = await waitView(alice, (v) => v.state === 'playing', 'the game to start');
    const b = await waitView(bob, (v) => v.state === 'playing', 'the game to start');
    assert.equal(a.gameId, b.gameId);
    assert.match(a.gameId, /^[0-9a-f]{32}$/);
    shared.gameId = a.gameId;
    assert.deepEqual([a.symbol, b.symbol], ['X', 'O']);
    for (const v of [a, b]) assert.deepEqual([v.nameX, v.nameO], ['Alice', 'Bob']);
    assert.equal(a.turn, 'Your turn (X)');
    assert.equal(b.turn, "Alice's turn (X)");
    assert.ok(a.myTurn && !b.myTurn);
    assert.deepEqual(a.running, ['clock-x']);
    // The name the server took is kept for next time.
    assert.equal(await bob.page.evaluate(() => JSON.parse(localStorage.getItem('tikztakz.name'))), 'Bob');
    const key = await alice.page.evaluate(() => JSON.parse(localStorage.getItem('tikztakz.player_key')));
    assert.match(key, /^[A-Za-z0-9]{32}$/);
  });

  await step('first moves', async () => {
    const { alice, bob } = shared;
    // A click out of turn does nothing (the board says it is disabled:
    // force the click through).
    await bob.page.click(cell(0, 0), { force: true });
    for (let i = 0; i < 2; i++) {
      await play(alice, ...X_MOVES[i]);
      await sees(bob, ...X_MOVES[i], 'X');
      await play(bob, ...O_MOVES[i]);
      await sees(alice, ...O_MOVES[i], 'O');
    }
    const v = await gameView(alice);
    assert.equal(v.stones.length, 4);
    assert.ok(!v.stones.some((s) => s.endsWith('0,0')), 'the click out of turn put no stone');
    assert.deepEqual(v.last, ['8,7']);
  });
});

test('2. a third browser watches the game from the lobby and sees moves live', { timeout: 60_000 }, async (t) => {
  if (!needsGame(t)) return;
  await step('watch', async () => {
    const { alice, bob } = shared;
    const carol = (shared.carol = await openPage('carol'));
    const watch = `#open-games .open-game[data-game-id="${shared.gameId}"][data-state="playing"] button.watch`;
    await carol.page.waitForSelector(watch);
    const listed = await carol.page.textContent(`#open-games .open-game[data-game-id="${shared.gameId}"]`);
    assert.match(listed, /Alice vs Bob/);
    await carol.page.click(watch);
    const v = await waitView(carol, (v) => v.view === 'game' && v.role === 'spectator' && v.stones.length === 4, 'the game so far');
    assert.equal(v.gameId, shared.gameId);
    assert.deepEqual([v.nameX, v.nameO], ['Alice', 'Bob']);
    assert.equal(v.turn, "Alice's turn (X)");
    assert.ok(!v.myTurn);
    // A spectator's click puts nothing.
    await carol.page.click(cell(0, 19), { force: true });
    await play(alice, ...X_MOVES[2]);
    await sees(carol, ...X_MOVES[2], 'X');
    await sees(bob, ...X_MOVES[2], 'X');
    const after = await gameView(carol);
    assert.equal(after.stones.length, 5);
    assert.deepEqual(after.last, ['8,8']);
    assert.equal(after.turn, "Bob's turn (O)");
  });
});

test('3. a player reloads mid-game, takes the seat back, and the game goes on', { timeout: 60_000 }, async (t) => {
  if (!needsGame(t)) return;
  await step('reload', async () => {
    const { alice, bob, carol } = shared;
    await bob.page.reload();
    await connected(bob);
    const v = await waitView(bob, (v) => v.view === 'game' && v.state === 'playing' && v.stones.length === 5, 'the game back after the reload');
    assert.equal(v.gameId, shared.gameId);
    assert.equal(v.symbol, 'O');
    assert.equal(v.role, 'player');
    assert.deepEqual(v.stones, ['O7,6', 'O8,7', 'X6,6', 'X7,7', 'X8,8']);
    assert.deepEqual(v.last, ['8,8']);
    assert.equal(v.turn, 'Your turn (O)');
    assert.deepEqual([v.nameX, v.nameO], ['Alice', 'Bob']);
    // The clocks came back too: O's runs.
    assert.deepEqual(v.running, ['clock-o']);
    assert.match(await bob.page.textContent('#clock-x'), /^\d+:\d\d$/);
    // Moves by both after the reload reach both (and the spectator).
    await play(bob, ...O_MOVES[2]);
    await sees(alice, ...O_MOVES[2], 'O');
    await sees(carol, ...O_MOVES[2], 'O');
    // Alice was told Bob was away (his page ended its session), then back.
    const bobId = (await alice.page.getAttribute('#player-o', 'data-player-id')) || '';
    await eventually(
      () => alice.envelopes.some((e) => e.type === 'opponent_away' && e.data.player_id === bobId),
      'opponent_away for Bob',
    );
    await eventually(
      () => alice.envelopes.some((e) => e.type === 'opponent_back' && e.data.player_id === bobId),
      'opponent_back for Bob',
    );
    await alice.page.waitForSelector('#player-o:not(.away)');
    assert.match(await alice.page.textContent('#log'), /Player "Bob" lost the connection\..*Player "Bob" is back\./s);
    if (process.env.GAME_SCREENSHOT === '1') {
      await alice.page.waitForSelector('#board[data-turn="mine"]');
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await alice.page.screenshot({ path: SCREENSHOT, type: 'png' });
    }
    await play(alice, ...X_MOVES[3]);
    await sees(bob, ...X_MOVES[3], 'X');
    await play(bob, ...O_MOVES[3]);
    await sees(alice, ...O_MOVES[3], 'O');
  });
});

test('1. (end) X makes five: result, winning line and last move on both, and for the spectator', { timeout: 60_000 }, async (t) => {
  if (!needsGame(t)) return;
  await step('five', async () => {
    const { alice, bob, carol } = shared;
    await play(alice, ...X_MOVES[4]);
    const line = sorted(X_MOVES);
    const a = await waitView(alice, (v) => v.state === 'ended' && v.result, 'the result');
    const b = await waitView(bob, (v) => v.state === 'ended' && v.result, 'the result');
    const c = await waitView(carol, (v) => v.state === 'ended' && v.result, 'the result');
    assert.equal(a.outcome, 'win');
    assert.match(a.result, /^You win with five in a row!/);
    assert.equal(b.outcome, 'lose');
    assert.match(b.result, /^You lose: Alice made five in a row\./);
    assert.equal(c.result, 'Alice (X) wins with five in a row.');
    for (const v of [a, b, c]) {
      assert.deepEqual(v.win, line, 'the winning line is highlighted');
      assert.deepEqual(v.last, ['10,10'], 'the last move is highlighted');
      assert.equal(v.stones.length, 9);
      assert.deepEqual(v.running, [], 'no clock runs after the end');
      assert.equal(v.turn, 'Game over');
    }
    // Both had rating keys: the game was rated.
    assert.match(a.result, /Your rating: \d+ \(\+\d+\)/);
    assert.match(b.result, /Your rating: \d+ \(−\d+\)/);
    // The winner's end message came from the server as sent.
    const end = alice.envelopes.find((e) => e.type === 'end_of_game_resp');
    assert.equal(end.data.reason, 'five');
    assert.deepEqual(sorted(end.data.line.map((c) => [c.x, c.y])), line);
    assert.equal(await alice.page.isVisible('#rematch'), true);
    assert.equal(await alice.page.isVisible('#resign'), false);
  });
});

test('8. the replay view shows the game move by move', { timeout: 60_000 }, async (t) => {
  if (!needsGame(t)) return;
  const { alice } = shared;
  const page = alice.page;
  await page.click('#leave');
  await page.waitForSelector('body[data-view="lobby"]');
  // The game is among the recent ones, and both players on the leaderboard.
  const replay = `#recent-games .recent-game[data-game-id="${shared.gameId}"] button.replay`;
  await page.waitForSelector(replay);
  assert.match(await page.textContent(`#recent-games .recent-game[data-game-id="${shared.gameId}"]`), /Alice vs Bob.*Alice won \(five in a row\).*9 moves/);
  await page.waitForSelector('#leaderboard .leader[data-name="Alice"]');
  await page.waitForSelector('#leaderboard .leader[data-name="Bob"]');
  await page.click(replay);
  await page.waitForSelector(`#replay[data-game-id="${shared.gameId}"][data-step="9"][data-total="9"]`);
  const stones = () => page.$$eval('#replay-board .cell[data-symbol]', (cs) => cs.length);
  assert.equal(await stones(), 9);
  assert.equal(await page.$$eval('#replay-board .cell.win', (cs) => cs.length), 5);
  assert.equal(await page.textContent('#replay-step'), 'Move 9 of 9');
  assert.equal(await page.textContent('#replay-title'), 'Alice (X) vs Bob (O)');
  assert.ok(page.url().includes(`?replay=${shared.gameId}`));
  await page.click('#replay-prev');
  await page.waitForSelector('#replay[data-step="8"]');
  assert.equal(await stones(), 8);
  assert.equal(await page.$$eval('#replay-board .cell.win', (cs) => cs.length), 0);
  await page.click('#replay-first');
  await page.waitForSelector('#replay[data-step="0"]');
  assert.equal(await stones(), 0);
  await page.click('#replay-next');
  await page.waitForSelector('#replay[data-step="1"]');
  assert.deepEqual(await page.$$eval('#replay-board .cell[data-symbol]', (cs) => cs.map((c) => `${c.dataset.symbol}${c.dataset.x},${c.dataset.y}`)), ['X6,6']);
  await page.click('#replay-last');
  await page.waitForSelector('#replay[data-step="9"]');
  // The replay link opens on its own too.
  await page.goto(`${server.url}?replay=${shared.gameId}`);
  await page.waitForSelector(`#replay[data-game-id="${shared.gameId}"][data-step="9"]`);
  assert.equal(await stones(), 9);
  await page.click('#replay-back');
  await page.waitForSelector('body[data-view="lobby"]');
  assert.equal(new URL(page.url()).search, '');
  // An unknown game says so.
  await page.goto(`${server.url}?replay=${'0'.repeat(32)}`);
  await page.waitForSelector('#replay[data-total="0"]');
  await eventually(async () => (await page.textContent('#replay-result')) === 'No such game.', 'the unknown game');
});

test('4. a private game by invite link starts on both; resign and rematch', { timeout: 60_000 }, async (t) => {
  if (!needsGame(t)) return;
  const { alice, bob } = shared;
  await alice.page.goto(server.url);
  await connected(alice);
  await alice.page.waitForSelector('body[data-view="lobby"]');
  assert.equal(await alice.page.inputValue('#name'), 'Alice');
  await alice.page.click('#create-private');
  await waitView(alice, (v) => v.view === 'game' && v.state === 'waiting', 'the private game');
  await alice.page.waitForSelector('#invite:not([hidden])');
  const link = await alice.page.inputValue('#invite-link');
  const { gameId } = await gameView(alice);
  assert.equal(link, `${server.url}?game_id=${gameId}`);
  // A reload while waiting keeps the game (and the invite) alive.
  await alice.page.reload();
  await connected(alice);
  await waitView(alice, (v) => v.view === 'game' && v.state === 'waiting' && v.gameId === gameId, 'the same private game after a reload');
  assert.equal(await alice.page.inputValue('#invite-link'), link);
  // The private game is not in the public list.
  const lobby = await (await fetch(`${server.url}api/lobby`)).json();
  assert.ok(!lobby.some((g) => g.game_id === gameId));

  // Bob's tab still sat at the game he lost: the invite link takes over.
  await bob.page.goto(link);
  await connected(bob);
  await bob.page.waitForSelector('body[data-view="lobby"] #invited:not([hidden])');
  assert.equal(await bob.page.inputValue('#join-id'), gameId);
  assert.equal(await bob.page.inputValue('#name'), 'Bob');
  await bob.page.click('#join-private');
  const a = await waitView(alice, (v) => v.state === 'playing', 'the private game to start');
  const b = await waitView(bob, (v) => v.state === 'playing' && v.gameId === gameId, 'the private game to start');
  assert.deepEqual([a.symbol, b.symbol], ['X', 'O']);
  for (const v of [a, b]) assert.deepEqual([v.nameX, v.nameO], ['Alice', 'Bob']);
  await alice.page.waitForSelector('#invite', { state: 'hidden' });
  assert.equal(new URL(bob.page.url()).search, '', 'the invite left the address bar');
  await play(alice, 0, 0);
  await sees(bob, 0, 0, 'X');

  // Resigning takes two clicks; then a rematch with colours swapped.
  await bob.page.click('#resign');
  await bob.page.click('#resign');
  const lost = await waitView(bob, (v) => v.state === 'ended', 'the resignation');
  assert.match(lost.result, /^You resigned\./);
  assert.equal(lost.outcome, 'lose');
  const won = await waitView(alice, (v) => v.state === 'ended', 'the resignation');
  assert.match(won.result, /^You win: Bob resigned\./);
  await alice.page.click('#rematch');
  await bob.page.waitForSelector('#rematch-offer:not([hidden])');
  assert.equal(await bob.page.textContent('#rematch-offer'), 'Alice wants a rematch (colours swapped).');
  assert.equal(await bob.page.textContent('#rematch'), 'Accept rematch');
  await bob.page.click('#rematch');
  const a2 = await waitView(alice, (v) => v.state === 'playing' && v.gameId !== gameId, 'the rematch');
  const b2 = await waitView(bob, (v) => v.state === 'playing' && v.gameId === a2.gameId, 'the rematch');
  assert.deepEqual([a2.symbol, b2.symbol], ['O', 'X']);
  for (const v of [a2, b2]) {
    assert.deepEqual([v.nameX, v.nameO], ['Bob', 'Alice']);
    assert.equal(v.stones.length, 0);
  }
  await play(bob, 5, 5);
  await sees(alice, 5, 5, 'X');
});

test('5. against the bot: a click is answered with a stone', { timeout: 60_000 }, async () => {
  const page = shared.carol || (await openPage('carol'));
  if (await page.page.isVisible('#leave')) await page.page.click('#leave');
  await page.page.waitForSelector('body[data-view="lobby"]');
  await enterName(page, 'Carol');
  await page.page.click('#play-bot');
  const v = await waitView(page, (v) => v.view === 'game' && v.state === 'playing' && v.myTurn, 'the bot game');
  assert.equal(v.symbol, 'X');
  assert.deepEqual([v.nameX, v.nameO], ['Carol', 'Capstan bot']);
  assert.match(await page.page.textContent('#meta-o'), /bot/);
  await play(page, 9, 9);
  const answered = await waitView(page, (v) => v.stones.length === 2 && v.myTurn, 'the bot to answer');
  const bot = answered.stones.filter((s) => s.startsWith('O'));
  assert.equal(bot.length, 1);
  assert.deepEqual(answered.last, [bot[0].slice(1)]);
  // And again.
  const free = [[0, 0], [19, 19], [0, 19]].find(([x, y]) => !answered.stones.some((s) => s.slice(1) === `${x},${y}`));
  await play(page, ...free);
  await waitView(page, (v) => v.stones.length === 4 && v.myTurn, 'the bot to answer again');
});

test('6. at phone width (375×740) the whole board fits, no horizontal scrolling', { timeout: 60_000 }, async () => {
  const phone = await openPage('phone', { viewport: { width: 375, height: 740 }, mobile: true });
  const overflow = () => phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await overflow()) <= 375, `lobby scrollWidth ${await overflow()}`);
  await enterName(phone, 'Dee');
  await phone.page.click('#play-bot');
  await waitView(phone, (v) => v.state === 'playing' && v.myTurn, 'the bot game');
  const box = await phone.page.locator('#board').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375, `board from ${box.x} to ${box.x + box.width}`);
  assert.ok(box.width > 300, `the board uses the width (${box.width} px)`);
  assert.ok((await overflow()) <= 375, `game scrollWidth ${await overflow()}`);
  for (const id of ['#clock-x', '#clock-o', '#turn']) {
    const b = await phone.page.locator(id).boundingBox();
    assert.ok(b.x >= 0 && b.x + b.width <= 375, `${id} from ${b.x} to ${b.x + b.width}`);
  }
  // The last column is within reach.
  await play(phone, 0, 19);
  await waitView(phone, (v) => v.stones.length === 2, 'the bot to answer');
  assert.ok((await overflow()) <= 375);
});

test('7. names are never HTML: markup is refused by the server, a legal name shows as text', { timeout: 60_000 }, async () => {
  const p = await openPage('names');
  const hostile = '<img src=x onerror=window.__pwned=1>';
  await enterName(p, hostile);
  await p.page.click('#play-public');
  await p.page.waitForSelector('#error:not([hidden])');
  const refusal = await eventually(() => p.envelopes.find((e) => e.type === 'error'), 'the server to refuse the name');
  assert.match(refusal.data.message, /^Invalid player name: /);
  assert.equal(await p.page.textContent('#error-text'), refusal.data.message);
  assert.equal(await p.page.evaluate(() => document.body.dataset.view), 'lobby');
  assert.equal(await p.page.evaluate(() => document.querySelectorAll('img').length), 0);
  assert.equal(await p.page.evaluate(() => window.__pwned), undefined);
  assert.equal(await p.page.evaluate(() => localStorage.getItem('tikztakz.name')), null, 'a refused name is not kept');

  const legal = 'J.-P. d_Arc 2.0';
  await enterName(p, legal);
  await p.page.click('#play-bot');
  await waitView(p, (v) => v.state === 'playing', 'the game');
  assert.equal(await p.page.textContent('#name-x'), legal);
  assert.equal(await p.page.textContent('#me'), legal);
  assert.equal(await p.page.evaluate(() => JSON.parse(localStorage.getItem('tikztakz.name'))), legal);
  assert.equal(await p.page.evaluate(() => document.querySelectorAll('#game img, #game script').length), 0);
});

test('9. a network cut is survived: a move made while cut goes through, nothing reloads', { timeout: 60_000 }, async () => {
  proxy = await startProxy(server.port);
  const eve = await openPage('eve', { base: `http://127.0.0.1:${proxy.port}/` });
  await enterName(eve, 'Eve');
  await eve.page.click('#play-bot');
  await waitView(eve, (v) => v.state === 'playing' && v.myTurn, 'the bot game');
  await play(eve, 10, 10);
  const before = await waitView(eve, (v) => v.stones.length === 2 && v.myTurn, 'the bot to answer');
  const free = [[0, 0], [19, 19], [0, 19]].find(([x, y]) => !before.stones.some((s) => s.slice(1) === `${x},${y}`));
  await eve.page.evaluate(() => {
    window.__marker = 'same page';
  });
  proxy.cut();
  await eve.page.waitForSelector('#conn[data-state="reconnecting"]');
  // Played while cut: kept by the session, sent on resume.
  await eve.page.click(cell(...free));
  await eve.page.waitForSelector(`${cell(...free)}.pending`);
  proxy.restore();
  await eve.page.waitForSelector('#conn[data-state="connected"]');
  await waitView(eve, (v) => v.stones.length === 4 && v.stones.includes(`X${free[0]},${free[1]}`) && v.myTurn, 'the move and the answer after the cut');
  assert.equal(await eve.page.evaluate(() => window.__marker), 'same page');
  assert.equal(await eve.page.evaluate(() => window.tikztakz.lastClose()), null, 'the session never ended');
});

test('10. a duplicated tab takes the seat over; the first tab stops instead of taking it back', { timeout: 60_000 }, async () => {
  const first = await openPage('tab-one');
  await enterName(first, 'Gus');
  await first.page.click('#play-bot');
  await waitView(first, (v) => v.state === 'playing' && v.myTurn, 'the bot game');
  await play(first, 10, 10);
  await waitView(first, (v) => v.stones.length === 2, 'the bot to answer');
  const seat = await first.page.evaluate(() => sessionStorage.getItem('tikztakz.seat'));
  const second = await openPage(`tab-copy:${seat}`, { context: first.context });
  const v = await waitView(second, (v) => v.state === 'playing' && v.stones.length === 2 && v.role === 'player', 'the game in the copy');
  assert.equal(v.symbol, 'X');
  await first.page.waitForSelector('#stopped:not([hidden])');
  await first.page.waitForSelector('#conn[data-state="offline"]');
  await play(second, 0, 0);
  await waitView(second, (v) => v.stones.length === 4, 'the bot to answer the copy');
  // The first tab stays stopped (no taking the seat back and forth).
  await eventually(async () => (await second.page.getAttribute('#conn', 'data-state')) === 'connected', 'the copy to stay connected');
  assert.equal(await first.page.getAttribute('#conn', 'data-state'), 'offline');
  // Until its user asks: then it has the seat, and the copy stops.
  await first.page.click('#reconnect');
  await waitView(first, (v) => v.stones.length === 4 && v.myTurn, 'the first tab back with every stone');
  await second.page.waitForSelector('#stopped:not([hidden])');
});

test('11. the opponent closes the tab: an away notice, then a win by forfeit', { timeout: 60_000 }, async () => {
  const hal = await openPage('hal');
  await enterName(hal, 'Hal');
  await hal.page.click('#create-private');
  await hal.page.waitForSelector('#invite:not([hidden])');
  const link = await hal.page.inputValue('#invite-link');
  const ivy = await openPage('ivy', { at: link.slice(server.url.length) });
  await enterName(ivy, 'Ivy');
  await ivy.page.click('#join-private');
  await waitView(hal, (v) => v.state === 'playing', 'the game to start');
  await play(hal, 3, 3);
  await sees(ivy, 3, 3, 'X');
  await ivy.page.close();
  await hal.page.waitForSelector('#status[data-kind="away"]');
  assert.match(await hal.page.textContent('#status'), /^Ivy lost the connection — \d+ s to come back\.$/);
  assert.match(await hal.page.getAttribute('#player-o', 'class'), /\baway\b/);
  const v = await waitView(hal, (v) => v.state === 'ended', 'the forfeit', (GRACE_SECS + 15) * 1000);
  assert.match(v.result, /^You win: Ivy left the game\./);
  assert.equal(v.outcome, 'win');
  assert.equal(await hal.page.textContent('#rematch'), 'Opponent left');
  assert.equal(await hal.page.isDisabled('#rematch'), true);
  await hal.page.waitForSelector('#status', { state: 'hidden' });
});

test('no page threw, and nothing broke the content security policy', () => {
  for (const p of pages) {
    assert.deepEqual(p.errors, [], `${p.label}: page errors`);
    assert.deepEqual(p.csp, [], `${p.label}: CSP violations`);
  }
});
