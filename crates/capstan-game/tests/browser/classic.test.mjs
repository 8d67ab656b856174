// The original 2017 TikzTakz client against this server: `ClassicClient`
// (classic-client.mjs) is its protocol logic, rule for rule; two of them play
// through the server as two browser tabs would, and the quirks the original
// depends on are checked one by one.
//
//   cd crates/capstan-game/tests/browser && node --test classic.test.mjs
//   (after `cargo build -p capstan-game`; CARGO_TARGET_DIR or CAPSTAN_GAME_BIN
//   locate the binary)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ClassicClient, ReplaySocket } from './classic-client.mjs';
import { WAIT, startGame } from './harness.mjs';

/** Where the original page is served from (a static host, not the game server). */
const PAGE = 'http://tikztakz.localhost:8000/index.html';
const HEX = (n) => new RegExp(`^[0-9a-f]{${n}}$`);

let server;
const clients = [];

before(async () => {
  server = await startGame();
});

after(async () => {
  await closeAll(clients);
  await server.stop(); // throws unless it exits 0
});

/** Closes the tabs still open, and waits (bounded) for their sockets to close. */
async function closeAll(list) {
  for (const client of list) client.closeTab();
  await Promise.all(list.map((client) => client.until((c) => c.socketClosed, 'the socket to close')));
}

/** A new tab with the original page at `pageUrl`, its socket open. */
async function openTab(target = server, pageUrl = PAGE, list = clients) {
  const client = new ClassicClient({ url: target.wsUrl, pageUrl });
  list.push(client);
  await client.opened;
  return client;
}

/** The `add_move` the original sends for the cell x:y: coordinates as strings (core:168-175). */
const addMoveText = (x, y) => `{"type":"add_move","data":{"coords":{"x":"${x}","y":"${y}"}}}`;

/** Two tabs that "Fight random opponent": X waits first, O joins; both boards drawn. */
async function publicPair(xName, oName, target = server, list = clients) {
  const x = await openTab(target, PAGE, list);
  x.joinRandom(xName);
  await x.until((c) => c.game.id !== '', `${xName}'s create_player_resp`);
  const o = await openTab(target, PAGE, list);
  o.joinRandom(oName);
  await Promise.all([x, o].map((c) => c.until((s) => s.board !== null, 'start_game_resp (the board)')));
  assert.equal(x.player.symbol, 'X');
  assert.equal(o.player.symbol, 'O');
  return [x, o];
}

/**
 * One move as the original's player makes it: wait until `mover`'s own
 * is_my_turn says so (set by start_game_resp/add_move_resp), check that a
 * click on `other`'s board sends nothing (not its turn, web:50-52), click the
 * cell, check the exact text sent, and wait until both boards show the stone.
 */
async function play(mover, other, x, y) {
  await mover.until((c) => c.isMyTurn, `${mover.player.name}'s turn`);
  const otherSent = other.wire.sent.length;
  assert.equal(other.clickCell(19, 19), null, 'out of turn, the click does nothing');
  assert.equal(other.wire.sent.length, otherSent);
  const sent = mover.wire.sent.length;
  mover.clickCell(x, y);
  assert.deepEqual(mover.wire.sent.slice(sent), [addMoveText(x, y)]);
  await Promise.all(
    [mover, other].map((c) => c.until((s) => s.board[x][y] !== null, `the stone at ${x}:${y} on ${c.player.name}'s board`)),
  );
}

/** X puts five on row 0 (0:0 … 0:4) while O plays row 5; returns the stones placed. */
async function playRowWin(x, o) {
  const stones = [];
  for (let y = 0; y < 5; y++) {
    await play(x, o, 0, y);
    stones.push({ x: 0, y, symbol: 'X' });
    if (y === 4) break;
    await play(o, x, 5, y);
    stones.push({ x: 5, y, symbol: 'O' });
  }
  await Promise.all([x, o].map((c) => c.until((s) => s.outcome !== null && s.socketClosed, 'the end and the socket closed')));
  return stones;
}

const sortStones = (stones) => [...stones].sort((a, b) => a.x - b.x || a.y - b.y);

test('two original clients play a public game through: X wins with a row', { timeout: 4 * WAIT }, async () => {
  const [alice, bob] = await publicPair('Alice', 'Bob');

  // What they sent to join: the name and a real boolean (core:105-119, web:21).
  assert.deepEqual(alice.wire.sent, ['{"type":"create_player","data":{"player_name":"Alice","game_public":true}}']);
  assert.deepEqual(bob.wire.sent, ['{"type":"create_player","data":{"player_name":"Bob","game_public":true}}']);
  // The state core:203-214 and core:186-197 built.
  assert.equal(alice.game.id, bob.game.id);
  assert.match(alice.game.id, HEX(32));
  assert.equal(alice.game.is_public, true);
  assert.match(alice.player.id, HEX(16));
  assert.notEqual(alice.player.id, bob.player.id);
  assert.equal(alice.player.is_my_turn, true, "start_game_resp's player_on_turn === Alice's id");
  assert.equal(bob.player.is_my_turn, false);
  assert.equal(bob.player.opponent_name, 'Alice', 'opponents[0] (core:211)');
  assert.equal(alice.player.opponent_name, 'opponent', 'the first player never learns the name');
  assert.equal(alice.board.length, 20);
  assert.ok(alice.board.every((row) => row.length === 20));
  assert.deepEqual(bob.banner, { kind: 'warning', html: "It's Alice's turn." });

  const placed = await playRowWin(alice, bob);

  assert.equal(alice.outcome, 'won');
  assert.equal(bob.outcome, 'lost');
  for (const client of [alice, bob]) {
    assert.equal(client.wire.closedBy, 'client', `${client.player.name} closed its socket itself (core:245)`);
    assert.equal(client.conn, null);
    assert.equal(client.player.is_my_turn, false);
    assert.equal(client.boardActive, false);
    assert.deepEqual(client.alerts, []);
    assert.deepEqual(client.exceptions, []);
    assert.deepEqual(sortStones(client.stones()), sortStones(placed));
    // After the end the board takes no clicks (no socket, web:47-49).
    const sent = client.wire.sent.length;
    assert.equal(client.clickCell(10, 10), null);
    assert.equal(client.wire.sent.length, sent);
  }
  assert.deepEqual(alice.board, bob.board);
  assert.deepEqual(alice.lastTurn, { x: 0, y: 4 });

  const moveLines = [];
  for (let y = 0; y < 5; y++) {
    moveLines.push(`Player Alice put "X" to coordinates x0 : y${y}`);
    if (y < 4) moveLines.push(`Player Bob put "O" to coordinates x5 : y${y}`);
  }
  assert.deepEqual(alice.log, [
    'Connection established!',
    'You entered the game.',
    'Player "Alice" joined the game.',
    'Player "Bob" joined the game.',
    `Game begins. It's "Alice"'s turn`,
    ...moveLines,
    'Player Alice has won the game',
    'Connection closed.',
  ]);
  assert.deepEqual(bob.log, [
    'Connection established!',
    'You entered the game.',
    'Player "Bob" joined the game.',
    `Game begins. It's "Alice"'s turn`,
    ...moveLines,
    'Player Alice has won the game',
    'Connection closed.',
  ]);
  // What the server sent after a client's close() never reaches the page (a
  // browser delivers no message then): here only the other's leaving, as
  // the 2017 server also sent it when the first of the two closed.
  for (const client of [alice, bob]) {
    const late = client.wire.received.filter((m) => !m.delivered).map((m) => JSON.parse(m.text).type);
    assert.ok(late.every((type) => type === 'disconnect_player_resp'), JSON.stringify(late));
  }
});

test("a private game through the original's invite link; the creator never learns the opponent's name", { timeout: 4 * WAIT }, async () => {
  const alice = await openTab();
  alice.createPrivate('Alice');
  await alice.until((c) => c.inviteLink !== null, 'the invite link');
  assert.deepEqual(alice.wire.sent, ['{"type":"create_player","data":{"player_name":"Alice","game_public":false}}']);
  assert.equal(alice.game.is_public, false);
  assert.match(alice.game.id, HEX(32));
  assert.equal(alice.inviteLink, `${PAGE}?game_id=${alice.game.id}`, 'web:82-83');

  // The friend opens the link: the page pre-fills the game id (core:309-313).
  const bob = await openTab(server, alice.inviteLink);
  assert.equal(bob.privateGameId, alice.game.id);
  bob.joinPrivate('Bob');
  assert.deepEqual(bob.wire.sent, [
    `{"type":"create_player","data":{"player_name":"Bob","game_public":false,"game_id":"${alice.game.id}"}}`,
  ]);
  await Promise.all([alice, bob].map((c) => c.until((s) => s.board !== null, 'start_game_resp (the board)')));

  assert.equal(bob.game.id, alice.game.id);
  assert.equal(bob.game.is_public, false);
  assert.equal(alice.player.symbol, 'X', 'the creator is X');
  assert.equal(bob.player.opponent_name, 'Alice');
  assert.equal(alice.player.opponent_name, 'opponent', 'core:211 is the only place it is set');
  assert.ok(alice.isMyTurn);
  assert.equal(
    alice.banner.html,
    '<strong>Alice</strong>, It\'s your turn. Your symbol is <strong><img src="images/cross.png" alt="X" class="symbol symbol_cross"/></strong>.',
  );
  assert.deepEqual(bob.banner, { kind: 'warning', html: "It's Alice's turn." });

  await play(alice, bob, 7, 7);
  // As the original shows it to Alice: her opponent is "opponent" (web:107).
  assert.deepEqual(alice.banner, { kind: 'warning', html: "It's opponent's turn." });
  assert.equal(bob.banner.kind, 'success');
  assert.ok(bob.banner.html.startsWith("<strong>Bob</strong>, It's your turn."));
  assert.deepEqual(alice.log.slice(1, 5), [
    'You entered the game.',
    'Player "Alice" joined the game.',
    'Player "Bob" joined the game.',
    `Game begins. It's "Alice"'s turn`,
  ]);

  // Alice closes her tab; with the default grace period the server keeps
  // her seat and tells Bob with `opponent_away`, a type the original does
  // not know: it only logs the message (core:49-51) and changes nothing.
  const before = bob.state();
  alice.closeTab();
  await bob.until((c) => c.log.includes('Player "Alice" lost the connection.'), 'opponent_away');
  const afterAway = bob.state();
  assert.deepEqual({ ...afterAway, log: before.log }, before, 'nothing but the log changed');
  assert.deepEqual(afterAway.log, [...before.log, 'Player "Alice" lost the connection.']);
  assert.ok(bob.messages().some((m) => m.type === 'opponent_away'));
  for (const client of [alice, bob]) assert.deepEqual(client.exceptions, []);
  assert.deepEqual(bob.alerts, []);
});

test('the quirks the server must answer: a click on a stone, a missing game, a full game, an empty name', { timeout: 4 * WAIT }, async () => {
  // A click on a stone: the target is the <img>, no id, so coords {} (core:168-175).
  const [carol, dave] = await publicPair('Carol', 'Dave');
  await play(carol, dave, 9, 9);
  const carolSent = carol.wire.sent.length;
  assert.equal(carol.clickOccupied(9, 9), null, 'not her turn: nothing sent');
  assert.equal(carol.wire.sent.length, carolSent);
  const daveBefore = dave.state();
  dave.clickOccupied(9, 9);
  assert.equal(dave.wire.sent.at(-1), '{"type":"add_move","data":{"coords":{}}}');
  await dave.until((c) => c.alerts.length === 1, 'the error alert');
  assert.deepEqual(dave.alerts, ['Cannot add move. Invalid move coordinates.']);
  assert.deepEqual(dave.banner, { kind: 'danger', html: 'Cannot add move. Invalid move coordinates.' });
  assert.deepEqual({ ...dave.state(), alerts: [], banner: daveBefore.banner }, daveBefore, 'only the alert changed');
  // The game goes on: it is still Dave's turn and his next click plays.
  await play(dave, carol, 9, 10);
  assert.deepEqual(carol.alerts, []);

  // A double click before the answer comes: is_my_turn is still true, so
  // the original sends both (web:50-53, core:164); the 2017 server placed
  // both stones, this one refuses the second with an alert.
  await carol.until((c) => c.isMyTurn, "Carol's turn");
  carol.clickCell(10, 10);
  carol.clickCell(10, 11);
  assert.deepEqual(carol.wire.sent.slice(-2), [addMoveText(10, 10), addMoveText(10, 11)]);
  await carol.until((c) => c.alerts.length === 1, 'the error alert');
  assert.deepEqual(carol.alerts, ['Cannot add move. It is not your turn.']);
  await dave.until((c) => c.board[10][10] === 'X', 'the first stone');
  for (const client of [carol, dave]) {
    assert.equal(client.board[10][11], null, 'the second click placed nothing');
    assert.equal(client.stones().length, 3);
  }
  assert.ok(dave.isMyTurn);

  // A game id that does not exist (a stale or mistyped invite link).
  const missing = '0123456789abcdef0123456789abcdef';
  const erin = await openTab(server, `${PAGE}?game_id=${missing}`);
  assert.equal(erin.privateGameId, missing);
  erin.joinPrivate('Erin');
  await erin.until((c) => c.alerts.length === 1, 'the error alert');
  assert.deepEqual(erin.alerts, [`Trying to join non-existing game: ${missing}`]);
  assert.equal(erin.game.id, '', 'no game');
  // The original server left such a connection stuck ("Only one player per
  // connection"); here the same tab can still create a game.
  erin.createPrivate('Erin');
  await erin.until((c) => c.inviteLink !== null, 'the invite link');
  assert.deepEqual(erin.alerts, [`Trying to join non-existing game: ${missing}`]);

  // Erin's page still carries `?game_id=<missing>`, and web:82-83 only cuts
  // at '#', so her new invite link holds two queries; read back by
  // core:285-294 it would give "<missing>?game_id" (the original's bug, not
  // the server's). Her friends type the id instead.
  assert.equal(erin.inviteLink, `${PAGE}?game_id=${missing}?game_id=${erin.game.id}`);
  // A full private game: Frank takes the second seat, Gina comes too late.
  const frank = await openTab();
  frank.joinPrivate('Frank', erin.game.id);
  await Promise.all([erin, frank].map((c) => c.until((s) => s.board !== null, 'start_game_resp')));
  const gina = await openTab();
  gina.joinPrivate('Gina', erin.game.id);
  await gina.until((c) => c.alerts.length === 1, 'the error alert');
  assert.deepEqual(gina.alerts, ['Cannot add player, game is already full.']);
  assert.equal(gina.game.id, '');
  assert.equal(gina.board, null);
  assert.ok(!gina.socketClosed, 'the connection stays open');

  // An empty name field: the original sends player_name "" (core:92) and
  // shows the server's refusal as an alert, staying at the entry form: the
  // 2017 server's own text.
  const hugo = await openTab();
  hugo.joinRandom('');
  assert.deepEqual(hugo.wire.sent, ['{"type":"create_player","data":{"player_name":"","game_public":true}}']);
  await hugo.until((c) => c.alerts.length === 1, 'the error alert');
  assert.equal(hugo.alerts[0], 'Missing player name. Please fill your name.');
  assert.equal(hugo.game.id, '');

  for (const client of [carol, dave, erin, frank, gina, hugo]) assert.deepEqual(client.exceptions, []);
  await closeAll([carol, dave, erin, frank, gina, hugo]);
});

test('the opponent leaving (--grace-secs 0): the other tab shows "opponent left" and closes its socket', { timeout: 4 * WAIT }, async () => {
  const strict = await startGame({ args: ['--grace-secs', '0'] });
  const mine = [];
  try {
    const [alice, bob] = await publicPair('Alice', 'Bob', strict, mine);
    await play(alice, bob, 3, 3);
    await play(bob, alice, 4, 4);
    alice.closeTab(); // the tab is closed mid-game: the browser closes with 1001
    await bob.until((c) => c.outcome !== null && c.socketClosed, 'the outcome and the socket closed');

    assert.equal(bob.outcome, 'opponent left');
    assert.deepEqual(bob.banner, { kind: 'warning', html: '<strong>Your opponent has left the game :(</strong>' });
    assert.equal(bob.wire.closedBy, 'client', 'Bob closed it on disconnect_player_resp (core:259)');
    assert.equal(bob.conn, null);
    assert.equal(bob.player.is_my_turn, false);
    assert.equal(bob.boardActive, false);
    assert.deepEqual(bob.log.slice(-2), ['Player "Alice" has left the game.', 'Connection closed.']);
    assert.deepEqual(bob.exceptions, []);
    assert.deepEqual(bob.alerts, []);
    // The server follows with end_of_game_resp (forfeit); it comes after
    // Bob's close(), so a browser does not deliver it (Chromium checked:
    // no message event once close() was called). Delivered, it would throw
    // at core:75 (conn is null) before changing what the page shows.
    const late = bob.wire.received.filter((m) => !m.delivered).map((m) => JSON.parse(m.text));
    assert.deepEqual(
      late.map((m) => [m.type, m.data?.reason, m.data?.winner_id]),
      [['end_of_game_resp', 'forfeit', bob.player.id]],
    );
    assert.equal(alice.wire.closedBy, 'client');
    assert.equal(alice.outcome, null);
  } finally {
    await closeAll(mine);
    await strict.stop(); // throws unless it exits 0
  }
});

/** A server message cut down to the fields the 2017 server sent (docs/research/tikztakz-original.md §2). */
function originalFieldsOnly(text) {
  const msg = JSON.parse(text);
  const keep = {
    create_player_resp: ['player_id', 'game_id', 'game_public', 'player_name', 'symbol', 'opponents', 'is_my_turn'],
    start_game_resp: ['player_on_turn', 'board_size'],
    add_move_resp: ['coords', 'symbol', 'player_on_turn'],
    end_of_game_resp: ['winner_id'],
    error: ['message'],
  }[msg.type];
  const out = { type: msg.type };
  if ('message' in msg) out.message = msg.message;
  if (keep && msg.data) out.data = Object.fromEntries(keep.filter((k) => k in msg.data).map((k) => [k, msg.data[k]]));
  if (out.data?.coords) out.data.coords = { x: msg.data.coords.x, y: msg.data.coords.y };
  return JSON.stringify(out);
}

/** The original client fed `texts` (after the same button click) through a socket that is no socket. */
async function replay(live, texts) {
  const shadow = new ClassicClient({ pageUrl: live.pageUrl, WebSocketImpl: ReplaySocket });
  await shadow.opened;
  shadow.joinRandom(live.typedName);
  for (const text of texts) shadow.socket.deliver(text);
  await shadow.until((c) => c.socketClosed, 'the replayed close');
  return shadow;
}

test('the new fields change nothing: the client keeps only the original state', { timeout: 4 * WAIT }, async () => {
  const [ivy, jack] = await publicPair('Ivy', 'Jack');
  await playRowWin(ivy, jack);
  assert.equal(ivy.outcome, 'won');

  // The new fields are there on the wire.
  for (const client of [ivy, jack]) {
    const byType = (type) => client.messages().filter((m) => m.type === type);
    const [joined] = byType('create_player_resp');
    assert.match(joined.data.resume_token, HEX(64));
    assert.ok('time_control' in joined.data && 'player_key' in joined.data);
    const [started] = byType('start_game_resp');
    assert.equal(started.data.players.length, 2);
    assert.ok(started.data.clocks && started.data.game_id === client.game.id);
    const moves = byType('add_move_resp');
    assert.deepEqual(moves.map((m) => m.data.move_number), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(moves.every((m) => m.data.clocks && Number.isInteger(m.data.coords.x)));
    const [ended] = byType('end_of_game_resp');
    assert.equal(ended.data.reason, 'five');
    assert.equal(ended.data.line.length, 5);

    // The client's state holds the original's fields, and nothing of the new.
    assert.deepEqual(Object.keys(client.player), ['id', 'name', 'symbol', 'is_my_turn', 'opponent_name']);
    assert.deepEqual(Object.keys(client.game), ['id', 'is_public']);
    const kept = JSON.stringify(client.state());
    assert.ok(!kept.includes(joined.data.resume_token), 'the resume token is not kept');
    assert.ok(!kept.includes('clocks') && !kept.includes('move_number') && !kept.includes('rating'));

    // The same messages cut down to the original server's fields give the
    // same client state: the new fields are ignored, not merely harmless.
    const texts = client.wire.received.map((m) => m.text);
    const full = await replay(client, texts);
    const cut = await replay(client, texts.map(originalFieldsOnly));
    assert.deepEqual(full.state(), client.state(), 'the replay reproduces the live tab');
    assert.deepEqual(cut.state(), client.state(), 'without the new fields: the same state');
    assert.deepEqual(cut.socket.sentTexts, full.socket.sentTexts);
    assert.deepEqual([full.exceptions, cut.exceptions, client.exceptions], [[], [], []]);
  }
});

