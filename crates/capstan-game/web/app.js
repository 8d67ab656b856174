// TikzTakz on Capstan: the browser client. Plain JavaScript, no build step.
// The protocol is docs/game-protocol.md; it rides a session-mode connection
// (docs/SESSIONS.md) that survives network cuts: CapstanSocket resumes it
// with nothing lost. When a session ends anyway (a page reload, a long
// absence, a server restart), a new one takes the seat back with
// `resume_game` and the token this tab keeps in sessionStorage.
// Every name and every text from the server is inserted with textContent,
// never as HTML.
import { CapstanSocket } from '/capstan.js';

(() => {
  'use strict';

  const SIZE = 20;
  const LIST_REFRESH_MS = 3000;
  const CLOCK_TICK_MS = 200;
  const ERROR_SHOW_MS = 12000;
  const LOG_MAX = 60;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 10000;
  const KEY = {
    name: 'tikztakz.name', // localStorage: the last name the server took
    playerKey: 'tikztakz.player_key', // localStorage: the rating key
    seat: 'tikztakz.seat', // sessionStorage: { token, game_id } of the seat this tab holds
    watch: 'tikztakz.watch', // sessionStorage: the game this tab watches
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------- storage

  function read(storage, key) {
    try {
      const raw = storage.getItem(key);
      return raw == null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  }

  function write(storage, key, value) {
    try {
      if (value == null) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: this page still works.
    }
  }

  const local = {
    get: (key) => read(window.localStorage, key),
    set: (key, value) => write(window.localStorage, key, value),
  };
  const perTab = {
    get: (key) => read(window.sessionStorage, key),
    set: (key, value) => write(window.sessionStorage, key, value),
  };

  /** The rating key: 32 random letters and digits, made once per browser. */
  function playerKey() {
    let key = local.get(KEY.playerKey);
    if (typeof key !== 'string' || !/^[A-Za-z0-9]{32}$/.test(key)) {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
      key = '';
      while (key.length < 32) {
        for (const b of crypto.getRandomValues(new Uint8Array(48))) {
          // 248 = 4 × 62: no bias.
          if (b < 248 && key.length < 32) key += alphabet[b % 62];
        }
      }
      local.set(KEY.playerKey, key);
    }
    return key;
  }

  function savedSeat() {
    const seat = perTab.get(KEY.seat);
    return seat && typeof seat.token === 'string' && /^[0-9a-f]{16,128}$/.test(seat.token) ? seat : null;
  }

  function savedWatch() {
    const id = perTab.get(KEY.watch);
    return typeof id === 'string' && id ? id : null;
  }

  // --------------------------------------------------------------- state

  const S = {
    view: 'lobby',
    conn: 'connecting',
    game: null, // see newGame
    pending: null, // what the next answer is for: 'join', 'resume', 'watch'
    replay: null, // { id, record, moves, step }
  };

  function newGame(fields) {
    return {
      id: null,
      public: true,
      role: 'player', // or 'spectator'
      me: null, // { player_id, symbol }
      players: { X: null, O: null }, // PLAYER views
      board: new Array(SIZE * SIZE).fill(null),
      moves: [],
      last: null, // { x, y }
      onTurn: null, // a player_id
      state: 'waiting', // 'playing', 'ended'
      clocks: null, // CLOCKS, as received
      clocksAt: 0, // performance.now() when received
      timeControl: null, // { game_ms, move_ms }
      ending: null, // end_of_game_resp's data
      pendingMove: null, // { x, y } sent, not answered
      opponentGone: false, // after the end: no rematch possible
      rematchAsked: false,
      rematchOffered: false,
      away: null, // { player_id, until } while the opponent is away
      ratingsBefore: null,
      ...fields,
    };
  }

  const idx = (x, y) => x * SIZE + y;
  const onBoard = (x, y) => Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < SIZE && y < SIZE;
  const otherSymbol = (s) => (s === 'X' ? 'O' : 'X');

  function playerById(g, id) {
    if (!id) return null;
    for (const s of ['X', 'O']) if (g.players[s] && g.players[s].player_id === id) return g.players[s];
    return null;
  }

  function setPlayers(g, list) {
    if (!Array.isArray(list)) return;
    for (const p of list) {
      if (p && (p.symbol === 'X' || p.symbol === 'O')) g.players[p.symbol] = p;
    }
  }

  const nameOf = (p) => (p && typeof p.player_name === 'string' ? p.player_name : '…');

  // ---------------------------------------------------------- connection

  let sock = null;
  let reconnectTimer = null;
  let sessionsFailed = 0;
  let stopped = false; // the seat was taken back elsewhere: wait for the user
  let lastClose = null; // how the last session ended (for tests)
  let seatLosses = []; // when sessions holding a seat ended as unknown (4404)

  function sessionUrl() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/session`;
  }

  function setConn(state) {
    S.conn = state;
    const badge = $('conn');
    badge.dataset.state = state;
    badge.textContent = state;
    document.body.dataset.conn = state;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (sock) return;
    let s;
    try {
      s = new CapstanSocket(sessionUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    sock = s;
    setConn(sessionsFailed > 0 ? 'reconnecting' : 'connecting');
    s.onopen = () => {
      if (sock !== s) return;
      sessionsFailed = 0;
      setConn('connected');
      takeBackPlace();
    };
    s.addEventListener('reconnecting', () => {
      if (sock === s) setConn('reconnecting');
    });
    s.addEventListener('transport', () => {
      if (sock === s && s.readyState === CapstanSocket.OPEN) setConn('connected');
    });
    s.onmessage = (event) => {
      if (sock !== s || typeof event.data !== 'string') return;
      let envelope;
      try {
        envelope = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!envelope || typeof envelope.type !== 'string') return;
      try {
        handle(envelope);
      } catch (err) {
        console.error('tikztakz: cannot handle', envelope.type, err);
      }
    };
    s.onerror = () => {}; // a close event follows
    s.onclose = (event) => {
      if (sock !== s) return;
      sock = null;
      lastClose = { code: event.code, reason: event.reason };
      S.pending = null;
      if (S.game) S.game.pendingMove = null;
      // The application closed the session: with a game, the seat went to
      // another connection (another tab resumed it). Do not fight for it.
      if (event.code === 1000 && event.reason) {
        stopped = true;
        $('stopped-text').textContent = `Disconnected: ${event.reason}.`;
        $('stopped').hidden = false;
        setConn('offline');
        render();
        return;
      }
      // A seat taken back by another connection ends this session with
      // 1000 and a reason (above). Should sessions holding a seat still
      // keep ending as unknown (4404) at once, another window is fighting
      // for it: give it up, and let the user decide.
      const now = Date.now();
      if (event.code === 4404 && savedSeat()) {
        seatLosses = seatLosses.filter((t) => now - t < 60000);
        seatLosses.push(now);
        if (seatLosses.length >= 3) {
          seatLosses = [];
          yieldSeat('This game seems to continue in another window.');
          return;
        }
      }
      sessionsFailed += 1;
      setConn('reconnecting');
      scheduleReconnect();
      render();
    };
  }

  // Tabs of this browser that hold the same seat (a duplicated tab copies
  // sessionStorage): the one that took the seat last keeps it, the others
  // stop instead of taking it back in turn.
  const TAB = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let channel = null;
  try {
    channel = new BroadcastChannel('tikztakz');
    channel.onmessage = (event) => {
      const m = event.data;
      const seat = savedSeat();
      if (m && m.kind === 'seat' && m.tab !== TAB && seat && seat.token === m.token && !stopped) yieldSeat();
    };
  } catch {
    channel = null;
  }

  function announceSeat(token) {
    try {
      if (channel) channel.postMessage({ kind: 'seat', token, tab: TAB });
    } catch {
      // no other tabs to tell
    }
  }

  function yieldSeat(why) {
    stopped = true;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    const s = sock;
    sock = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = null;
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    S.pending = null;
    $('stopped-text').textContent = typeof why === 'string' ? why : 'This game continues in another tab.';
    $('stopped').hidden = false;
    setConn('offline');
    render();
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(sessionsFailed, 10));
    reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** A new session: take back the seat (or the game watched) this tab had. */
  function takeBackPlace() {
    const seat = savedSeat();
    if (seat) {
      S.pending = 'resume';
      send('resume_game', { token: seat.token });
      return;
    }
    const watched = savedWatch() || (S.game && S.game.role === 'spectator' ? S.game.id : null);
    if (watched) {
      S.pending = 'watch';
      send('watch_game', { game_id: watched });
    }
  }

  /** Sends a message; while the session is cut, CapstanSocket keeps it. */
  function send(type, data) {
    if (!sock || sock.readyState > CapstanSocket.OPEN) {
      showError('Not connected to the server. Trying again…');
      return false;
    }
    try {
      sock.send(JSON.stringify({ type, data: data || {} }));
      return true;
    } catch (err) {
      showError(`Could not send: ${err && err.message ? err.message : err}`);
      return false;
    }
  }

  // ------------------------------------------------------------ messages

  function handle(envelope) {
    const { type } = envelope;
    const data = envelope.data && typeof envelope.data === 'object' ? envelope.data : {};
    const message = typeof envelope.message === 'string' ? envelope.message : '';
    switch (type) {
      case 'create_player_resp':
      case 'rematch_resp':
        return seated(data, type === 'rematch_resp', message);
      case 'resume_game_resp':
        return snapshot(data, 'player');
      case 'watch_game_resp':
        return snapshot(data, 'spectator');
      case 'info_resp':
        return gameLog(message);
      case 'start_game_resp':
        return started(data, message);
      case 'add_move_resp':
        return moved(data, message);
      case 'end_of_game_resp':
        return ended(data, message);
      case 'disconnect_player_resp':
        return left(message);
      case 'opponent_away':
        return away(data, message);
      case 'opponent_back':
        return back(data, message);
      case 'rematch_offer':
        return rematchOffer(data, message);
      case 'error':
        return refused(typeof data.message === 'string' ? data.message : 'Error');
      default:
        return undefined; // a message type this client does not know
    }
  }

  /** `create_player_resp` / `rematch_resp`: a seat at a (new) game. */
  function seated(d, rematch, message) {
    if (typeof d.game_id !== 'string' || typeof d.player_id !== 'string') return;
    S.pending = null;
    const symbol = d.symbol === 'O' ? 'O' : 'X';
    const g = newGame({
      id: d.game_id,
      public: d.game_public === true,
      role: 'player',
      me: { player_id: d.player_id, symbol },
      timeControl: d.time_control || null,
    });
    g.players[symbol] = { player_id: d.player_id, player_name: d.player_name, symbol, rating: null, bot: false, connected: true };
    if (Array.isArray(d.opponents) && typeof d.opponents[0] === 'string') {
      const other = otherSymbol(symbol);
      g.players[other] = { player_id: null, player_name: d.opponents[0], symbol: other, rating: null, bot: false, connected: true };
    }
    if (rematch && S.game) {
      // Keep the log of the game before.
      g.log = S.game.log;
    }
    S.game = g;
    if (typeof d.resume_token === 'string') perTab.set(KEY.seat, { token: d.resume_token, game_id: d.game_id });
    perTab.set(KEY.watch, null);
    if (typeof d.player_name === 'string') {
      local.set(KEY.name, d.player_name);
      showMe(d.player_name);
    }
    // An invite link has done its work.
    if (new URLSearchParams(location.search).has('game_id')) history.replaceState(null, '', location.pathname);
    gameLog(rematch ? 'Rematch: colours swapped.' : message);
    showView('game');
  }

  /** `resume_game_resp` / `watch_game_resp`: the whole game at once. */
  function snapshot(d, role) {
    if (typeof d.game_id !== 'string') return;
    S.pending = null;
    const invite = new URLSearchParams(location.search).get('game_id');
    if (role === 'player' && d.state === 'ended' && invite && invite !== d.game_id) {
      // Opened an invite link while this tab still sat at a game that is
      // over: leave that one, for the game of the invite.
      send('disconnect_player', {});
      perTab.set(KEY.seat, null);
      S.game = null;
      showView('lobby');
      return;
    }
    const old = S.game && S.game.id === d.game_id ? S.game : null;
    const g = newGame({ id: d.game_id, public: d.game_public === true, role, log: old ? old.log : undefined });
    setPlayers(g, d.players);
    if (role === 'player' && d.you && typeof d.you.player_id === 'string') {
      g.me = { player_id: d.you.player_id, symbol: d.you.symbol === 'O' ? 'O' : 'X' };
      if (typeof d.you.resume_token === 'string') {
        perTab.set(KEY.seat, { token: d.you.resume_token, game_id: d.game_id });
        announceSeat(d.you.resume_token);
      }
      const mine = g.players[g.me.symbol];
      if (mine) showMe(mine.player_name);
    }
    for (const m of Array.isArray(d.moves) ? d.moves : []) {
      if (m && onBoard(m.x, m.y)) {
        g.board[idx(m.x, m.y)] = m.symbol === 'O' ? 'O' : 'X';
        g.moves.push({ x: m.x, y: m.y, symbol: m.symbol });
      }
    }
    const last = g.moves[g.moves.length - 1];
    g.last = last ? { x: last.x, y: last.y } : null;
    g.state = ['waiting', 'playing', 'ended'].includes(d.state) ? d.state : 'playing';
    g.onTurn = typeof d.player_on_turn === 'string' ? d.player_on_turn : null;
    setClocks(g, d.clocks);
    if (d.ending && typeof d.ending === 'object') {
      g.ending = d.ending;
      g.state = 'ended';
      applyRatings(g, d.ending.ratings);
    }
    if (g.state === 'ended' && role === 'player' && g.me) {
      const other = g.players[otherSymbol(g.me.symbol)];
      g.opponentGone = !other || (!other.bot && !other.connected);
    }
    for (const s of ['X', 'O']) {
      const p = g.players[s];
      if (p && !p.connected && !p.bot && g.state === 'playing' && (!g.me || p.player_id !== g.me.player_id)) {
        g.away = { player_id: p.player_id, until: null };
      }
    }
    S.game = g;
    if (role === 'spectator') perTab.set(KEY.watch, d.game_id);
    gameLog(role === 'player' ? 'Back in the game.' : `Watching ${nameOf(g.players.X)} vs ${nameOf(g.players.O)}.`);
    showView('game');
  }

  function started(d, message) {
    const g = S.game;
    if (!g || (typeof d.game_id === 'string' && d.game_id !== g.id)) return;
    setPlayers(g, d.players);
    g.state = 'playing';
    g.onTurn = typeof d.player_on_turn === 'string' ? d.player_on_turn : null;
    setClocks(g, d.clocks);
    gameLog(message);
    render();
  }

  function moved(d, message) {
    const g = S.game;
    if (!g || !d.coords) return;
    const { x, y } = d.coords;
    if (!onBoard(x, y)) return;
    const number = Number.isInteger(d.move_number) ? d.move_number : g.moves.length + 1;
    if (number <= g.moves.length) return; // seen already
    if (number > g.moves.length + 1) {
      // Something was missed: ask for the whole game again.
      resync();
      return;
    }
    const symbol = d.symbol === 'O' ? 'O' : 'X';
    g.board[idx(x, y)] = symbol;
    g.moves.push({ x, y, symbol });
    g.last = { x, y };
    g.onTurn = typeof d.player_on_turn === 'string' ? d.player_on_turn : null;
    g.pendingMove = null;
    setClocks(g, d.clocks);
    gameLog(message);
    render();
  }

  function ended(d, message) {
    const g = S.game;
    if (!g) return;
    freezeClocks(g);
    g.state = 'ended';
    g.ending = d;
    g.onTurn = null;
    g.pendingMove = null;
    g.away = null;
    if (d.reason === 'forfeit' && g.me && d.winner_id === g.me.player_id) g.opponentGone = true;
    applyRatings(g, d.ratings);
    gameLog(message);
    render();
  }

  function left(message) {
    const g = S.game;
    if (!g) return;
    // Only the others get it here (this page forgets a game it leaves):
    // there is no rematch with someone who left.
    g.opponentGone = true;
    g.rematchOffered = false;
    gameLog(message);
    render();
  }

  function away(d, message) {
    const g = S.game;
    if (!g) return;
    const p = playerById(g, d.player_id);
    if (p) p.connected = false;
    const grace = Number.isFinite(d.grace_ms) ? d.grace_ms : null;
    g.away = { player_id: d.player_id, until: grace != null ? performance.now() + grace : null };
    gameLog(message);
    render();
  }

  function back(d, message) {
    const g = S.game;
    if (!g) return;
    const p = playerById(g, d.player_id);
    if (p) p.connected = true;
    if (g.away && g.away.player_id === d.player_id) g.away = null;
    gameLog(message);
    render();
  }

  function rematchOffer(d, message) {
    const g = S.game;
    if (!g || g.role !== 'player') return;
    g.rematchOffered = true;
    gameLog(message);
    render();
  }

  function refused(text) {
    const pending = S.pending;
    S.pending = null;
    if (pending === 'resume' && /resume/i.test(text)) {
      // The game this tab sat at is over and gone: back to the lobby.
      perTab.set(KEY.seat, null);
      if (S.game && S.game.role === 'player' && S.game.state !== 'ended') S.game = null;
      if (!S.game && S.view === 'game') showView('lobby');
      else render();
      return;
    }
    if (pending === 'watch') {
      perTab.set(KEY.watch, null);
      if (S.game && S.game.role === 'spectator') {
        S.game = null;
        showView('lobby');
      }
    }
    if (S.game && S.game.pendingMove) {
      S.game.pendingMove = null;
      render();
    }
    showError(text);
    if (S.game) gameLog(text, 'error');
    render();
  }

  function resync() {
    const g = S.game;
    if (!g) return;
    const seat = savedSeat();
    if (g.role === 'player' && seat) {
      S.pending = 'resume';
      send('resume_game', { token: seat.token });
    } else if (g.role === 'spectator') {
      S.pending = 'watch';
      send('watch_game', { game_id: g.id });
    }
  }

  function setClocks(g, clocks) {
    if (!clocks || typeof clocks !== 'object') return;
    g.clocks = {
      x_ms: Number(clocks.x_ms) || 0,
      o_ms: Number(clocks.o_ms) || 0,
      move_ms: clocks.move_ms == null ? null : Number(clocks.move_ms) || 0,
      running: clocks.running === 'X' || clocks.running === 'O' ? clocks.running : null,
    };
    g.clocksAt = performance.now();
  }

  /** The clocks now, counted down locally from the last CLOCKS received. */
  function clocksNow(g) {
    const c = g.clocks;
    if (!c) {
      const full = g.timeControl ? g.timeControl.game_ms : null;
      return { X: full, O: full, move: null, running: null };
    }
    const spent = c.running ? performance.now() - g.clocksAt : 0;
    const left = (ms, runs) => Math.max(0, ms - (runs ? spent : 0));
    return {
      X: left(c.x_ms, c.running === 'X'),
      O: left(c.o_ms, c.running === 'O'),
      move: c.move_ms == null || !c.running ? null : left(c.move_ms, true),
      running: c.running,
    };
  }

  function freezeClocks(g) {
    if (!g.clocks) return;
    const now = clocksNow(g);
    g.clocks = { x_ms: now.X, o_ms: now.O, move_ms: null, running: null };
    g.clocksAt = performance.now();
  }

  function applyRatings(g, ratings) {
    if (!Array.isArray(ratings) || ratings.length !== 2) return;
    g.ratingsBefore = { X: g.players.X ? g.players.X.rating : null, O: g.players.O ? g.players.O.rating : null };
    if (g.players.X) g.players.X.rating = ratings[0];
    if (g.players.O) g.players.O.rating = ratings[1];
  }

  // ------------------------------------------------------------- actions

  function chosenName() {
    return $('name').value;
  }

  function join(extra) {
    if (S.pending) return;
    const name = chosenName();
    if (!name.trim()) {
      showError('Please enter your name first.');
      $('name').focus();
      return;
    }
    hideError();
    const data = { player_name: name, player_key: playerKey(), ...extra };
    // A seat at the game before, over, is left by the server; this tab
    // forgets it.
    perTab.set(KEY.watch, null);
    if (send('create_player', data)) S.pending = 'join';
    renderLobbyButtons();
  }

  function play(x, y) {
    const g = S.game;
    if (!canPlay(g) || g.board[idx(x, y)] || g.pendingMove) return;
    if (send('add_move', { coords: { x, y } })) {
      g.pendingMove = { x, y };
      render();
    }
  }

  function canPlay(g) {
    return !!(g && g.role === 'player' && g.me && g.state === 'playing' && g.onTurn === g.me.player_id && S.conn !== 'offline');
  }

  let resignArmed = null;
  function resign() {
    const g = S.game;
    if (!g || g.role !== 'player' || g.state !== 'playing') return;
    if (!resignArmed) {
      // A second click within a few seconds confirms (no modal dialog).
      $('resign').textContent = 'Really resign?';
      $('resign').classList.add('armed');
      resignArmed = setTimeout(disarmResign, 4000);
      return;
    }
    disarmResign();
    send('resign', {});
  }

  function disarmResign() {
    clearTimeout(resignArmed);
    resignArmed = null;
    $('resign').textContent = 'Resign';
    $('resign').classList.remove('armed');
  }

  function rematch() {
    const g = S.game;
    if (!g || g.role !== 'player' || g.state !== 'ended' || g.opponentGone || g.rematchAsked) return;
    if (send('rematch', {})) {
      g.rematchAsked = true;
      render();
    }
  }

  function leave() {
    const g = S.game;
    if (g && g.role === 'player' && g.state !== 'playing') send('disconnect_player', {});
    // A spectator stops the game's events.
    if (g && g.role === 'spectator') send('unwatch_game', {});
    S.game = null;
    perTab.set(KEY.seat, null);
    perTab.set(KEY.watch, null);
    showView('lobby');
  }

  function watch(gameId) {
    if (S.pending || typeof gameId !== 'string') return;
    hideError();
    if (send('watch_game', { game_id: gameId })) S.pending = 'watch';
  }

  // ------------------------------------------------------------ the board

  /** A 20×20 grid of cells in `container`; `onPick(x, y)` when one is chosen. */
  function makeBoard(container, onPick) {
    const cells = [];
    const shown = []; // what each cell shows now: 'X', 'O' or ''
    let focus = idx(Math.floor(SIZE / 2) - 1, Math.floor(SIZE / 2) - 1);
    container.textContent = '';
    const frag = document.createDocumentFragment();
    for (let x = 0; x < SIZE; x++) {
      const row = document.createElement('div');
      row.className = 'row';
      row.setAttribute('role', 'row');
      for (let y = 0; y < SIZE; y++) {
        const cell = document.createElement('div');
        cell.className = 'cell';
        cell.dataset.x = String(x);
        cell.dataset.y = String(y);
        cell.setAttribute('role', 'gridcell');
        cell.setAttribute('aria-label', `row ${x + 1}, column ${y + 1}: empty`);
        cell.tabIndex = idx(x, y) === focus ? 0 : -1;
        row.appendChild(cell);
        cells.push(cell);
        shown.push('');
      }
      frag.appendChild(row);
    }
    container.appendChild(frag);

    const cellOf = (target) => {
      const cell = target && target.closest ? target.closest('.cell') : null;
      return cell && container.contains(cell) ? cell : null;
    };
    if (onPick) {
      container.addEventListener('click', (event) => {
        const cell = cellOf(event.target);
        if (cell) onPick(Number(cell.dataset.x), Number(cell.dataset.y));
      });
    }
    container.addEventListener('keydown', (event) => {
      const cell = cellOf(event.target);
      if (!cell) return;
      let x = Number(cell.dataset.x);
      let y = Number(cell.dataset.y);
      switch (event.key) {
        case 'ArrowUp': x = Math.max(0, x - 1); break;
        case 'ArrowDown': x = Math.min(SIZE - 1, x + 1); break;
        case 'ArrowLeft': y = Math.max(0, y - 1); break;
        case 'ArrowRight': y = Math.min(SIZE - 1, y + 1); break;
        case 'Home': y = 0; break;
        case 'End': y = SIZE - 1; break;
        case 'Enter':
        case ' ':
          if (onPick) onPick(x, y);
          event.preventDefault();
          return;
        default:
          return;
      }
      event.preventDefault();
      moveFocus(idx(x, y));
      cells[focus].focus();
    });
    function moveFocus(i) {
      cells[focus].tabIndex = -1;
      focus = i;
      cells[focus].tabIndex = 0;
    }

    /** Shows `board` (400 symbols or null), the `last` move and the `line` (a Set of indexes). */
    function paint(board, last, line, pending) {
      const lastIdx = last ? idx(last.x, last.y) : -1;
      const pendingIdx = pending ? idx(pending.x, pending.y) : -1;
      for (let i = 0; i < cells.length; i++) {
        const cell = cells[i];
        const symbol = board[i] || '';
        if (shown[i] !== symbol) {
          shown[i] = symbol;
          if (symbol) cell.dataset.symbol = symbol;
          else delete cell.dataset.symbol;
          const x = Math.floor(i / SIZE);
          const y = i % SIZE;
          cell.setAttribute('aria-label', `row ${x + 1}, column ${y + 1}: ${symbol || 'empty'}`);
        }
        cell.classList.toggle('last', i === lastIdx);
        cell.classList.toggle('win', line.has(i));
        cell.classList.toggle('pending', i === pendingIdx);
      }
    }
    return { paint, cells };
  }

  const gameBoard = { current: null };
  const replayBoard = { current: null };

  /** The cells of a five (or longer) through the last move of `board`, if any. */
  function fiveThrough(board, last) {
    if (!last) return [];
    const symbol = board[idx(last.x, last.y)];
    if (!symbol) return [];
    for (const [dx, dy] of [[0, 1], [1, 0], [1, 1], [1, -1]]) {
      const line = [{ x: last.x, y: last.y }];
      for (const sign of [1, -1]) {
        let x = last.x + sign * dx;
        let y = last.y + sign * dy;
        while (onBoard(x, y) && board[idx(x, y)] === symbol) {
          line.push({ x, y });
          x += sign * dx;
          y += sign * dy;
        }
      }
      if (line.length >= 5) return line;
    }
    return [];
  }

  const lineSet = (line) => new Set((Array.isArray(line) ? line : []).filter((c) => c && onBoard(c.x, c.y)).map((c) => idx(c.x, c.y)));

  // ------------------------------------------------------------ rendering

  function showView(view) {
    S.view = view;
    document.body.dataset.view = view;
    $('lobby').hidden = view !== 'lobby';
    $('game').hidden = view !== 'game';
    $('replay').hidden = view !== 'replay';
    if (view === 'lobby') {
      disarmResign();
      refreshLists();
      renderLobbyButtons();
    }
    render();
  }

  function showMe(name) {
    const me = $('me');
    me.textContent = name;
    me.hidden = !name;
  }

  let errorTimer = null;
  function showError(text) {
    $('error-text').textContent = text;
    $('error').hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(hideError, ERROR_SHOW_MS);
  }

  function hideError() {
    clearTimeout(errorTimer);
    $('error').hidden = true;
  }

  function gameLog(text, kind) {
    if (!text) return;
    const g = S.game;
    if (!g) return;
    if (!g.log) g.log = [];
    g.log.push({ text, kind: kind || '' });
    if (g.log.length > LOG_MAX) g.log.splice(0, g.log.length - LOG_MAX);
    g.logDirty = true;
  }

  function render() {
    renderLobbyButtons();
    if (S.view === 'game') renderGame();
  }

  function renderLobbyButtons() {
    const busy = !!S.pending;
    for (const id of ['play-public', 'play-bot', 'create-private', 'join-private']) $(id).disabled = busy;
    document.body.dataset.pending = S.pending || '';
  }

  function renderGame() {
    const g = S.game;
    const section = $('game');
    if (!g) {
      section.dataset.state = '';
      return;
    }
    section.dataset.gameId = g.id || '';
    section.dataset.state = g.state;
    section.dataset.role = g.role;
    section.dataset.symbol = g.me ? g.me.symbol : '';
    section.dataset.moves = String(g.moves.length);

    // Players and clocks.
    for (const s of ['X', 'O']) {
      const p = g.players[s];
      const card = $(`player-${s.toLowerCase()}`);
      $(`name-${s.toLowerCase()}`).textContent = p ? nameOf(p) : g.state === 'waiting' ? 'waiting…' : '…';
      const meta = [];
      if (g.me && g.me.symbol === s) meta.push('you');
      if (p && p.bot) meta.push('bot');
      if (p && typeof p.rating === 'number') meta.push(String(p.rating));
      if (p && !p.connected && !p.bot && g.state === 'playing') meta.push('away');
      $(`meta-${s.toLowerCase()}`).textContent = meta.join(' · ');
      const onTurn = g.state === 'playing' && p && p.player_id && p.player_id === g.onTurn;
      card.classList.toggle('on-turn', !!onTurn);
      card.classList.toggle('away', !!(p && !p.connected && !p.bot && g.state === 'playing'));
      card.classList.toggle('winner', !!(g.ending && p && g.ending.winner_id === p.player_id));
      card.dataset.playerId = p && p.player_id ? p.player_id : '';
    }
    renderClocks();

    // Whose turn.
    const turn = $('turn');
    const mine = canPlay(g);
    turn.dataset.mine = String(mine);
    if (g.state === 'waiting') {
      turn.textContent = 'Waiting for an opponent…';
    } else if (g.state === 'playing') {
      const p = playerById(g, g.onTurn);
      if (mine) turn.textContent = `Your turn (${g.me.symbol})`;
      else turn.textContent = p ? `${nameOf(p)}'s turn (${p.symbol})` : '…';
    } else {
      turn.textContent = 'Game over';
    }

    // Notices: the opponent away, a move sent.
    const status = $('status');
    let notice = '';
    if (g.state === 'playing' && g.away) {
      const p = playerById(g, g.away.player_id);
      const secs = g.away.until ? Math.max(0, Math.ceil((g.away.until - performance.now()) / 1000)) : null;
      notice = `${nameOf(p)} lost the connection${secs != null ? ` — ${secs} s to come back` : ''}.`;
    } else if (g.state === 'waiting' && g.role === 'player') {
      notice = g.public ? 'Looking for a player near your rating…' : 'Waiting for your opponent to open the invite link…';
    } else if (g.role === 'spectator') {
      notice = 'You are watching this game.';
    }
    if (S.conn === 'reconnecting') notice = 'Connection lost: reconnecting…';
    status.textContent = notice;
    status.hidden = !notice;
    status.dataset.kind = g.away && g.state === 'playing' ? 'away' : '';

    // The invite link of a private game.
    const inviting = g.role === 'player' && !g.public && g.state === 'waiting';
    $('invite').hidden = !inviting;
    if (inviting) {
      const link = `${location.origin}${location.pathname}?game_id=${encodeURIComponent(g.id)}`;
      if ($('invite-link').value !== link) $('invite-link').value = link;
    }

    // The result.
    const result = $('result');
    if (g.ending) {
      const r = resultOf(g);
      result.textContent = r.text;
      result.dataset.outcome = r.outcome;
      result.dataset.reason = typeof g.ending.reason === 'string' ? g.ending.reason : '';
      result.dataset.winner = r.winner || '';
      result.hidden = false;
    } else {
      result.hidden = true;
      result.textContent = '';
      result.dataset.outcome = '';
    }

    // Buttons.
    const player = g.role === 'player';
    $('resign').hidden = !(player && g.state === 'playing');
    const rematchButton = $('rematch');
    rematchButton.hidden = !(player && g.state === 'ended' && g.ending && g.ending.result !== 'aborted');
    rematchButton.disabled = g.opponentGone || g.rematchAsked;
    const opponent = g.me ? g.players[otherSymbol(g.me.symbol)] : null;
    rematchButton.textContent = g.opponentGone
      ? 'Opponent left'
      : g.rematchAsked
        ? `Waiting for ${nameOf(opponent)}…`
        : g.rematchOffered
          ? 'Accept rematch'
          : 'Rematch';
    const offer = $('rematch-offer');
    offer.hidden = !(g.rematchOffered && !g.opponentGone && g.state === 'ended');
    offer.textContent = offer.hidden ? '' : `${nameOf(opponent)} wants a rematch (colours swapped).`;
    const leaveButton = $('leave');
    leaveButton.hidden = player && g.state === 'playing';
    leaveButton.textContent = player && g.state === 'waiting' ? 'Cancel' : 'Back to lobby';

    // The board.
    const board = $('board');
    board.dataset.turn = mine ? 'mine' : 'theirs';
    board.dataset.mySymbol = g.me ? g.me.symbol : '';
    board.setAttribute('aria-disabled', String(!mine));
    gameBoard.current.paint(g.board, g.last, lineSet(g.ending && g.ending.line), g.pendingMove);

    renderLog(g);
  }

  function renderClocks() {
    const g = S.game;
    if (!g) return;
    const now = clocksNow(g);
    for (const s of ['X', 'O']) {
      const el = $(`clock-${s.toLowerCase()}`);
      const text = now[s] == null ? '--:--' : formatMs(now[s]);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle('running', now.running === s);
      el.classList.toggle('low', now[s] != null && now[s] < 30000 && g.state === 'playing');
    }
    const row = $('move-clock-row');
    row.hidden = now.move == null || g.state !== 'playing';
    const text = now.move == null ? '--' : formatMs(now.move);
    if ($('move-clock').textContent !== text) $('move-clock').textContent = text;
    $('move-clock').classList.toggle('low', now.move != null && now.move < 10000);
    if (g.away && g.state === 'playing' && g.away.until) {
      // The away countdown in the notice.
      const status = $('status');
      const p = playerById(g, g.away.player_id);
      const secs = Math.max(0, Math.ceil((g.away.until - performance.now()) / 1000));
      const notice = `${nameOf(p)} lost the connection — ${secs} s to come back.`;
      if (S.conn !== 'reconnecting' && status.textContent !== notice) status.textContent = notice;
    }
  }

  function formatMs(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const ss = String(s).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  }

  function resultOf(g) {
    const e = g.ending;
    if (e.result === 'aborted') return { outcome: 'aborted', text: 'Game aborted: the server is shutting down.' };
    if (e.result === 'draw' || !e.winner_id) return { outcome: 'draw', text: 'Draw: the board is full.' };
    const winner = playerById(g, e.winner_id);
    const loser = winner ? g.players[otherSymbol(winner.symbol)] : null;
    const w = nameOf(winner);
    const l = nameOf(loser);
    const ratingNote = () => {
      if (!g.me || !Array.isArray(e.ratings)) return '';
      const after = e.ratings[g.me.symbol === 'X' ? 0 : 1];
      const before = g.ratingsBefore ? g.ratingsBefore[g.me.symbol] : null;
      if (typeof after !== 'number') return '';
      const delta = typeof before === 'number' ? after - before : null;
      return ` Your rating: ${after}${delta != null ? ` (${delta >= 0 ? '+' : '−'}${Math.abs(delta)})` : ''}.`;
    };
    if (g.role === 'player' && g.me) {
      if (e.winner_id === g.me.player_id) {
        const how = {
          five: 'You win with five in a row!',
          time: `You win on time: ${l} ran out of time.`,
          forfeit: `You win: ${l} left the game.`,
          resigned: `You win: ${l} resigned.`,
        }[e.reason] || 'You win!';
        return { outcome: 'win', winner: winner && winner.symbol, text: how + ratingNote() };
      }
      const how = {
        five: `You lose: ${w} made five in a row.`,
        time: 'You lose on time.',
        forfeit: 'You lose: you left the game.',
        resigned: 'You resigned.',
      }[e.reason] || `You lose: ${w} won.`;
      return { outcome: 'lose', winner: winner && winner.symbol, text: how + ratingNote() };
    }
    const sym = winner ? ` (${winner.symbol})` : '';
    const how = {
      five: `${w}${sym} wins with five in a row.`,
      time: `${w}${sym} wins on time.`,
      forfeit: `${w}${sym} wins: ${l} left the game.`,
      resigned: `${w}${sym} wins: ${l} resigned.`,
    }[e.reason] || `${w}${sym} wins.`;
    return { outcome: 'win', winner: winner && winner.symbol, text: how };
  }

  function renderLog(g) {
    if (!g.logDirty && $('log').dataset.gameId === g.id) return;
    g.logDirty = false;
    const list = $('log');
    list.dataset.gameId = g.id;
    list.textContent = '';
    for (const entry of g.log || []) {
      const li = document.createElement('li');
      li.textContent = entry.text;
      if (entry.kind) li.className = entry.kind;
      list.appendChild(li);
    }
    list.scrollTop = list.scrollHeight;
  }

  // --------------------------------------------------------------- lobby

  let listsTimer = null;
  let listsBusy = false;
  const lastLists = { lobby: null, leaderboard: null, games: null };

  async function fetchText(path) {
    const response = await fetch(path, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.text();
  }

  async function refreshLists() {
    if (listsBusy || S.view !== 'lobby' || document.visibilityState === 'hidden') return;
    listsBusy = true;
    try {
      const [lobby, leaders, games] = await Promise.allSettled([
        fetchText('/api/lobby'),
        fetchText('/api/leaderboard'),
        fetchText('/api/games'),
      ]);
      if (lobby.status === 'fulfilled' && lobby.value !== lastLists.lobby) {
        lastLists.lobby = lobby.value;
        renderOpenGames(parseList(lobby.value));
      }
      if (leaders.status === 'fulfilled' && leaders.value !== lastLists.leaderboard) {
        lastLists.leaderboard = leaders.value;
        renderLeaderboard(parseList(leaders.value));
      }
      if (games.status === 'fulfilled' && games.value !== lastLists.games) {
        lastLists.games = games.value;
        renderRecent(parseList(games.value));
      }
    } finally {
      listsBusy = false;
    }
  }

  function parseList(text) {
    try {
      const value = JSON.parse(text);
      return Array.isArray(value) ? value : [];
    } catch {
      return [];
    }
  }

  function textSpan(className, text) {
    const span = document.createElement('span');
    span.className = className;
    span.textContent = text;
    return span;
  }

  function button(text, className, dataset) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = className;
    b.textContent = text;
    Object.assign(b.dataset, dataset);
    return b;
  }

  function renderOpenGames(list) {
    const ul = $('open-games');
    ul.textContent = '';
    for (const entry of list) {
      if (!entry || typeof entry.game_id !== 'string') continue;
      const li = document.createElement('li');
      li.className = 'open-game';
      li.dataset.gameId = entry.game_id;
      li.dataset.state = entry.state === 'playing' ? 'playing' : 'waiting';
      const players = Array.isArray(entry.players) ? entry.players : [];
      const x = players.find((p) => p && p.symbol === 'X');
      const o = players.find((p) => p && p.symbol === 'O');
      const who = document.createElement('span');
      who.className = 'who';
      who.append(textSpan('pname', nameOf(x)));
      if (entry.state === 'playing') {
        who.append(textSpan('vs', ' vs '), textSpan('pname', nameOf(o)));
      }
      const meta = entry.state === 'playing'
        ? `${entry.moves | 0} moves${entry.spectators ? ` · ${entry.spectators} watching` : ''}`
        : 'waiting for an opponent';
      li.append(who, textSpan('meta', meta), button('Watch', 'watch', { gameId: entry.game_id }));
      ul.appendChild(li);
    }
    $('open-games-empty').hidden = ul.childElementCount > 0;
  }

  function renderLeaderboard(list) {
    const body = $('leaderboard-body');
    body.textContent = '';
    list.slice(0, 20).forEach((row, i) => {
      if (!row || typeof row.name !== 'string') return;
      const tr = document.createElement('tr');
      tr.className = 'leader';
      tr.dataset.name = row.name;
      for (const text of [String(i + 1), row.name, String(row.rating | 0), `${row.wins | 0}/${row.draws | 0}/${row.losses | 0}`]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    });
    $('leaderboard').hidden = body.childElementCount === 0;
    $('leaderboard-empty').hidden = body.childElementCount > 0;
  }

  function summaryText(game) {
    const x = game.x_name || '?';
    const o = game.o_name || '?';
    const reason = { five: 'five in a row', time: 'on time', forfeit: 'opponent left', resigned: 'resigned' }[game.reason] || '';
    if (game.result === 'draw') return 'draw';
    if (game.result === 'aborted') return 'aborted';
    if (game.winner === 'X' || game.winner === 'O') return `${game.winner === 'X' ? x : o} won${reason ? ` (${reason})` : ''}`;
    return 'in play';
  }

  function renderRecent(list) {
    const ul = $('recent-games');
    ul.textContent = '';
    for (const game of list.slice(0, 20)) {
      if (!game || typeof game.game_id !== 'string') continue;
      const li = document.createElement('li');
      li.className = 'recent-game';
      li.dataset.gameId = game.game_id;
      const who = document.createElement('span');
      who.className = 'who';
      who.append(textSpan('pname', game.x_name || '?'), textSpan('vs', ' vs '), textSpan('pname', game.o_name || '?'));
      const moves = typeof game.move_count === 'number' ? game.move_count : 0;
      li.append(who, textSpan('meta', `${summaryText(game)} · ${moves} moves`), button('Replay', 'replay', { gameId: game.game_id }));
      ul.appendChild(li);
    }
    $('recent-games-empty').hidden = ul.childElementCount > 0;
  }

  // -------------------------------------------------------------- replay

  async function openReplay(id, push) {
    if (push) history.pushState({ replay: id }, '', `${location.pathname}?replay=${encodeURIComponent(id)}`);
    S.replay = { id, record: null, moves: [], step: 0, loading: true };
    showView('replay');
    renderReplay();
    let record = null;
    let failure = null;
    try {
      const response = await fetch(`/api/games/${encodeURIComponent(id)}`, { cache: 'no-store' });
      if (response.status === 404) failure = 'No such game.';
      else if (!response.ok) failure = `The game could not be loaded (HTTP ${response.status}).`;
      else record = await response.json();
    } catch {
      failure = 'The game could not be loaded.';
    }
    if (!S.replay || S.replay.id !== id) return;
    if (failure || !record || typeof record !== 'object') {
      S.replay = { id, record: null, moves: [], step: 0, loading: false, failure: failure || 'No such game.' };
      renderReplay();
      return;
    }
    // `moves` is the list of moves here (the summary's count shares the
    // name; JSON.parse keeps the list, which comes last).
    const moves = (Array.isArray(record.moves) ? record.moves : []).filter((m) => m && onBoard(m.x, m.y));
    S.replay = { id, record, moves, step: moves.length, loading: false };
    renderReplay();
  }

  function stepReplay(to) {
    const r = S.replay;
    if (!r || r.loading) return;
    r.step = Math.max(0, Math.min(r.moves.length, to));
    renderReplay();
  }

  function renderReplay() {
    const r = S.replay;
    if (!r) return;
    const section = $('replay');
    section.dataset.gameId = r.id;
    const board = new Array(SIZE * SIZE).fill(null);
    for (const m of r.moves.slice(0, r.step)) board[idx(m.x, m.y)] = m.symbol === 'O' ? 'O' : 'X';
    const lastMove = r.step > 0 ? r.moves[r.step - 1] : null;
    const last = lastMove ? { x: lastMove.x, y: lastMove.y } : null;
    const rec = r.record;
    const atEnd = r.step === r.moves.length;
    const line = rec && rec.reason === 'five' && atEnd ? fiveThrough(board, last) : [];
    replayBoard.current.paint(board, last, lineSet(line), null);
    section.dataset.step = String(r.step);
    section.dataset.total = String(r.moves.length);
    if (r.loading) {
      $('replay-title').textContent = 'Loading the game…';
      $('replay-result').textContent = '';
    } else if (!rec) {
      $('replay-title').textContent = 'Replay';
      $('replay-result').textContent = r.failure || '';
    } else {
      $('replay-title').textContent = `${rec.x_name || '?'} (X) vs ${rec.o_name || '?'} (O)`;
      const when = Number.isFinite(rec.started_at_ms) ? new Date(rec.started_at_ms).toLocaleString() : '';
      $('replay-result').textContent = `${summaryText(rec)}${when ? ` · ${when}` : ''}`;
    }
    const step = $('replay-step');
    step.textContent = r.moves.length ? `Move ${r.step} of ${r.moves.length}` : 'No moves';
    $('replay-first').disabled = r.step === 0;
    $('replay-prev').disabled = r.step === 0;
    $('replay-next').disabled = r.step >= r.moves.length;
    $('replay-last').disabled = r.step >= r.moves.length;
  }

  function leaveReplay() {
    S.replay = null;
    if (location.search) history.pushState(null, '', location.pathname);
    showView(S.game ? 'game' : 'lobby');
  }

  // ----------------------------------------------------------------- init

  function routeFromUrl() {
    const params = new URLSearchParams(location.search);
    const replay = params.get('replay');
    if (replay) {
      openReplay(replay, false);
      return;
    }
    const invite = params.get('game_id');
    if (invite) {
      $('join-id').value = invite;
      $('invited').hidden = false;
    }
    S.replay = null;
    showView(S.game ? 'game' : 'lobby');
  }

  function init() {
    gameBoard.current = makeBoard($('board'), play);
    replayBoard.current = makeBoard($('replay-board'), null);

    const name = local.get(KEY.name);
    if (typeof name === 'string') $('name').value = name;

    $('play-public').addEventListener('click', () => join({ game_public: true }));
    $('play-bot').addEventListener('click', () => join({ game_public: false, opponent: 'bot' }));
    $('create-private').addEventListener('click', () => join({ game_public: false, game_id: '' }));
    $('join-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const id = $('join-id').value.trim();
      if (!id) {
        showError('Paste the id of the game (or open the invite link).');
        $('join-id').focus();
        return;
      }
      join({ game_public: false, game_id: id });
    });
    $('name-form').addEventListener('submit', (event) => {
      event.preventDefault();
      join({ game_public: true });
    });
    $('open-games').addEventListener('click', (event) => {
      const b = event.target.closest('button.watch');
      if (b) watch(b.dataset.gameId);
    });
    $('recent-games').addEventListener('click', (event) => {
      const b = event.target.closest('button.replay');
      if (b) openReplay(b.dataset.gameId, true);
    });
    $('resign').addEventListener('click', resign);
    $('rematch').addEventListener('click', rematch);
    $('leave').addEventListener('click', leave);
    $('copy-invite').addEventListener('click', copyInvite);
    $('invite-link').addEventListener('focus', (event) => event.target.select());
    $('error-close').addEventListener('click', hideError);
    $('reconnect').addEventListener('click', () => {
      stopped = false;
      $('stopped').hidden = true;
      connect();
    });
    $('home').addEventListener('click', (event) => {
      // In a game, the brand does not leave it (use the buttons); elsewhere it is the lobby.
      event.preventDefault();
      const g = S.game;
      if (S.view === 'replay') leaveReplay();
      else if (!g) showView('lobby');
      else if (g.role === 'spectator' || g.state === 'ended') leave();
      // A game being played (or waited for) is left with its own buttons.
    });
    $('replay-first').addEventListener('click', () => stepReplay(0));
    $('replay-prev').addEventListener('click', () => stepReplay(S.replay ? S.replay.step - 1 : 0));
    $('replay-next').addEventListener('click', () => stepReplay(S.replay ? S.replay.step + 1 : 0));
    $('replay-last').addEventListener('click', () => stepReplay(S.replay ? S.replay.moves.length : 0));
    $('replay-back').addEventListener('click', leaveReplay);
    document.addEventListener('keydown', (event) => {
      if (S.view !== 'replay' || event.target.closest('input, textarea')) return;
      const r = S.replay;
      if (!r) return;
      const to = { ArrowLeft: r.step - 1, ArrowRight: r.step + 1, Home: 0, End: r.moves.length }[event.key];
      if (to !== undefined) {
        event.preventDefault();
        stepReplay(to);
      }
    });
    window.addEventListener('popstate', routeFromUrl);

    // A page going away in the middle of a game ends its session, so that
    // the opponent is told at once that this player is away (a reload
    // takes the seat back within the grace period). Otherwise the browser
    // only detaches the session: a waiting game (an invite sent) or one
    // that ended (a rematch to come) is still there after a reload.
    window.addEventListener('pagehide', () => {
      const g = S.game;
      if (!g || g.role !== 'player' || g.state !== 'playing') return;
      const s = sock;
      sock = null;
      if (s) {
        s.onclose = s.onmessage = s.onopen = null;
        try {
          s.close();
        } catch {
          // already closing
        }
      }
    });
    window.addEventListener('pageshow', (event) => {
      if (event.persisted && !sock && !stopped) connect();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && S.view === 'lobby') refreshLists();
    });

    setInterval(() => {
      if (S.view === 'game' && S.game) renderClocks();
    }, CLOCK_TICK_MS);
    listsTimer = setInterval(refreshLists, LIST_REFRESH_MS);

    routeFromUrl();
    connect();
  }

  async function copyInvite() {
    const input = $('invite-link');
    const done = () => {
      $('copy-invite').textContent = 'Copied';
      setTimeout(() => ($('copy-invite').textContent = 'Copy'), 1500);
    };
    try {
      await navigator.clipboard.writeText(input.value);
      done();
    } catch {
      input.focus();
      input.select();
      try {
        if (document.execCommand('copy')) done();
      } catch {
        // The link is selected: the user copies it.
      }
    }
  }

  // For tests and the curious: what the page knows, read-only.
  window.tikztakz = {
    view: () => S.view,
    conn: () => S.conn,
    pending: () => S.pending,
    game: () =>
      S.game && {
        id: S.game.id,
        role: S.game.role,
        state: S.game.state,
        symbol: S.game.me ? S.game.me.symbol : null,
        moves: S.game.moves.map((m) => ({ ...m })),
        onTurn: S.game.onTurn,
        myTurn: canPlay(S.game),
        ending: S.game.ending,
      },
    replay: () => S.replay && { id: S.replay.id, step: S.replay.step, total: S.replay.moves.length },
    transport: () => (sock ? sock.transport : null),
    lastClose: () => lastClose,
    stopLists: () => clearInterval(listsTimer),
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
