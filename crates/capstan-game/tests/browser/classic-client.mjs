// The 2017 TikzTakz browser client (kedlas/tikztakz @ 0aa65e1), its
// protocol logic rewritten for Node: the state it keeps, the messages it
// sends, and how it reacts to each message it receives, field by field and
// comparison by comparison, so that a test can show that this server works
// with the original client unchanged. The page itself (jQuery, Bootstrap) is
// modelled only as far as the protocol reaches it: the board's cells, the
// log, the alert box, the invite link.
//
// References: `core:N` is client/src/js/connect5-core.js line N, `web:N` is
// client/src/js/connect5-web.js line N, both at 0aa65e1 (the same files as
// the built client/client-web/build/js/main.min.js).
//
// Nothing here is the original's code; each rule is written anew and points
// to the line it reproduces. What is not the original's (the record of the
// wire, the thrown errors, `until`) is marked "test instrumentation".
import WebSocket from 'ws';

import { WAIT } from './harness.mjs';

/** The field separator of cell ids, `field-X-Y` (core:4). */
const SEPARATOR = '-';
/** The name before the player typed one (core:5). */
const DEFAULT_NAME = 'Unknown player';
/** A WebSocket's readyState values (the same in browsers and `ws`). */
const OPEN = 1;

/** The `<img>` a cell gets for a symbol (core:270-277): the cross for exactly 'X', else the circle. */
function symbolImgTag(symbol) {
  // core:272: strict comparison with 'X'; anything else draws the circle (core:271).
  if (symbol === 'X') return '<img src="images/cross.png" alt="X" class="symbol symbol_cross"/>';
  return '<img src="images/circle.png" alt="O" class="symbol symbol_circle"/>';
}

/**
 * `getUrlParameter(name)` of core:284-297 over a page URL: the query after
 * `?`, URI-decoded as a whole (core:285), split at `&` (core:286) and `=`
 * (core:291); the first parameter of that name wins, `true` when it has no
 * value (core:294), `undefined` when absent.
 */
export function getUrlParameter(pageUrl, name) {
  const url = new URL(pageUrl);
  const pairs = decodeURIComponent(url.search.substring(1)).split('&');
  for (const pair of pairs) {
    const parts = pair.split('=');
    if (parts[0] === name) return parts[1] === undefined ? true : parts[1];
  }
  return undefined;
}

/**
 * One browser tab running the original client. The constructor is the
 * page load: `initWebSockets()` then `preFillGameEntry()` (web:12-14).
 *
 * - `url`: the WebSocket address (the original: `serverAddr`, core:1, path `/`).
 * - `pageUrl`: the page's own address (`window.location.href`): the invite
 *   link is built from it (web:82-83) and a `?game_id=` in it pre-fills the
 *   private game field (core:309-313). The original page was a static file
 *   served from another host than the game server, so the socket is opened
 *   with that page's Origin, as a browser would.
 * - `WebSocketImpl`: the socket class (test instrumentation: a fake
 *   transport replays recorded messages through the same logic).
 */
export class ClassicClient {
  constructor({ url, pageUrl = 'http://tikztakz.localhost:8000/index.html', WebSocketImpl = WebSocket } = {}) {
    // --- The original's state (core:3, core:6-16). ---
    /** The socket; null once closed by the client or after an error (core:3). */
    this.conn = null;
    /** core:6-12, with the same keys and initial values. */
    this.player = { id: '', name: DEFAULT_NAME, symbol: '', is_my_turn: false, opponent_name: 'opponent' };
    /** core:13-16 (`is_public` is the original's key). */
    this.game = { id: '', is_public: true };

    // --- The page, as far as the protocol changes it. ---
    this.pageUrl = pageUrl;
    /** `div#gameLog`, oldest first (the page prepends, web:70; without the time prefix, web:66-68). */
    this.log = [];
    /** Every `alert()` text (web:137), oldest first. */
    this.alerts = [];
    /** The visible alert box: { kind, html } (web:74-140), or null. */
    this.banner = null;
    /** The invite link shown when a private game was created (web:82-83), or null. */
    this.inviteLink = null;
    /** The `#privateGameId` input, pre-filled from `?game_id=` (core:309-316). */
    this.privateGameId = '';
    /** The `#playerName` input's value (core:85). */
    this.typedName = '';
    /** The board: `boardSize`×`boardSize` of null/'X'/'O' (drawn from board_size, core:126-142), or null before. */
    this.board = null;
    /** The cell holding the `last_turn` class (core:226-227): { x, y }, or null. */
    this.lastTurn = null;
    /** Whether the board was faded out after the game (web:112-115). */
    this.boardActive = false;
    /** 'won' (web:122), 'lost' (web:129), 'opponent left' (web:117), or null. */
    this.outcome = null;
    /** Whether the socket's close event has fired. */
    this.socketClosed = false;
    /** The cell ids drawn, `field-X-Y` → { x, y } (the `td` elements a jQuery selector can find). */
    this.cells = new Map();

    // --- Test instrumentation: the wire and what the page would throw. ---
    this.wire = {
      /** Every text the server sent, in order, with whether the page got it. */
      received: [],
      /** Every text the client sent. */
      sent: [],
      /** Who started the closing: 'client' (closeWebSockets) or 'server'. */
      closedBy: null,
      /** The close code the socket reported. */
      closeCode: null,
    };
    /** Errors the original would throw into the console (uncaught), in order. */
    this.exceptions = [];
    this.waiters = new Set();
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });

    this.initWebSockets(url, WebSocketImpl);
    this.preFillGameEntry();
  }

  // ------------------------------------------------------------------
  // The socket (core:21-77)
  // ------------------------------------------------------------------

  /** core:21-69: one socket, opened on page load; never reopened. */
  initWebSockets(url, WebSocketImpl) {
    const origin = new URL(this.pageUrl).origin;
    const conn = new WebSocketImpl(url, { origin });
    this.conn = conn; // core:22
    this.socket = conn; // test instrumentation: the socket even after `conn = null`
    this.opened = new Promise((resolve, reject) => {
      conn.on('open', () => {
        this.addLog('Connection established!'); // core:24-26
        resolve();
        this.wake();
      });
      conn.on('error', (error) => {
        // core:32-38: forget the socket, alert, log.
        this.conn = null;
        this.errorAlert('Connection to server failed.');
        this.addLog('Connection to server failed.' + error);
        reject(error);
        this.wake();
      });
    });
    this.opened.catch(() => {});
    conn.on('close', (code) => {
      this.addLog('Connection closed.'); // core:28-30
      this.socketClosed = true;
      this.wire.closeCode = code;
      if (!this.wire.closedBy) this.wire.closedBy = 'server';
      this.resolveClosed();
      this.wake();
    });
    conn.on('message', (data, isBinary) => {
      // A browser hands the page a string for a text frame, a Blob for a
      // binary one (`binaryType` 'blob'); JSON.parse then sees "[object Blob]".
      const text = isBinary ? '[object Blob]' : data.toString();
      // A browser delivers no message once close() was called: the
      // WebSocket standard's "a WebSocket message has been received" step 1
      // returns unless readyState is OPEN. (`ws` still emits them.)
      const delivered = conn.readyState === OPEN;
      this.wire.received.push({ text, delivered });
      if (delivered) this.guard(() => this.onMessage(text));
      this.wake();
    });
  }

  /** core:40-68: every message is logged by its `message`, then dispatched on `type`. */
  onMessage(text) {
    let msg = null;
    try {
      msg = JSON.parse(text); // core:43
    } catch (err) {
      // core:44-47: logs the error and the event, then goes on with msg null.
      this.addLog(String(err));
      this.addLog('[object MessageEvent]');
    }
    // core:49-51: `msg.message` (a TypeError when msg is null), logged when truthy.
    if (msg.message) {
      this.addLog(msg.message);
    }
    // core:53-67, with its missing `else` at core:55 (harmless): types
    // compared with ===, unknown ones fall through and are ignored.
    if (msg.type === 'info_resp') {
      // core:53-54: only its message, logged above.
    }
    if (msg.type === 'error') {
      this.errorAlert(msg.data.message); // core:55-56: the text is in data.message
    } else if (msg.type === 'create_player_resp') {
      this.createPlayerResp(msg.data); // core:57-58
    } else if (msg.type === 'start_game_resp') {
      this.startGameResp(msg.data); // core:59-60
    } else if (msg.type === 'add_move_resp') {
      this.addMoveResp(msg.data); // core:61-62
    } else if (msg.type === 'disconnect_player_resp') {
      this.disconnectPlayerResp(); // core:63-64: reads no data
    } else if (msg.type === 'end_of_game_resp') {
      this.endOfGameResp(msg.data); // core:65-66
    }
  }

  /** core:74-77: close, then forget the socket (`conn.close()` on null throws). */
  closeWebSockets() {
    // Test instrumentation: the client started the closing if the socket
    // was still open (a close frame from the server makes it CLOSING first).
    if (this.conn && this.conn.readyState === OPEN && !this.wire.closedBy) this.wire.closedBy = 'client';
    this.conn.close(); // core:75 (no code: the browser sends a close frame without status)
    this.conn = null; // core:76
  }

  /** core:105-119: `create_player` with the name and the public flag, and `game_id` only when truthy. */
  joinGame(playerName, isGamePublic, gameId) {
    const msg = {
      type: 'create_player',
      data: {
        player_name: playerName,
        game_public: isGamePublic,
      },
    };
    if (gameId) {
      msg.data.game_id = gameId; // core:114-116
    }
    this.send(JSON.stringify(msg)); // core:118
  }

  /** `conn.send` (test instrumentation: records the text). */
  send(text) {
    this.wire.sent.push(text);
    this.conn.send(text);
  }

  // ------------------------------------------------------------------
  // The page's buttons and board (web:16-62, core:84-96, core:163-180)
  // ------------------------------------------------------------------

  /** core:84-96: the typed name, or '' (the input is then marked with an error). */
  getPlayerName() {
    if (this.typedName.length > 0) {
      this.player.name = this.typedName; // core:88 (also kept in sessionStorage, core:89)
    } else {
      this.player.name = ''; // core:92
    }
    return this.player.name;
  }

  /** "Fight random opponent" (web:16-22): types `name`, then joins a public game. */
  joinRandom(name) {
    this.typedName = name;
    if (!this.conn) return null; // web:17-19
    this.joinGame(this.getPlayerName(), true); // web:21
    return undefined;
  }

  /** "Create private game" (web:24-30). */
  createPrivate(name) {
    this.typedName = name;
    if (!this.conn) return null; // web:25-27
    this.joinGame(this.getPlayerName(), false); // web:29
    return undefined;
  }

  /**
   * "Join private game" (web:32-44) with the `#privateGameId` field: typed
   * as `gameId`, or as pre-filled from the invite link when omitted.
   */
  joinPrivate(name, gameId = this.privateGameId) {
    this.typedName = name;
    this.privateGameId = gameId;
    if (!this.conn) return null; // web:33-35
    const id = this.privateGameId; // web:37
    if (!id || id.length === 0) return null; // web:39-41
    this.joinGame(this.getPlayerName(), false, id); // web:43
    return undefined;
  }

  /** A click on the empty cell `td#field-X-Y` (web:46-54): its id is the target's. */
  clickCell(x, y) {
    if (!this.cells.has(`field${SEPARATOR}${x}${SEPARATOR}${y}`)) {
      throw new Error(`no cell field-${x}-${y} on the page (the board is drawn by start_game_resp)`);
    }
    return this.boardClick(`field${SEPARATOR}${x}${SEPARATOR}${y}`);
  }

  /**
   * A click on a stone already placed (at `x`, `y`, or the first one): the
   * click lands on the cell's `<img>` (core:228), so `event.target.id` is ''
   * and core:168-175 sends `coords` with x and y undefined, which
   * JSON.stringify leaves out: `{"coords":{}}`.
   */
  clickOccupied(x, y) {
    const at = x === undefined ? this.stones()[0] : { x, y, symbol: this.board?.[x]?.[y] };
    if (!at || !at.symbol) throw new Error('no stone on the board to click');
    return this.boardClick('');
  }

  /** web:46-54: ignored without a socket or out of turn; else addMove(target id). */
  boardClick(targetId) {
    if (!this.conn) return null; // web:47-49
    if (!this.player.is_my_turn) return null; // web:50-52
    return this.addMove(targetId); // web:53
  }

  /** core:163-180: checks the turn again, splits the id, sends x and y as the strings they are. */
  addMove(fieldId) {
    if (!this.player.is_my_turn) return null; // core:164-166
    const coords = fieldId.split(SEPARATOR); // core:168
    const msg = {
      type: 'add_move',
      data: {
        coords: {
          x: coords[1], // core:173: a string, or undefined
          y: coords[2], // core:174
        },
      },
    };
    this.send(JSON.stringify(msg)); // core:179
    return undefined;
  }

  /** Closing the tab or reloading ("Play again", web:56-62): the browser closes the socket, going away. */
  closeTab() {
    const conn = this.socket;
    if (conn.readyState === OPEN && !this.wire.closedBy) this.wire.closedBy = 'client';
    if (conn.readyState <= OPEN) conn.close(1001);
    this.conn = null;
  }

  // ------------------------------------------------------------------
  // The server's messages (core:186-263)
  // ------------------------------------------------------------------

  /** core:203-214. */
  createPlayerResp(data) {
    this.game.id = data.game_id; // core:204
    this.game.is_public = data.game_public; // core:205
    this.player.id = data.player_id; // core:207
    this.player.name = data.player_name; // core:208: the server's spelling replaces the typed name
    this.player.symbol = data.symbol; // core:209
    this.player.is_my_turn = data.is_my_turn; // core:210
    // core:211: the first name of `opponents` (an array: indexing undefined
    // throws), else 'opponent'. Nothing else ever sets it, so the first
    // player at a table keeps 'opponent'.
    this.player.opponent_name = data.opponents[0] ? data.opponents[0] : 'opponent';
    this.waitingForOpponentAlert(); // core:213
  }

  /** core:186-197. */
  startGameResp(data) {
    // core:187-191: strict equality of the ids.
    if (this.player.id === data.player_on_turn) {
      this.player.is_my_turn = true;
    } else {
      this.player.is_my_turn = false;
    }
    this.gameStartedAlert(); // core:193
    this.toggleTurnAlert(); // core:194
    this.drawGameBoard(data.board_size); // core:196
  }

  /** core:221-237. */
  addMoveResp(data) {
    const x = data.coords.x; // core:222
    const y = data.coords.y; // core:223
    // core:224: the selector `td#field-X-Y`, built by concatenation; a
    // selector matching no cell changes nothing (core:226-228).
    const key = 'field' + SEPARATOR + x + SEPARATOR + y;
    this.lastTurn = null; // core:226
    const cell = this.cells.get(key);
    if (cell) {
      this.lastTurn = { x: cell.x, y: cell.y }; // core:227
      // core:228 with core:270-277: the cross for exactly 'X', else the circle.
      this.board[cell.x][cell.y] = data.symbol === 'X' ? 'X' : 'O';
    }
    // core:230-234: strict equality of the ids.
    if (this.player.id === data.player_on_turn) {
      this.player.is_my_turn = true;
    } else {
      this.player.is_my_turn = false;
    }
    this.toggleTurnAlert(); // core:236
  }

  /** core:244-253: closes first, then won or lost by strict equality of `winner_id`. */
  endOfGameResp(data) {
    this.closeWebSockets(); // core:245
    this.player.is_my_turn = false; // core:246
    this.deactivateGameBoard(); // core:247
    if (this.player.id === data.winner_id) {
      this.wonAlert(); // core:249
    } else {
      this.looseAlert(); // core:251
    }
  }

  /** core:258-263. */
  disconnectPlayerResp() {
    this.closeWebSockets(); // core:259
    this.player.is_my_turn = false; // core:260
    this.deactivateGameBoard(); // core:261
    this.opponentLeftAlert(); // core:262
  }

  // ------------------------------------------------------------------
  // The page (core:126-142, core:302-317, web:65-140)
  // ------------------------------------------------------------------

  /** core:126-142: a fresh table of `boardSize` rows (x) by `boardSize` columns (y), ids `field-X-Y`. */
  drawGameBoard(boardSize) {
    this.cells = new Map();
    this.board = [];
    // core:129-131: `x < boardSize` (no cells when it is not a number).
    for (let x = 0; x < boardSize; x++) {
      const row = [];
      for (let y = 0; y < boardSize; y++) {
        this.cells.set('field' + SEPARATOR + x + SEPARATOR + y, { x, y }); // core:132
        row.push(null);
      }
      this.board.push(row);
    }
    this.boardActive = true; // core:140
  }

  /** core:302-317: the `game_id` of the page's query pre-fills the private game field (sessionStorage is empty in a new tab). */
  preFillGameEntry() {
    const gameId = getUrlParameter(this.pageUrl, 'game_id'); // core:309
    if (gameId) {
      this.privateGameId = gameId; // core:311 (and made read-only, core:312-313)
    }
  }

  /** web:65-72. */
  addLog(message) {
    this.log.push(String(message));
  }

  /** web:74-93: public: "Looking for an opponent..."; private: the invite link `<page>?game_id=<id>`. */
  waitingForOpponentAlert() {
    if (this.game.is_public) {
      this.banner = { kind: 'info', html: 'Looking for an opponent...' }; // web:77-80
    } else {
      let link = this.pageUrl.split('#')[0]; // web:82
      link = link.split('#')[0] + '?game_id=' + this.game.id; // web:83
      this.inviteLink = link;
      this.banner = {
        kind: 'info',
        html:
          'Copy the link below and send it to your friend. When he connects the game will start automatically.' +
          '<hr/><p><a href="' + link + '" target="_blank"><strong>' + link + '</strong></a></p>',
      }; // web:85-90
    }
  }

  /** web:95-97: shows the info box again; toggleTurnAlert (core:194) replaces it at once. */
  gameStartedAlert() {}

  /** web:99-110. */
  toggleTurnAlert() {
    if (this.player.is_my_turn) {
      this.banner = {
        kind: 'success',
        html:
          '<strong>' + this.player.name + "</strong>, It's your turn." +
          ' Your symbol is <strong>' + symbolImgTag(this.player.symbol) + '</strong>.',
      }; // web:103-105
    } else {
      this.banner = { kind: 'warning', html: "It's " + this.player.opponent_name + "'s turn." }; // web:107-108
    }
  }

  /** web:112-115. */
  deactivateGameBoard() {
    this.boardActive = false;
  }

  /** web:117-120. */
  opponentLeftAlert() {
    this.outcome = 'opponent left';
    this.banner = { kind: 'warning', html: '<strong>Your opponent has left the game :(</strong>' };
  }

  /** web:122-127. */
  wonAlert() {
    this.outcome = 'won';
    this.banner = { kind: 'success', html: '<strong>Congratulations, you won.</strong>' };
  }

  /** web:129-134. */
  looseAlert() {
    this.outcome = 'lost';
    this.banner = { kind: 'danger', html: '<strong>You loose, try again. You can do it!</strong>' };
  }

  /** web:136-140: alert() and the danger box, with the text as HTML. */
  errorAlert(message) {
    this.alerts.push(message); // web:137
    this.banner = { kind: 'danger', html: message }; // web:138-139
  }

  // ------------------------------------------------------------------
  // Test instrumentation
  // ------------------------------------------------------------------

  /** Runs a handler as the page's event loop would: a throw is uncaught, recorded, and the page goes on. */
  guard(handler) {
    try {
      handler();
    } catch (error) {
      this.exceptions.push(String(error));
    }
  }

  /** `player.is_my_turn`. */
  get isMyTurn() {
    return this.player.is_my_turn;
  }

  /** The stones on the board: [{ x, y, symbol }], row by row. */
  stones() {
    const stones = [];
    for (const [x, row] of (this.board || []).entries()) {
      for (const [y, symbol] of row.entries()) if (symbol) stones.push({ x, y, symbol });
    }
    return stones;
  }

  /** The messages the page received (delivered), parsed. */
  messages() {
    return this.wire.received.filter((m) => m.delivered).map((m) => JSON.parse(m.text));
  }

  /** What the original client holds and shows: its state, for comparisons. */
  state() {
    return structuredClone({
      player: this.player,
      game: this.game,
      connOpen: this.conn !== null,
      board: this.board,
      lastTurn: this.lastTurn,
      boardActive: this.boardActive,
      log: this.log,
      alerts: this.alerts,
      banner: this.banner,
      inviteLink: this.inviteLink,
      outcome: this.outcome,
      socketClosed: this.socketClosed,
    });
  }

  wake() {
    for (const waiter of [...this.waiters]) waiter();
  }

  /**
   * Resolves once `predicate(this)` holds, checked now and after every
   * event of the socket; rejects after `timeout` ms with the state seen.
   */
  until(predicate, what, timeout = WAIT) {
    return new Promise((resolve, reject) => {
      let timer = null;
      const check = () => {
        let ok = false;
        try {
          ok = predicate(this);
        } catch {
          ok = false;
        }
        if (!ok) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this);
      };
      timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = { ...this.state(), exceptions: this.exceptions, received: this.wire.received.slice(-5) };
        reject(new Error(`timed out after ${timeout} ms waiting for ${what} (${this.player.name}); seen: ${JSON.stringify(seen)}`));
      }, timeout);
      this.waiters.add(check);
      check();
    });
  }
}

/**
 * A socket that is no socket: it opens at once, records what is sent, and
 * lets a test push server texts through the client's logic (test
 * instrumentation, to replay a recorded game with fields left out). Its
 * close() behaves as a browser's: CLOSING at once, the close event later.
 */
export class ReplaySocket {
  constructor() {
    this.readyState = 0;
    this.listeners = new Map();
    this.sentTexts = [];
    queueMicrotask(() => {
      this.readyState = OPEN;
      this.emit('open');
    });
  }

  on(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(listener);
  }

  emit(event, ...args) {
    for (const listener of this.listeners.get(event) || []) listener(...args);
  }

  send(text) {
    this.sentTexts.push(text);
  }

  close(code = 1005) {
    if (this.readyState !== OPEN) return;
    this.readyState = 2;
    setImmediate(() => {
      this.readyState = 3;
      this.emit('close', code);
    });
  }

  /** The server "sends" `text`. */
  deliver(text) {
    this.emit('message', Buffer.from(text), false);
  }
}
