// Capstan chat: the browser client. Plain JavaScript, no build step.
// The wire protocol is docs/chat-protocol.md, carried by a session-mode
// connection (docs/SESSIONS.md) that survives cuts: CapstanSocket resumes
// it with nothing lost, and falls back to HTTP where a WebSocket cannot
// pass; only when a session ends (a long absence, a server restart) does
// this client start a new one and catch up from the history. Every piece
// of user text is rendered with textContent / createTextNode, never as
// HTML.
import { CapstanSocket } from '/capstan.js';

(() => {
  'use strict';

  const GENERAL = 'general';
  const ROOM_RE = /^[a-z0-9_-]{1,32}$/;
  const MAX_NAME_CHARS = 32;
  const MAX_CONTENT_BYTES = 4096;
  const HISTORY_PAGE = 50;
  const BACKOFF_MIN_MS = 250;
  const BACKOFF_MAX_MS = 10000;
  const TYPING_RESEND_MS = 3000; // while typing, `active: true` at most this often
  const TYPING_IDLE_MS = 4000; // no key for this long: `active: false`
  const TYPING_EXPIRE_MS = 8000; // someone else's indicator fades without news
  const RETRY_SOON_MS = 1500; // after rate_limited / storage_failed
  const SEND_BURST = 8; // messages sent at once, then
  const SEND_RATE = 5; // per second (the server's default limit: 10/s, bursts of 20)

  const KEY = {
    name: 'capstan.chat.name',
    session: 'capstan.chat.session',
    rooms: 'capstan.chat.rooms', // { room: { last, read, epoch? } }
    outbox: 'capstan.chat.outbox', // [{ client_id, author, room, content, to?, ts }]
    current: 'capstan.chat.current',
  };

  // ---------------------------------------------------------------- storage

  function load(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw == null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  function store(key, value) {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the client still works for this page.
    }
  }

  // ------------------------------------------------------------------ state

  const state = {
    name: typeof load(KEY.name, null) === 'string' ? load(KEY.name, null) : null,
    session: typeof load(KEY.session, null) === 'string' ? load(KEY.session, null) : null,
    named: false, // add_user answered on the current connection
    awaitingAddUser: false,
    addUserRetriedBare: false,
    resumeRooms: [], // the rooms named in the last add_user
    resuming: new Set(), // of those, the rooms whose answer has not come yet
    rooms: new Map(), // name -> room (see makeRoom)
    current: typeof load(KEY.current, GENERAL) === 'string' ? load(KEY.current, GENERAL) : GENERAL,
    outbox: [], // waiting for their ack, in the order typed
    failed: [], // refused for good (or until retried by hand): { entry, reason }
    historyQueue: [], // outstanding history requests, answered in order
    joinRequests: [], // rooms the user asked to join, switch to them when joined
    blocked: new Set(), // names this user blocks (kept by the server, per session)
  };

  function makeRoom(name) {
    const direct = name.startsWith('@');
    return {
      name,
      direct,
      messages: [], // sorted by id
      byId: new Map(),
      lastSeen: 0, // highest id seen (for resume)
      lastRead: 0, // highest id looked at (for unread counts)
      epoch: null, // cluster mode: the id sequence those ids belong to (from the last join or resume answer)
      members: new Set(), // names; the first page from joining, then kept from presence changes
      memberCount: 0, // members in the room (the list may hold only the first page)
      membersMore: false, // names beyond those held: fetched a page at a time with `members`
      membersAfter: null, // the last name of the pages fetched (where the next page starts)
      membersStale: false, // a large room: presence came as counts, the names held may be out of date
      typing: new Map(), // user -> expiry time
      notices: [], // bots' notices not kept in history: { key, author, content, created, after: the last id seen then }
      loadingOlder: false,
      noMoreOlder: false,
    };
  }

  function ensureRoom(name) {
    let room = state.rooms.get(name);
    if (!room) {
      room = makeRoom(name);
      state.rooms.set(name, room);
    }
    return room;
  }

  function currentRoom() {
    return state.rooms.get(state.current) || null;
  }

  function saveRooms() {
    const out = {};
    for (const room of state.rooms.values()) out[room.name] = { last: room.lastSeen, read: room.lastRead, epoch: room.epoch || undefined };
    store(KEY.rooms, out);
  }

  function saveOutbox() {
    store(KEY.outbox, state.outbox.map(({ client_id, author, room, content, to, ts }) => ({ client_id, author, room, content, to, ts })));
  }

  function restore() {
    const rooms = load(KEY.rooms, {});
    if (rooms && typeof rooms === 'object') {
      for (const [name, v] of Object.entries(rooms)) {
        if (!validRoomName(name)) continue;
        const room = ensureRoom(name);
        room.lastSeen = Number.isSafeInteger(v && v.last) && v.last > 0 ? v.last : 0;
        room.lastRead = Number.isSafeInteger(v && v.read) && v.read > 0 ? v.read : room.lastSeen;
        room.epoch = v && typeof v.epoch === 'string' && v.epoch ? v.epoch : null;
      }
    }
    const outbox = load(KEY.outbox, []);
    if (Array.isArray(outbox)) {
      for (const e of outbox) {
        if (!e || typeof e.client_id !== 'string' || typeof e.content !== 'string') continue;
        if (typeof e.room !== 'string' || !validRoomName(e.room)) continue;
        state.outbox.push({
          client_id: e.client_id,
          author: typeof e.author === 'string' ? e.author : state.name,
          room: e.room,
          content: e.content,
          to: typeof e.to === 'string' ? e.to : undefined,
          ts: Number(e.ts) || Date.now(),
        });
        ensureRoom(e.room);
      }
    }
    ensureRoom(GENERAL);
    if (!state.rooms.has(state.current)) state.current = GENERAL;
  }

  // ------------------------------------------------------------------ names

  // Code point order, as the protocol sorts the two names of a direct room.
  function compareCodePoints(a, b) {
    const A = Array.from(a);
    const B = Array.from(b);
    const n = Math.min(A.length, B.length);
    for (let i = 0; i < n; i++) {
      const d = A[i].codePointAt(0) - B[i].codePointAt(0);
      if (d !== 0) return d;
    }
    return A.length - B.length;
  }

  function directRoomName(a, b) {
    return compareCodePoints(a, b) <= 0 ? `@${a}|${b}` : `@${b}|${a}`;
  }

  function directPeer(roomName) {
    const pair = roomName.slice(1);
    const bar = pair.indexOf('|');
    if (bar < 0) return null;
    const a = pair.slice(0, bar);
    const b = pair.slice(bar + 1);
    if (state.name && a.toLowerCase() === state.name.toLowerCase()) return b;
    if (state.name && b.toLowerCase() === state.name.toLowerCase()) return a;
    return b;
  }

  function validRoomName(name) {
    if (typeof name !== 'string') return false;
    if (name.startsWith('@')) return name.indexOf('|') > 1 && !name.endsWith('|');
    return ROOM_RE.test(name);
  }

  function checkName(raw) {
    const name = raw.trim();
    if (!name) return { error: 'Please enter a name.' };
    if (Array.from(name).length > MAX_NAME_CHARS) return { error: `A name has at most ${MAX_NAME_CHARS} characters.` };
    if (/\p{Cc}/u.test(name)) return { error: 'A name cannot contain control characters.' };
    if (/[\p{Cf}\p{Zl}\p{Zp}\u{115f}\u{1160}\u{3164}\u{ffa0}\u{fe00}-\u{fe0f}]/u.test(name)) {
      return { error: 'A name cannot contain invisible or formatting characters.' };
    }
    if (name.includes('|')) return { error: 'A name cannot contain “|”.' };
    return { name };
  }

  function roomLabel(room) {
    return room.direct ? `@${directPeer(room.name) || room.name.slice(1)}` : `#${room.name}`;
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ------------------------------------------------------------- connection

  // One session at a time: CapstanSocket keeps it across cuts (resuming
  // with nothing lost); a new one is made only when it ended.
  let ws = null;
  let attempt = 0; // sessions that ended since the last good one
  let reconnectTimer = null;
  let everOnline = false;
  let stopped = false; // taken over by another connection: wait for the user
  let linkUp = false; // a transport carries the session now (not cut)
  let transport = null; // which: 'websocket', 'sse' or 'stream'
  let connSerial = 0; // which session an outbox entry was last sent on
  let resumes = 0; // times the session resumed after a cut (for tests)
  let addUsers = 0; // add_user requests sent (for tests)
  let lastEnd = null; // the close code that ended the last session (for tests)

  function sessionUrl() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/session`;
  }

  function connState() {
    if (!navigator.onLine) return 'offline';
    if (ws && ws.readyState === CapstanSocket.OPEN && linkUp && !state.awaitingAddUser) return 'online';
    if (stopped) return 'offline';
    return everOnline || attempt > 0 ? 'reconnecting' : 'connecting';
  }

  function connect() {
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (ws && (ws.readyState === CapstanSocket.CONNECTING || ws.readyState === CapstanSocket.OPEN)) return;
    let sock;
    try {
      sock = new CapstanSocket(sessionUrl());
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    connSerial += 1;
    state.named = false;
    state.awaitingAddUser = false;
    linkUp = false;
    // A cut, and the session carried again (on which transport).
    sock.addEventListener('reconnecting', () => {
      if (ws !== sock) return;
      linkUp = false;
      transport = null;
      renderConn();
    });
    sock.addEventListener('resumed', () => {
      if (ws === sock) resumes += 1;
    });
    sock.addEventListener('transport', (ev) => {
      if (ws !== sock) return;
      linkUp = true;
      transport = ev.transport;
      renderConn();
    });
    sock.onopen = () => {
      if (ws !== sock) return;
      linkUp = true;
      transport = sock.transport;
      if (state.name) sendAddUser();
      else {
        attempt = 0;
        everOnline = true;
        showLogin();
      }
      renderConn();
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      if (typeof ev.data !== 'string') return;
      let env;
      try {
        env = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!env || typeof env.type !== 'string') return;
      try {
        handle(env.type, env.data && typeof env.data === 'object' ? env.data : {});
      } catch (err) {
        console.error('capstan chat: cannot handle', env.type, err);
      }
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      lastEnd = ev.code;
      dropConnection();
      if (ev.code === 4001) {
        stopped = true;
        showBanner('This name was taken over by another window or tab. Reload the page to come back.');
      } else {
        scheduleReconnect();
      }
      renderConn();
    };
    sock.onerror = () => {}; // a close event follows
    renderConn();
  }

  // Forget the current session (it ended).
  function dropConnection() {
    const sock = ws;
    ws = null;
    linkUp = false;
    transport = null;
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try {
        sock.close();
      } catch {
        // already closed
      }
    }
    state.named = false;
    state.awaitingAddUser = false;
    state.historyQueue = [];
    state.resuming.clear();
    typingSent.room = null;
    for (const room of state.rooms.values()) {
      room.loadingOlder = false;
      room.typing.clear();
    }
    renderTyping();
    renderMessages();
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 16));
    attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter
    reconnectTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    attempt = 0;
    if (!ws) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    }
  }

  // Sent within the session: while it is cut, CapstanSocket keeps the
  // message and sends it on resume. Refused only when no session is open
  // or its queue is full (then the outbox keeps the message for later).
  function send(type, data) {
    if (!ws || ws.readyState !== CapstanSocket.OPEN) return false;
    try {
      ws.send(JSON.stringify(data === undefined ? { type } : { type, data }));
      return true;
    } catch {
      return false;
    }
  }

  function sendAddUser(opts = {}) {
    const rooms = {};
    if (!opts.bare) {
      for (const room of state.rooms.values()) {
        if (!validRoomName(room.name) || (room.direct && !isMyDirect(room.name))) continue;
        if (room.name === GENERAL && !room.lastSeen) continue; // joined anyway, with its latest
        rooms[room.name] = resumePoint(room);
      }
    }
    state.resumeRooms = Object.keys(rooms);
    state.resuming = new Set(state.resumeRooms);
    const data = { username: state.name, rooms };
    if (state.session && !opts.noSession) data.session = state.session;
    state.awaitingAddUser = true;
    addUsers += 1;
    send('add_user', data);
    renderConn();
  }

  // Where a room resumes: its last id, with the epoch it belongs to where
  // the server named one (a single node names none: a bare id, as ever).
  function resumePoint(room) {
    return room.epoch ? { after: room.lastSeen, epoch: room.epoch } : room.lastSeen;
  }

  // CapstanSocket resumes at once on `online` and when the page shows
  // again; a session that ended is started again here.
  window.addEventListener('online', () => {
    reconnectNow();
    renderConn();
  });
  window.addEventListener('offline', renderConn);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      reconnectNow();
      markRead();
      renderSidebar();
    }
  });

  // --------------------------------------------------------------- messages

  // A message's time as an ISO string: `created_at` (RFC 3339), else the
  // classic `created` (Unix seconds).
  function messageTime(m) {
    if (typeof m.created_at === 'string') return m.created_at;
    if (Number.isFinite(m.created)) return new Date(m.created * 1000).toISOString();
    return null;
  }

  // Adds stored messages to a room, once per id. Returns whether it changed.
  function addMessages(room, list, opts = {}) {
    let changed = false;
    for (const m of list || []) {
      if (!m || !Number.isSafeInteger(m.id) || m.id < 1) continue;
      const msg = {
        id: m.id,
        room: room.name,
        author: String(m.author ?? ''),
        content: String(m.content ?? ''),
        created: messageTime(m),
        client_id: typeof m.client_id === 'string' ? m.client_id : null,
        bot: m.bot === true, // published by the server API: never a user, never "mine"
        synthetic: !!opts.synthetic,
      };
      const old = room.byId.get(msg.id);
      if (old) {
        if (old.synthetic && !msg.synthetic) {
          Object.assign(old, msg); // the real one replaces the stand-in
          elCache.delete(msgKey(room.name, msg.id));
          changed = true;
        }
      } else {
        room.byId.set(msg.id, msg);
        insertSorted(room.messages, msg);
        changed = true;
      }
      if (!msg.synthetic && msg.id > room.lastSeen) room.lastSeen = msg.id;
      if (msg.bot) continue;
      if (msg.client_id && state.name && msg.author === state.name) resolveOutbox(msg.client_id, false);
      if (opts.live && room.typing.delete(msg.author)) changed = true; // they sent it: no longer typing
    }
    if (changed) {
      saveRooms();
      if (room.name === state.current) markRead();
    }
    return changed;
  }

  function insertSorted(arr, msg) {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid].id < msg.id) lo = mid + 1;
      else hi = mid;
    }
    arr.splice(lo, 0, msg);
  }

  // Keep only the messages from `fromId` on (a gap was found below them).
  function dropBelow(room, fromId) {
    room.messages = room.messages.filter((m) => m.id >= fromId);
    room.byId = new Map(room.messages.map((m) => [m.id, m]));
    room.noMoreOlder = false;
  }

  // Let go of every message of a room and of the ids that named them (they
  // belong to an id sequence the server no longer has).
  function forgetMessages(room) {
    for (const m of room.messages) elCache.delete(msgKey(room.name, m.id));
    room.messages = [];
    room.byId = new Map();
    room.lastSeen = 0;
    room.lastRead = 0;
    room.loadingOlder = false;
    room.noMoreOlder = false;
  }

  function unreadCount(room) {
    let n = 0;
    for (let i = room.messages.length - 1; i >= 0; i--) {
      const m = room.messages[i];
      if (m.id <= room.lastRead) break;
      if (m.author !== state.name && !isBlocked(m.author)) n++;
    }
    return n;
  }

  function markRead() {
    const room = currentRoom();
    if (!room || document.visibilityState === 'hidden') return;
    if (room.lastRead !== room.lastSeen) {
      room.lastRead = room.lastSeen;
      saveRooms();
    }
  }

  function requestHistory(room, kind, params) {
    const data = { room: room.name, limit: params.limit || HISTORY_PAGE };
    if (params.before) data.before = params.before;
    if (params.after != null) data.after = params.after;
    if (!send('history', data)) return false;
    state.historyQueue.push({ room: room.name, kind, params });
    return true;
  }

  function loadOlder() {
    const room = currentRoom();
    if (!room || room.noMoreOlder || !state.named) return;
    if (room.loadingOlder && Date.now() - room.loadingSince < 10000) return;
    const oldest = room.messages[0];
    if (oldest) {
      if (oldest.id <= 1) return;
      room.loadingOlder = requestHistory(room, 'before', { before: oldest.id });
    } else if (room.lastSeen > 0 || room.direct) {
      room.loadingOlder = requestHistory(room, 'latest', {});
    } else {
      return;
    }
    room.loadingSince = Date.now();
    if (room.loadingOlder) renderMessages();
  }

  // ----------------------------------------------------------------- outbox

  // The outbox is sent in the order typed, paced below the server's rate
  // limit (a refused message would otherwise be overtaken by later ones).
  // Each entry is sent once per connection; a new connection sends again
  // every entry still waiting for its ack.
  const pace = { tokens: SEND_BURST, at: Date.now(), pausedUntil: 0, timer: null };

  function takeToken() {
    const now = Date.now();
    if (now < pace.pausedUntil) return false;
    pace.tokens = Math.min(SEND_BURST, pace.tokens + ((now - pace.at) / 1000) * SEND_RATE);
    pace.at = now;
    if (pace.tokens < 1) return false;
    pace.tokens -= 1;
    return true;
  }

  function flushSoon(ms) {
    if (pace.timer) return;
    pace.timer = setTimeout(() => {
      pace.timer = null;
      flushOutbox();
    }, ms);
  }

  function flushOutbox() {
    if (!state.named) return;
    for (const entry of state.outbox) {
      if (entry.sentOn === connSerial || entry.author !== state.name) continue;
      if (!takeToken()) {
        flushSoon(Math.max(100, pace.pausedUntil - Date.now()));
        return;
      }
      const data = { content: entry.content, client_id: entry.client_id };
      const sent = entry.to ? send('direct', { to: entry.to, ...data }) : send('message', { room: entry.room, ...data });
      if (!sent) return;
      entry.sentOn = connSerial;
    }
  }

  // The message with this client id is stored: it leaves the outbox.
  function resolveOutbox(clientId, render = true) {
    const i = state.outbox.findIndex((e) => e.client_id === clientId);
    if (i < 0) return null;
    const [entry] = state.outbox.splice(i, 1);
    elCache.delete(pendingKey(clientId));
    saveOutbox();
    if (render) renderMessages();
    return entry;
  }

  function failEntry(clientId, reason) {
    const entry = resolveOutbox(clientId, false);
    if (!entry) return;
    state.failed.push({ entry, reason });
    elCache.delete(pendingKey(clientId));
    renderMessages();
  }

  function retryFailed(clientId) {
    const i = state.failed.findIndex((f) => f.entry.client_id === clientId);
    if (i < 0) return;
    const [{ entry }] = state.failed.splice(i, 1);
    elCache.delete(pendingKey(clientId));
    entry.sentOn = 0;
    state.outbox.push(entry);
    saveOutbox();
    flushOutbox();
    renderMessages();
  }

  function discardFailed(clientId) {
    state.failed = state.failed.filter((f) => f.entry.client_id !== clientId);
    elCache.delete(pendingKey(clientId));
    renderMessages();
  }

  function submitMessage(text) {
    const room = currentRoom();
    const content = text.trim();
    if (!room || !content) return false;
    if (new TextEncoder().encode(content).length > MAX_CONTENT_BYTES) {
      showBanner(`This message is too long (at most ${MAX_CONTENT_BYTES} bytes).`);
      return false;
    }
    const entry = { client_id: uuid(), author: state.name, room: room.name, content, ts: Date.now() };
    if (room.direct) entry.to = directPeer(room.name);
    state.outbox.push(entry);
    saveOutbox();
    stopTyping();
    flushOutbox();
    renderMessages({ bottom: true });
    return true;
  }

  // ----------------------------------------------------------------- typing

  const typingSent = { room: null, at: 0, timer: null };

  function onComposerInput() {
    const room = currentRoom();
    // (The server has no typing indicator for direct conversations.)
    if (!room || room.direct || !state.named || !els.input.value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (typingSent.room !== room.name) {
      stopTyping();
      typingSent.room = room.name;
      typingSent.at = 0;
    }
    if (now - typingSent.at >= TYPING_RESEND_MS) {
      send('typing', { room: room.name, active: true });
      typingSent.at = now;
    }
    clearTimeout(typingSent.timer);
    typingSent.timer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingSent.timer);
    typingSent.timer = null;
    if (typingSent.room) {
      send('typing', { room: typingSent.room, active: false });
      typingSent.room = null;
      typingSent.at = 0;
    }
  }

  setInterval(() => {
    const now = Date.now();
    let changed = false;
    for (const room of state.rooms.values()) {
      for (const [user, until] of room.typing) {
        if (until <= now) {
          room.typing.delete(user);
          changed = true;
        }
      }
    }
    if (changed) renderTyping();
  }, 1000);

  // ---------------------------------------------------------- server events

  function handle(type, d) {
    switch (type) {
      case 'add_user':
        onAddUser(d);
        break;
      case 'joined':
        onJoined(d);
        break;
      case 'message':
      case 'direct':
        onMessage(d);
        break;
      case 'ack':
        onAck(d);
        break;
      case 'history':
        onHistory(d);
        break;
      case 'presence':
        onPresence(d);
        break;
      case 'typing':
        onTyping(d);
        break;
      case 'left':
        onLeft(d);
        break;
      case 'notice':
        onNotice(d);
        break;
      case 'renamed':
        if (typeof d.username === 'string') {
          state.name = d.username;
          store(KEY.name, state.name);
          renderHeader();
        }
        break;
      case 'rooms':
        onRooms(d);
        break;
      case 'members':
        onMembers(d);
        break;
      case 'blocked':
        if (typeof d.user === 'string') setBlocked(d.user, true);
        break;
      case 'unblocked':
        if (typeof d.user === 'string') setBlocked(d.user, false);
        break;
      case 'error':
        onError(d);
        break;
      case 'info':
      default:
        break; // presence events say the same; unknown types are ignored
    }
  }

  function onAddUser(d) {
    state.awaitingAddUser = false;
    state.addUserRetriedBare = false;
    state.named = true;
    everOnline = true;
    attempt = 0;
    if (typeof d.username === 'string') state.name = d.username;
    if (typeof d.session === 'string') state.session = d.session;
    if (Array.isArray(d.blocked)) state.blocked = new Set(d.blocked.map(String));
    store(KEY.name, state.name);
    store(KEY.session, state.session);
    hideLogin();

    // The public rooms joined; one we asked for that is not there was refused.
    if (Array.isArray(d.rooms)) {
      const joined = new Set();
      for (const r of d.rooms) {
        const name = typeof r === 'string' ? r : r && r.name;
        if (!validRoomName(name) || (r && r.joined === false)) continue;
        joined.add(name);
        ensureRoom(name);
      }
      for (const name of state.resumeRooms) if (!name.startsWith('@') && !joined.has(name)) state.rooms.delete(name);
    }
    // Direct conversations of another name (this browser used another one).
    for (const room of [...state.rooms.values()]) if (room.direct && !isMyDirect(room.name)) state.rooms.delete(room.name);

    applyCatchUp(ensureRoom(typeof d.room === 'string' ? d.room : GENERAL), d);
    if (!state.rooms.has(state.current)) state.current = GENERAL;

    flushOutbox();
    saveRooms();
    renderAll({ bottom: true });
  }

  // A room's messages from `add_user` (for general) or `joined`. With
  // `resumed`: exactly those after our last id (only the newest ones when
  // `has_more`); without: the latest ones. Where they do not reach back to
  // what we hold, the older ones are let go: scrolling back fetches them.
  // The answer names the epoch of the room's ids in cluster mode: another
  // one than ours (the sequence started over at 1), or a resume that was
  // not recovered, means our ids name other messages or nothing now: what
  // we hold is let go and the room shown fresh.
  function applyCatchUp(room, d) {
    setMembers(room, d);
    const resuming = state.resuming.delete(room.name);
    const epoch = typeof d.epoch === 'string' && d.epoch ? d.epoch : null;
    const startedOver = (epoch && room.epoch && epoch !== room.epoch) || (resuming && d.resumed === false);
    if (startedOver) forgetMessages(room);
    room.epoch = epoch;
    const msgs = Array.isArray(d.messages) ? d.messages.filter((m) => m && Number.isSafeInteger(m.id)) : [];
    if (msgs.length && room.messages.length) {
      const first = msgs[0].id;
      if ((d.resumed && d.has_more) || (!d.resumed && first > room.lastSeen + 1)) dropBelow(room, first);
    }
    addMessages(room, msgs);
    if (!room.messages.length && (room.lastSeen > 0 || startedOver)) requestHistory(room, 'latest', {});
  }

  function isMyDirect(roomName) {
    const pair = roomName.slice(1).split('|');
    return pair.length === 2 && pair.includes(state.name);
  }

  function onJoined(d) {
    if (!validRoomName(d.room)) return;
    const room = ensureRoom(d.room);
    applyCatchUp(room, d);
    const asked = state.joinRequests.indexOf(room.name);
    if (asked >= 0) {
      state.joinRequests.splice(asked, 1);
      switchRoom(room.name);
    }
    saveRooms();
    renderAll();
  }

  // The room a stored message belongs to: a direct conversation appears
  // with its first message; a public room only while joined.
  function roomFor(name) {
    if (!validRoomName(name)) return null;
    if (name.startsWith('@')) return isMyDirect(name) ? ensureRoom(name) : null;
    return state.rooms.get(name) || null;
  }

  function onMessage(d) {
    const room = roomFor(d.room);
    if (!room) return;
    if (addMessages(room, [d], { live: true }) || room.name === state.current) {
      if (room.name === state.current) renderMessages();
      renderSidebar();
      renderTyping();
    }
  }

  function onAck(d) {
    if (typeof d.client_id !== 'string') return;
    const entry = state.outbox.find((e) => e.client_id === d.client_id);
    if (!entry) return;
    const room = roomFor(typeof d.room === 'string' ? d.room : entry.room);
    if (room && Number.isSafeInteger(d.id) && !room.byId.has(d.id)) {
      // Stored, but its broadcast has not reached us (a duplicate after a
      // reconnect): show it in place until the real one comes.
      addMessages(
        room,
        [{ id: d.id, author: entry.author, content: entry.content, created: new Date().toISOString(), client_id: entry.client_id }],
        { synthetic: true },
      );
    }
    resolveOutbox(d.client_id, false);
    if (room && room.name === state.current) renderMessages();
    renderSidebar();
  }

  function onHistory(d) {
    const i = state.historyQueue.findIndex((q) => q.room === d.room);
    if (i >= 0) state.historyQueue.splice(i, 1);
    const room = roomFor(d.room);
    if (!room) return;
    addMessages(room, Array.isArray(d.messages) ? d.messages : []);
    room.loadingOlder = false;
    if (!d.has_more) room.noMoreOlder = true;
    if (room.name === state.current) renderMessages();
    renderSidebar();
  }

  // The first page of a room's members, from joining it.
  function setMembers(room, d) {
    if (!Array.isArray(d.members)) return;
    room.members = new Set(d.members.map(String));
    room.memberCount = Number.isSafeInteger(d.member_count) ? d.member_count : room.members.size;
    room.membersMore = d.members_more === true;
    room.membersAfter = d.members.length ? String(d.members[d.members.length - 1]) : null;
    room.membersStale = false;
  }

  // A presence message carries what changed, in order; the list is kept
  // from it (the full list came once, with the join).
  function onPresence(d) {
    if (!validRoomName(d.room)) return;
    const room = state.rooms.get(d.room);
    if (!room) return;
    if (Number.isSafeInteger(d.member_count)) room.memberCount = d.member_count;
    if (!Array.isArray(d.changes)) {
      // A large room: who came and went is counted, not named.
      room.membersStale = true;
      if (room.name === state.current) renderPeople();
      return;
    }
    for (const c of d.changes) {
      if (!c || typeof c.user !== 'string') continue;
      if (c.event === 'join') room.members.add(c.user);
      else if (c.event === 'leave') {
        room.members.delete(c.user);
        room.typing.delete(c.user);
      } else if (c.event === 'rename' && typeof c.from === 'string') {
        room.members.delete(c.from);
        room.typing.delete(c.from);
        room.members.add(c.user);
      }
    }
    if (Number.isSafeInteger(d.member_count)) room.memberCount = d.member_count;
    if (room.name === state.current) {
      renderPeople();
      renderTyping();
    }
  }

  // The next page of a room's members, asked for with "Show more".
  function onMembers(d) {
    const room = validRoomName(d.room) && state.rooms.get(d.room);
    if (!room || !Array.isArray(d.members)) return;
    if (room.refreshingMembers) {
      room.members = new Set();
      room.refreshingMembers = false;
      room.membersStale = false;
    }
    for (const name of d.members) room.members.add(String(name));
    if (d.members.length) room.membersAfter = String(d.members[d.members.length - 1]);
    room.membersMore = d.has_more === true;
    room.loadingMembers = false;
    if (Number.isSafeInteger(d.member_count)) room.memberCount = d.member_count;
    if (room.name === state.current) renderPeople();
  }

  // The next page of names, or (`fresh`) the first one again.
  function loadMoreMembers(room, fresh = false) {
    if (room.loadingMembers) return;
    const data = { room: room.name };
    if (!fresh && room.membersAfter) data.after = room.membersAfter;
    if (send('members', data)) {
      room.loadingMembers = true;
      room.refreshingMembers = fresh;
    }
  }

  function setBlocked(user, blocked) {
    if (blocked) state.blocked.add(user);
    else for (const name of [...state.blocked]) if (name.toLowerCase() === user.toLowerCase()) state.blocked.delete(name);
    elCache.clear();
    renderPeople();
    renderMessages();
  }

  function isBlocked(name) {
    const lower = name.toLowerCase();
    for (const b of state.blocked) if (b.toLowerCase() === lower) return true;
    return false;
  }

  function onTyping(d) {
    const room = state.rooms.get(d.room);
    if (!room || typeof d.user !== 'string' || d.user === state.name) return;
    if (d.active) room.typing.set(d.user, Date.now() + TYPING_EXPIRE_MS);
    else room.typing.delete(d.user);
    if (room.name === state.current) renderTyping();
  }

  function onLeft(d) {
    removeRoom(d.room);
  }

  // A bot's notice (the server API's publish that history does not keep):
  // shown where it arrived, after the last message seen then.
  let noticeSerial = 0;
  function onNotice(d) {
    const room = state.rooms.get(d.room);
    if (!room || typeof d.content !== 'string') return;
    room.notices.push({
      key: `notice|${room.name}|${++noticeSerial}`,
      author: String(d.author ?? ''),
      content: d.content,
      created: messageTime(d),
      after: room.lastSeen,
    });
    if (room.notices.length > 50) room.notices.shift();
    if (room.name === state.current) renderMessages();
  }

  function removeRoom(name) {
    if (!state.rooms.delete(name)) return;
    saveRooms();
    if (state.current === name) {
      const next = state.rooms.has(GENERAL) ? GENERAL : state.rooms.keys().next().value;
      switchRoom(next || null);
    }
    renderAll();
  }

  function onRooms() {
    // Not asked for by this client (the session's heartbeats tell a dead
    // link); an answer is ignored.
  }

  function onError(d) {
    const code = String(d.code || '');
    const message = String(d.message || code || 'The server refused the request.');
    const type = typeof d.type === 'string' ? d.type : null;

    if (typeof d.client_id === 'string' && state.outbox.some((e) => e.client_id === d.client_id)) {
      if (code === 'rate_limited' || code === 'storage_failed') {
        // Not stored: send it again (and what follows it, in order) soon.
        let from = false;
        for (const e of state.outbox) {
          if (e.client_id === d.client_id) from = true;
          if (from) e.sentOn = 0;
        }
        pace.pausedUntil = Date.now() + RETRY_SOON_MS;
        pace.tokens = 0;
        flushSoon(RETRY_SOON_MS);
      } else {
        failEntry(d.client_id, message);
      }
      return;
    }

    if (type === 'add_user' || (state.awaitingAddUser && code.startsWith('name_'))) {
      if (['room_invalid', 'not_in_room', 'too_many_rooms', 'room_limit'].includes(code)) {
        // One of the rooms to resume was refused; the rest goes on.
        if (typeof d.room === 'string' && !d.room.startsWith('@')) {
          state.rooms.delete(d.room);
          state.resuming.delete(d.room);
        }
        if (code === 'too_many_rooms' || code === 'room_limit') showBanner(message);
        return;
      }
      state.awaitingAddUser = false;
      if (code === 'rate_limited') {
        state.awaitingAddUser = true;
        setTimeout(() => state.name && state.awaitingAddUser && sendAddUser(), RETRY_SOON_MS);
      } else if (code === 'storage_failed') {
        // Half done on the server's side: start again on a new connection.
        dropConnection();
        scheduleReconnect();
      } else if (code === 'invalid_field' && !state.addUserRetriedBare) {
        // Something in the resume was not understood: come in plainly.
        state.addUserRetriedBare = true;
        sendAddUser({ bare: true, noSession: true });
      } else {
        showLogin(message);
      }
      renderConn();
      return;
    }

    switch (type) {
      case 'join': {
        state.joinRequests.shift();
        showJoinError(message);
        return;
      }
      case 'history': {
        const req = state.historyQueue.shift();
        const room = req && state.rooms.get(req.room);
        if (room) {
          room.loadingOlder = false;
          if (code === 'not_in_room' || code === 'room_invalid') room.noMoreOlder = true;
          if (room.name === state.current) renderMessages();
        }
        return;
      }
      case 'typing':
      case 'rooms':
        return;
      case 'members': {
        const room = typeof d.room === 'string' && state.rooms.get(d.room);
        if (room) room.loadingMembers = false;
        return;
      }
      default:
        break;
    }
    if (code === 'not_named') {
      if (state.name && !state.awaitingAddUser) sendAddUser();
      else if (!state.name) showLogin();
      return;
    }
    showBanner(message);
  }

  // ---------------------------------------------------------------- actions

  function switchRoom(name) {
    if (name !== state.current) stopTyping();
    state.current = name;
    store(KEY.current, name);
    markRead();
    const room = currentRoom();
    if (room && !room.messages.length) loadOlder();
    renderAll({ bottom: true });
    closeSidebar();
  }

  function joinRoom(raw) {
    const name = raw.trim().toLowerCase();
    if (!ROOM_RE.test(name)) {
      showJoinError('Room names are 1–32 characters: a–z, 0–9, “-” and “_”.');
      return false;
    }
    showJoinError(null);
    if (state.rooms.has(name)) {
      switchRoom(name);
      return true;
    }
    if (!state.named) {
      showJoinError('Not connected: try again when online.');
      return false;
    }
    state.joinRequests.push(name);
    send('join', { room: name });
    return true;
  }

  function leaveRoom(name) {
    const room = state.rooms.get(name);
    if (!room) return;
    if (room.direct) {
      removeRoom(name); // a direct conversation is only hidden here
      return;
    }
    if (!send('leave', { room: name })) {
      showBanner('Not connected: you can leave the room when online.');
    }
  }

  function openDirect(user) {
    if (!state.name || user === state.name) return;
    const name = directRoomName(state.name, user);
    const isNew = !state.rooms.has(name);
    ensureRoom(name);
    saveRooms();
    if (isNew && state.named) requestHistory(state.rooms.get(name), 'latest', {});
    switchRoom(name);
  }

  // -------------------------------------------------------------- rendering

  const $ = (id) => document.getElementById(id);
  const els = {};
  const elCache = new Map(); // message key -> <li>

  const msgKey = (room, id) => `m|${room}|${id}`;
  const pendingKey = (clientId) => `p|${clientId}`;

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c != null) el.append(c); // strings become text nodes
    return el;
  }

  function hue(name) {
    let x = 0;
    for (const ch of name) x = (x * 31 + ch.codePointAt(0)) >>> 0;
    return x % 360;
  }

  function avatar(name) {
    const initial = Array.from(name.trim())[0] || '?';
    const el = h('span', { class: 'avatar', 'aria-hidden': 'true', text: initial.toUpperCase() });
    el.style.setProperty('--hue', String(hue(name)));
    return el;
  }

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
  const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

  function dayLabel(date) {
    const today = new Date();
    const y = new Date(today);
    y.setDate(today.getDate() - 1);
    if (date.toDateString() === today.toDateString()) return 'Today';
    if (date.toDateString() === y.toDateString()) return 'Yesterday';
    return dayFmt.format(date);
  }

  function messageEl(m) {
    const key = msgKey(m.room, m.id);
    let li = elCache.get(key);
    if (li) return li;
    const date = m.created ? new Date(m.created) : null;
    const valid = date && !Number.isNaN(date.getTime());
    li = h(
      'li',
      {
        class: m.bot ? 'msg bot' : m.author === state.name ? 'msg mine' : 'msg',
        'data-testid': 'message',
        'data-id': m.id,
        'data-room': m.room,
        'data-author': m.author,
        'data-client-id': m.client_id,
        'data-pending': 'false',
      },
      avatar(m.author),
      h(
        'div',
        { class: 'msg-body' },
        h(
          'div',
          { class: 'msg-meta' },
          h('span', { class: 'author', 'data-testid': 'message-author', text: m.author }),
          m.bot ? h('span', { class: 'badge', 'data-testid': 'message-bot', text: 'bot' }) : null,
          valid
            ? h('time', { 'data-testid': 'message-time', datetime: m.created, title: fullFmt.format(date), text: timeFmt.format(date) })
            : null,
        ),
        h('div', { class: 'content', 'data-testid': 'message-content', text: m.content }),
      ),
    );
    elCache.set(key, li);
    return li;
  }

  function noticeEl(room, n) {
    return cached(n.key, () =>
      h(
        'li',
        { class: 'msg bot notice', 'data-testid': 'notice', 'data-room': room.name, 'data-author': n.author },
        avatar(n.author),
        h(
          'div',
          { class: 'msg-body' },
          h(
            'div',
            { class: 'msg-meta' },
            h('span', { class: 'author', 'data-testid': 'message-author', text: n.author }),
            h('span', { class: 'badge', text: 'bot' }),
          ),
          h('div', { class: 'content', 'data-testid': 'message-content', text: n.content }),
        ),
      ),
    );
  }

  function pendingEl(entry, failure) {
    const key = pendingKey(entry.client_id);
    let li = elCache.get(key);
    if (li) return li;
    const status = failure
      ? h(
          'span',
          { class: 'status failed', 'data-testid': 'message-status' },
          `Not sent: ${failure.reason} `,
          h('button', { type: 'button', class: 'link-button', onclick: () => retryFailed(entry.client_id), text: 'Retry' }),
          ' ',
          h('button', { type: 'button', class: 'link-button', onclick: () => discardFailed(entry.client_id), text: 'Discard' }),
        )
      : h('span', { class: 'status', 'data-testid': 'message-status', title: 'Waiting for the server to store it', text: 'pending' });
    li = h(
      'li',
      {
        class: failure ? 'msg mine failed' : 'msg mine pending',
        'data-testid': 'message',
        'data-room': entry.room,
        'data-author': entry.author,
        'data-client-id': entry.client_id,
        'data-pending': failure ? 'false' : 'true',
        'data-failed': failure ? 'true' : null,
      },
      avatar(entry.author || '?'),
      h(
        'div',
        { class: 'msg-body' },
        h('div', { class: 'msg-meta' }, h('span', { class: 'author', 'data-testid': 'message-author', text: entry.author || '' }), status),
        h('div', { class: 'content', 'data-testid': 'message-content', text: entry.content }),
      ),
    );
    elCache.set(key, li);
    return li;
  }

  let autoLoadScheduled = false;

  function cached(key, make) {
    let el = elCache.get(key);
    if (!el) {
      el = make();
      elCache.set(key, el);
    }
    return el;
  }

  function note(kind, text) {
    return cached(`n|${kind}|${text}`, () => h('li', { class: `note ${kind}`, 'data-testid': kind, text }));
  }

  // Makes the list's children `items`, touching only what changed (so the
  // live region announces new messages, not the whole list again).
  function reconcile(list, items) {
    let cur = list.firstChild;
    for (const item of items) {
      if (cur === item) {
        cur = cur.nextSibling;
        continue;
      }
      list.insertBefore(item, cur);
    }
    while (cur) {
      const next = cur.nextSibling;
      cur.remove();
      cur = next;
    }
  }

  function renderMessages(opts = {}) {
    const list = els.messages;
    const room = currentRoom();
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    let anchor = null;
    let anchorOffset = 0;
    if (!atBottom && !opts.bottom) {
      // Only message items are kept from one render to the next.
      for (const child of list.querySelectorAll('[data-testid=message]')) {
        if (child.offsetTop + child.offsetHeight > list.scrollTop) {
          anchor = child;
          anchorOffset = child.offsetTop - list.scrollTop;
          break;
        }
      }
    }

    const items = [];
    if (room) {
      const oldest = room.messages[0];
      if (room.loadingOlder) {
        items.push(note('loading-older', 'Loading older messages…'));
      } else if ((oldest && oldest.id === 1) || (oldest && room.noMoreOlder)) {
        items.push(note('history-start', `This is the beginning of ${roomLabel(room)}.`));
      }
      let lastDay = null;
      const notices = new Map(); // last id seen -> the notices that came after it
      for (const n of room.notices) {
        if (!notices.has(n.after)) notices.set(n.after, []);
        notices.get(n.after).push(n);
      }
      const noticesAfter = (id) => {
        for (const n of notices.get(id) || []) items.push(noticeEl(room, n));
        notices.delete(id);
      };
      noticesAfter(0);
      for (const m of room.messages) {
        if (!m.bot && m.author !== state.name && isBlocked(m.author)) {
          noticesAfter(m.id);
          continue;
        }
        const date = m.created ? new Date(m.created) : null;
        if (date && !Number.isNaN(date.getTime())) {
          const day = date.toDateString();
          if (day !== lastDay) {
            items.push(cached(`d|${room.name}|${day}|${dayLabel(date)}`, () => h('li', { class: 'day', role: 'separator', text: dayLabel(date) })));
            lastDay = day;
          }
        }
        items.push(messageEl(m));
        noticesAfter(m.id);
      }
      for (const rest of notices.values()) for (const n of rest) items.push(noticeEl(room, n));
      for (const e of state.outbox) if (e.room === room.name && e.author === state.name) items.push(pendingEl(e, null));
      for (const f of state.failed) if (f.entry.room === room.name) items.push(pendingEl(f.entry, f));
      if (!room.messages.length && !items.some((li) => li.dataset.testid === 'message') && !room.loadingOlder) {
        items.push(note('empty', room.direct ? `Say hello to ${directPeer(room.name)}.` : 'No messages yet. Say hello!'));
      }
    } else {
      items.push(note('empty', 'Join a room to start chatting.'));
    }
    reconcile(list, items);

    if (opts.bottom || atBottom) list.scrollTop = list.scrollHeight;
    else if (anchor && anchor.isConnected) list.scrollTop = anchor.offsetTop - anchorOffset;

    // Not enough to scroll yet: fetch older ones until there is.
    if (room && !autoLoadScheduled && list.scrollHeight <= list.clientHeight + 8) {
      autoLoadScheduled = true;
      requestAnimationFrame(() => {
        autoLoadScheduled = false;
        if (els.messages.scrollHeight <= els.messages.clientHeight + 8) loadOlder();
      });
    }
  }

  function renderTyping() {
    const room = currentRoom();
    const names = room ? [...room.typing.keys()] : [];
    let text = '';
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = 'Several people are typing…';
    if (els.typing.textContent !== text) els.typing.textContent = text;
  }

  function roomItem(room) {
    const unread = room.name === state.current ? 0 : unreadCount(room);
    const label = roomLabel(room);
    return h(
      'li',
      { class: room.name === state.current ? 'room-item active' : 'room-item', 'data-testid': room.direct ? 'dm' : 'room', 'data-room': room.name },
      h(
        'button',
        {
          type: 'button',
          class: 'room-button',
          'aria-current': room.name === state.current ? 'page' : null,
          'aria-label': unread ? `${label}, ${unread} unread` : label,
          onclick: () => switchRoom(room.name),
        },
        h('span', { class: 'room-name', text: label }),
        unread ? h('span', { class: 'unread', 'data-testid': 'unread', text: unread > 99 ? '99+' : String(unread) }) : null,
      ),
      h('button', {
        type: 'button',
        class: 'icon-button leave-button',
        'data-testid': room.direct ? 'close-dm' : 'leave-room',
        'aria-label': room.direct ? `Close the conversation with ${label}` : `Leave ${label}`,
        title: room.direct ? 'Close' : 'Leave',
        onclick: () => leaveRoom(room.name),
        text: '×',
      }),
    );
  }

  function renderSidebar() {
    const rooms = [];
    const dms = [];
    for (const room of state.rooms.values()) (room.direct ? dms : rooms).push(room);
    rooms.sort((a, b) => (a.name === GENERAL ? -1 : b.name === GENERAL ? 1 : a.name.localeCompare(b.name)));
    dms.sort((a, b) => roomLabel(a).localeCompare(roomLabel(b)));
    els.roomList.replaceChildren(...rooms.map(roomItem));
    els.dmList.replaceChildren(...dms.map(roomItem));
    els.dmHint.hidden = dms.length > 0;
    let total = 0;
    for (const room of state.rooms.values()) if (room.name !== state.current) total += unreadCount(room);
    document.title = total ? `(${total}) Capstan chat` : 'Capstan chat';
    els.menuButton.classList.toggle('has-unread', total > 0);
  }

  function renderPeople() {
    const room = currentRoom();
    let members = [];
    if (room && room.direct) members = [state.name, directPeer(room.name)].filter(Boolean);
    else if (room) members = [...room.members];
    members.sort((a, b) => (a === state.name ? -1 : b === state.name ? 1 : a.localeCompare(b, undefined, { sensitivity: 'base' })));
    const count = room && !room.direct ? Math.max(room.memberCount, members.length) : members.length;
    els.peopleHeading.textContent = room ? `People in ${roomLabel(room)} (${count})` : 'People here';
    const items = members.map((name) => {
      if (name === state.name) {
        return h(
          'li',
          { 'data-testid': 'member', 'data-name': name },
          h('span', { class: 'person me-person' }, avatar(name), h('span', { text: name }), h('span', { class: 'you', text: ' (you)' })),
        );
      }
      const blocked = isBlocked(name);
      return h(
        'li',
        { class: blocked ? 'blocked' : null, 'data-testid': 'member', 'data-name': name, 'data-blocked': blocked ? 'true' : null },
        h(
          'button',
          { type: 'button', class: 'person', 'aria-label': `Send a direct message to ${name}`, title: `Message ${name}`, onclick: () => openDirect(name) },
          avatar(name),
          h('span', { text: name }),
        ),
        h('button', {
          type: 'button',
          class: 'link-button block-button',
          'data-testid': blocked ? 'unblock' : 'block',
          'aria-label': blocked ? `Unblock ${name}` : `Block ${name}: hide their messages`,
          title: blocked ? 'Show their messages again' : 'Hide their messages',
          onclick: () => send(blocked ? 'unblock' : 'block', { user: name }),
          text: blocked ? 'Unblock' : 'Block',
        }),
      );
    });
    // A line under the list with one link-like button.
    const listAction = (testid, text, onclick, title) =>
      h('li', { class: 'more-members' }, h('button', { type: 'button', class: 'link-button', 'data-testid': testid, title, onclick, text }));
    if (room && !room.direct && room.membersStale) {
      const why = 'In a large room, who comes and goes is counted, not named';
      items.push(listAction('refresh-members', 'Refresh the list', () => loadMoreMembers(room, true), why));
    }
    if (room && !room.direct && room.membersMore) {
      const more = `Show more (${count - members.length} not shown)`;
      items.push(listAction('more-members', more, () => loadMoreMembers(room)));
    }
    els.people.replaceChildren(...items);
  }

  function renderHeader() {
    const room = currentRoom();
    els.title.textContent = room ? roomLabel(room) : 'Capstan chat';
    els.me.hidden = !state.name;
    els.me.textContent = state.name || '';
    els.me.title = state.name ? `Signed in as ${state.name}` : '';
    const disabled = !room;
    els.input.disabled = disabled;
    els.send.disabled = disabled;
    els.input.placeholder = room ? `Message ${roomLabel(room)}` : 'Join a room first';
  }

  function renderConn() {
    const s = connState();
    const badge = els.badge;
    if (badge.dataset.state !== s) {
      badge.dataset.state = s;
      badge.textContent = s;
    }
    document.body.dataset.connection = s;
    document.body.dataset.transport = transport || '';
  }

  function renderAll(opts = {}) {
    renderHeader();
    renderSidebar();
    renderPeople();
    renderMessages(opts);
    renderTyping();
    renderConn();
  }

  // ----------------------------------------------------------- notices, UI

  let bannerTimer = null;

  function showBanner(text) {
    els.bannerText.textContent = text;
    els.banner.hidden = false;
    clearTimeout(bannerTimer);
    bannerTimer = setTimeout(() => {
      els.banner.hidden = true;
    }, 10000);
  }

  function showJoinError(text) {
    els.joinError.hidden = !text;
    els.joinError.textContent = text || '';
    els.joinInput.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  function showLogin(error) {
    els.login.hidden = false;
    if (!els.nameInput.value && state.name) els.nameInput.value = state.name;
    els.loginError.hidden = !error;
    els.loginError.textContent = error || '';
    els.nameInput.setAttribute('aria-invalid', error ? 'true' : 'false');
    els.loginButton.disabled = false;
    els.nameInput.focus();
  }

  function hideLogin() {
    els.login.hidden = true;
    els.loginError.hidden = true;
    els.loginError.textContent = '';
  }

  function openSidebar() {
    els.app.classList.add('sidebar-open');
    els.menuButton.setAttribute('aria-expanded', 'true');
    els.scrim.hidden = false;
  }

  function closeSidebar() {
    els.app.classList.remove('sidebar-open');
    els.menuButton.setAttribute('aria-expanded', 'false');
    els.scrim.hidden = true;
  }

  function init() {
    Object.assign(els, {
      app: $('app'),
      badge: $('connection-state'),
      title: $('room-title'),
      me: $('me'),
      menuButton: $('menu-button'),
      scrim: $('scrim'),
      roomList: $('room-list'),
      dmList: $('dm-list'),
      dmHint: $('dm-hint'),
      people: $('people-list'),
      peopleHeading: $('people-heading'),
      joinForm: $('join-form'),
      joinInput: $('join-input'),
      joinError: $('join-error'),
      banner: $('banner'),
      bannerText: $('banner-text'),
      messages: $('messages'),
      typing: $('typing'),
      composer: $('composer'),
      input: $('message-input'),
      send: $('send-button'),
      login: $('login'),
      loginForm: $('login-form'),
      nameInput: $('name-input'),
      loginError: $('login-error'),
      loginButton: $('login-button'),
    });

    restore();

    els.loginForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const { name, error } = checkName(els.nameInput.value);
      if (error) {
        showLogin(error);
        return;
      }
      if (name !== state.name) state.session = null;
      state.name = name;
      store(KEY.name, name);
      store(KEY.session, state.session);
      els.loginError.hidden = true;
      state.addUserRetriedBare = false;
      if (ws && ws.readyState === CapstanSocket.OPEN) sendAddUser();
      else reconnectNow();
      renderHeader();
    });

    els.composer.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (submitMessage(els.input.value)) {
        els.input.value = '';
        autosize();
      }
      els.input.focus();
    });
    els.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        els.composer.requestSubmit();
      }
    });
    const autosize = () => {
      els.input.style.height = 'auto';
      els.input.style.height = `${Math.min(els.input.scrollHeight, 160)}px`;
    };
    els.input.addEventListener('input', () => {
      autosize();
      onComposerInput();
    });
    els.input.addEventListener('blur', () => {
      if (!els.input.value.trim()) stopTyping();
    });

    els.joinForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (joinRoom(els.joinInput.value)) els.joinInput.value = '';
    });
    els.joinInput.addEventListener('input', () => showJoinError(null));

    els.messages.addEventListener('scroll', () => {
      if (els.messages.scrollTop < 60) loadOlder();
    });

    els.menuButton.addEventListener('click', () => {
      if (els.app.classList.contains('sidebar-open')) closeSidebar();
      else openSidebar();
    });
    els.scrim.addEventListener('click', closeSidebar);
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') closeSidebar();
    });
    $('banner-close').addEventListener('click', () => {
      els.banner.hidden = true;
    });

    renderAll({ bottom: true });
    if (!state.name) showLogin();
    connect();
  }

  // A small hook for tests and for the curious (read-only views).
  window.chat = {
    state: () => connState(),
    transport: () => transport,
    // The session now: its id, how often it resumed, add_user sent in all,
    // and the close code that ended the one before.
    session: () => ({ id: ws ? ws.sessionId : null, resumes, addUsers, lastEnd }),
    name: () => state.name,
    named: () => state.named,
    room: () => state.current,
    rooms: () => [...state.rooms.keys()],
    pending: () => state.outbox.length,
    lastSeen: (room) => (state.rooms.get(room || state.current) || {}).lastSeen || 0,
    members: (room) => [...((state.rooms.get(room || state.current) || {}).members || [])].sort(compareCodePoints),
    blocked: () => [...state.blocked].sort(compareCodePoints),
    reconnect: () => reconnectNow(),
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
