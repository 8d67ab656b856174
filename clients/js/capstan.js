// Capstan's browser client: a WebSocket whose connection survives cuts.
// It speaks the resumable-session protocol of docs/SESSIONS.md over a
// WebSocket, or over HTTP (Server-Sent Events or a streamed fetch down,
// batch POSTs up) where no WebSocket gets through. No dependencies.

const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;
const M = 0x6d; // `m`, the first byte of a data message (§2)
const ACK_EVERY = 32, ACK_DELAY = 1000; // §4.4
const BATCH_BYTES = 256 << 10; // an upstream batch stays well under the server's 1 MiB bound (§8.3)
const SID = /^[\w-]{21}[AQgw]$/; // §5.1
const REFUSALS = [400, 404, 410, 416, 426, 429]; // HTTP statuses of §8.1, close code 4000 + status
const DEFAULTS = {
  transports: ['websocket', 'sse', 'stream'],
  websocketTimeout: 3000,
  fallbackTimeout: 10000,
  minDelay: 250,
  maxDelay: 10000,
  maxQueuedMessages: 10000,
  maxQueuedBytes: 16 << 20,
};

// ---- Codecs: prefixes (§2), controls (§4), base64 (§8) -----------------

const isObj = (o) => o !== null && typeof o == 'object' && !Array.isArray(o);
const isNum = (n) => Number.isSafeInteger(n) && n >= 0;
const CHECKS = {
  welcome: (v) => isObj(v) && SID.test(v.sid) && isNum(v.rx) && typeof v.resumed == 'boolean' &&
    isNum(v.heartbeat_ms) && isNum(v.grace_ms),
  ack: isNum,
  hb: isNum,
  error: (v) => isObj(v) && typeof v.code == 'string' && typeof v.message == 'string',
};

/** The wire text of control `name` with `value`: `c` and a one-key JSON object (§4). */
export const encodeControl = (name, value) => 'c' + JSON.stringify({ [name]: value });

/** Reads a server control's JSON (without its `c`) into `[name, value]`; throws a SyntaxError on what §4 forbids. */
export function decodeControl(json) {
  const o = JSON.parse(json), k = isObj(o) ? Object.keys(o) : [];
  if (k.length != 1 || !Object.hasOwn(CHECKS, k[0]) || !CHECKS[k[0]](o[k[0]])) {
    throw new SyntaxError('malformed control: ' + String(json).slice(0, 80));
  }
  return [k[0], o[k[0]]];
}

/** A data message as a WebSocket sends it: `m` + text, or 0x6D + bytes (§2). */
export function encodeData(d) {
  if (typeof d == 'string') return 'm' + d;
  const b = new Uint8Array(d.length + 1);
  b[0] = M;
  b.set(d, 1);
  return b;
}

/** Splits a received WebSocket message (string or ArrayBuffer) by its prefix: `['m', payload]` or `['c', json]`; throws a SyntaxError otherwise (§2). */
export function decodeMessage(d) {
  if (typeof d == 'string') {
    if (d[0] == 'm' || d[0] == 'c') return [d[0], d.slice(1)];
  } else if (new Uint8Array(d, 0, Math.min(1, d.byteLength))[0] === M) {
    return ['m', new Uint8Array(d.slice(1))];
  }
  throw new SyntaxError('not a session message');
}

const toBase64 = (u) => {
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromBase64 = (b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0));

/** The length in UTF-8 bytes of a string. */
const utf8Length = (s) => {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
};

// ---- Server-Sent Events, read from a stream (§8.2) --------------------

/** Reads the `text/event-stream` format chunk by chunk: `push(text)` returns the events it completed, as `{event, data, id}`. */
export class SseParser {
  buf = '';
  data = null;
  event = '';
  id = '';

  /** Takes the next chunk of decoded text; returns the events it completed. */
  push(text) {
    const out = [], b = this.buf + text, re = /\r\n|\r|\n/g;
    let m, at = 0;
    re.lastIndex = Math.max(0, this.buf.length - 1);
    // A `\r` at the very end may be the first half of a `\r\n`: keep it for the next chunk.
    while ((m = re.exec(b)) && !(m[0] == '\r' && re.lastIndex == b.length)) {
      this.line(b.slice(at, m.index), out);
      at = re.lastIndex;
    }
    this.buf = b.slice(at);
    return out;
  }

  /** Takes one line (without its end); an empty line dispatches the event. */
  line(l, out) {
    if (!l) {
      if (this.data != null) out.push({ event: this.event || 'message', data: this.data, id: this.id });
      this.data = null;
      this.event = '';
      return;
    }
    const i = l.indexOf(':');
    if (i == 0) return; // a comment
    const f = i < 0 ? l : l.slice(0, i), v = i < 0 ? '' : l.slice(i + (l[i + 1] == ' ' ? 2 : 1));
    if (f == 'data') this.data = this.data == null ? v : this.data + '\n' + v;
    else if (f == 'event') this.event = v;
    else if (f == 'id' && !v.includes('\0')) this.id = v;
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(max, min · 2^attempt)) ms. */
export const backoffDelay = (attempt, min, max, random = Math.random) =>
  random() * Math.min(max, min * 2 ** Math.min(attempt, 30));

// ---- Transports ---------------------------------------------------------
// A transport carries the session for a while. It reports to the session
// (`s.data`, `s.control`, `s.down`) and offers: `flush()` (send what the
// session has ready), `ack()`, `end(reason, code)` (end the session) and
// `drop()` (abandon it: the server keeps the session for the grace period).

/** The session over one WebSocket: every message carries its prefix (§2). */
class WsTransport {
  name = 'websocket';

  constructor(s, first) {
    this.s = s;
    try {
      const ws = this.ws = new s.o.WebSocket(s.url, s.protocols);
      ws.binaryType = 'arraybuffer';
      ws.onerror = () => {}; // a close event follows
      ws.onopen = () => ws.send(first);
      ws.onmessage = (e) => {
        let m;
        s.last = Date.now();
        try {
          m = decodeMessage(e.data);
        } catch {
          return s.fail('bad prefix');
        }
        m[0] == 'm' ? s.data(this, m[1]) : s.control(this, m[1]);
      };
      ws.onclose = (e) => s.down(this, e.code, e.reason);
    } catch {
      queueMicrotask(() => s.down(this, 1006, ''));
    }
  }

  flush() {
    for (let e; (e = this.s.pull()); ) this.ws.send(encodeData(e.d));
  }

  ack() {
    this.ws.send(encodeControl('ack', this.s.rx));
  }

  end(reason, code = 1000) {
    this.ws?.close(code, reason);
  }

  drop() {
    const ws = this.ws;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      // Not 1000 nor 44xx: a close code that detaches the session (§7).
      if (ws.readyState < CLOSING) ws.close(4000, 'reconnect');
    }
  }
}

/** The session over HTTP requests (§8): a downstream of Server-Sent Events (read by EventSource for `sse`, by fetch for `stream`) and batches POSTed up. */
class HttpTransport {
  busy = true; // a request that must finish before the next batch is in flight

  constructor(s, name, first) {
    this.s = s;
    this.name = name;
    this.acked = s.rx; // what this transport acknowledged (the resume's rx)
    this.open(first);
  }

  href(kind, token) {
    const u = new URL(this.s.http);
    u.searchParams.set('capstan', kind);
    u.searchParams.set('transport', token);
    return u.href;
  }

  post(kind, body) {
    return this.s.fetch(this.href(kind, kind == 'open' ? this.name : this.token), {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body,
    });
  }

  /** Sends `hello` or `resume` (§8.1), then opens the downstream. */
  async open(first) {
    const s = this.s;
    let r, j;
    try {
      r = await this.post('open', first);
      j = await r.json().catch(() => null);
    } catch {}
    if (this.dead) return;
    if (r?.ok && typeof j?.transport == 'string') {
      this.token = j.transport;
      this.busy = false;
      return this.listen();
    }
    // A refusal of §8.1 ends the session; anything else only failed this transport.
    const refused = REFUSALS.includes(r?.status) && typeof j?.error?.code == 'string';
    if (refused) s.err = j.error;
    s.down(this, refused ? 4000 + r.status : 1006, refused ? j.error.code : '');
  }

  listen() {
    const url = this.href(this.name, this.token);
    if (this.name == 'sse') {
      const es = this.es = new this.s.o.EventSource(url);
      for (const type of ['message', 'binary', 'control', 'close']) {
        es.addEventListener(type, (e) => this.event(type, e.data, e.lastEventId));
      }
      es.onerror = () => this.cut();
    } else this.stream(url);
  }

  async stream(url) {
    const ac = this.ac = new AbortController();
    try {
      const r = await this.s.fetch(url, { signal: ac.signal, cache: 'no-store' });
      if (!r.ok) throw r.status;
      const rd = r.body.getReader(), dec = new TextDecoder(), p = new SseParser();
      for (let c; !(c = await rd.read()).done; ) {
        for (const e of p.push(dec.decode(c.value, { stream: true }))) this.event(e.event, e.data, e.id);
      }
    } catch {}
    this.cut();
  }

  /** The downstream ended without a `close` event: a cut (§8.2). While ending, the close POST decides. */
  cut() {
    if (!this.dead && !this.ending) this.s.down(this, 1006, '');
  }

  event(type, data, id) {
    const s = this.s;
    let v;
    if (this.dead) return;
    s.last = Date.now();
    try {
      v = type == 'binary' ? fromBase64(data) : type == 'control' ? data : JSON.parse(data);
    } catch {
      return s.fail('malformed event');
    }
    if (type == 'control') s.control(this, v);
    else if (type == 'close') s.down(this, v?.code, v?.reason);
    else if (type == 'binary' || typeof v == 'string') s.data(this, v, +id);
    else s.fail('malformed event');
  }

  /** Sends the next batch (§8.3): data messages from the session, and an ack; one batch at a time. */
  flush() {
    const s = this.s, msgs = [], b = {};
    if (this.busy || !this.welcomed) return;
    const first = s.wired + 1;
    // The first message goes alone if it must; the others while the batch has room.
    for (let room = BATCH_BYTES, e; (e = s.pull(msgs.length ? room : Infinity)); room -= e.n) {
      msgs.push(typeof e.d == 'string' ? e.d : { b: toBase64(e.d) });
    }
    if (msgs.length) b.first = first, b.messages = msgs;
    if (s.rx > this.acked) b.ack = this.acked = s.rx;
    if (msgs.length || b.ack) this.send(JSON.stringify(b));
    else if (this.ending) this.close();
  }

  ack() {
    this.flush();
  }

  /** POSTs one batch, again after a network failure, until the server answers. */
  async send(body) {
    const s = this.s;
    this.busy = true;
    for (let i = 0; ; i++) {
      let r;
      try {
        r = await this.post('send', body);
      } catch {}
      if (this.dead) return;
      if (r?.status == 204) {
        this.busy = false;
        return this.flush();
      }
      if (r?.status == 400) return s.down(this, 4400, 'protocol_violation');
      if (r?.status == 413) return s.fail('message too big for the server', 1009);
      // 404 (transport gone) or 409 (a gap): resume, which says what the server has.
      if (r?.status < 500) return s.down(this, 1006, '');
      await new Promise((f) => setTimeout(f, backoffDelay(i, s.o.minDelay, s.o.maxDelay)));
    }
  }

  end(reason, code) {
    this.ending = true;
    code ? this.close() : this.flush();
  }

  /** Ends the session (§8.4) once every batch is through. */
  async close() {
    let r;
    this.busy = true;
    try {
      r = await this.post('close', '');
    } catch {}
    if (!this.dead) this.s.down(this, r?.ok ? 1000 : 1006, '');
  }

  drop() {
    this.dead = true;
    this.es?.close();
    this.ac?.abort();
  }
}

// ---- The session: numbering, resends, acks, reconnects ---------------

/** One session's state; CapstanSocket is its public face. */
class Session {
  state = CONNECTING;
  sid = null;
  hb = 0; // heartbeat_ms from welcome
  kept = []; // data messages sent and not yet acknowledged: {d, n}, the first is number acked + 1
  acked = 0;
  bytes = 0;
  wired = 0; // the last number handed to the current transport
  sent = 0; // the last number handed to any transport
  rx = 0; // data messages received
  rxAcked = 0;
  t = null; // the current transport
  known = null; // the transport that worked last
  attempt = 0;
  protocol = '';
  extensions = '';
  last = 0; // when the transport last received something
  since = 0; // when the transport was welcomed

  constructor(sock, url, protocols, o) {
    this.sock = sock;
    this.url = url.href;
    url.protocol = url.protocol.replace('ws', 'http');
    this.http = url.href;
    this.protocols = protocols;
    this.o = o;
    const f = o.fetch;
    this.fetch = (u, i) => f(u, i);
    this.binaryType = typeof Blob == 'function' ? 'blob' : 'arraybuffer';
    this.wake = (e) => this.retry && (e.type == 'online' || globalThis.document.visibilityState == 'visible') &&
      this.connect();
    this.listen('addEventListener');
    this.connect();
  }

  listen(m) {
    globalThis[m]?.('online', this.wake);
    globalThis.document?.[m]?.('visibilitychange', this.wake);
  }

  emit(type, props) {
    this.sock.dispatchEvent(Object.assign(new Event(type), props));
  }

  /** Starts a round: each transport in turn, the one that worked last first. */
  connect() {
    clearTimeout(this.retry);
    this.retry = 0;
    const k = this.o.transports, i = Math.max(0, k.indexOf(this.known));
    this.round = k.slice(i).concat(k.slice(0, i));
    this.next();
  }

  /** Opens the round's next transport with `hello` or `resume`; after the last, waits and starts again. */
  next() {
    const name = this.round.shift(), o = this.o;
    if (!name) return this.state == CLOSING ? this.finish(1006, '', false) : this.later();
    let first = encodeControl('hello', { v: 1 });
    if (this.sid) first = encodeControl('resume', { sid: this.sid, rx: this.rxAcked = this.rx });
    const t = this.t = name == 'websocket' ? new WsTransport(this, first) : new HttpTransport(this, name, first);
    this.timer = setTimeout(() => this.t == t && this.lost(), name == 'websocket' ? o.websocketTimeout : o.fallbackTimeout);
  }

  /** Schedules the next round: at once after a cut, with backoff after a round that failed. */
  later(now) {
    const delay = now ? 0 : backoffDelay(this.attempt++, this.o.minDelay, this.o.maxDelay);
    this.retry = setTimeout(() => this.connect(), delay);
    this.emit('reconnecting', { attempt: this.attempt, delay });
  }

  /** The current transport is gone without ending the session: the next one, or a resume. */
  lost() {
    const t = this.t;
    this.t = null;
    clearTimeout(this.timer);
    t?.drop();
    if (!t?.welcomed) return this.next();
    // At once after a transport that lasted; with backoff after one that did not (a flapping link).
    const lasted = Date.now() - this.since > this.o.maxDelay;
    if (lasted) this.attempt = 0;
    this.later(lasted);
  }

  /** A transport closed with `code` (§7): the session ends, or it goes on elsewhere. */
  down(t, code, reason) {
    if (t != this.t) return;
    if (code == 1000 || (code >= 4400 && code < 4500)) {
      const c = this.closing;
      if (c && code == 1000) return this.finish(c.code, c.reason, true);
      return this.finish(code, reason || this.err?.code || '', code == 1000);
    }
    this.lost();
  }

  /** Ends the session for a rule the server broke (§2, §4): close with 4400. */
  fail(reason, code = 4400) {
    this.t?.end(reason, code == 4400 ? code : 1000);
    this.finish(code, reason, false);
  }

  finish(code, reason, clean) {
    if (this.state == CLOSED) return;
    const t = this.t;
    this.state = CLOSED;
    this.t = null;
    t?.drop();
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    clearTimeout(this.ackTimer);
    this.listen('removeEventListener');
    if (!clean) this.emit('error');
    this.emit('close', { code, reason, wasClean: clean });
  }

  control(t, json) {
    let name, v;
    try {
      [name, v] = decodeControl(json);
    } catch {
      return this.fail('malformed control');
    }
    if (name == 'error') this.err = v;
    else if (name == 'welcome') this.welcome(t, v);
    else if (!t.welcomed) this.fail('control before welcome');
    else if (name == 'ack') this.take(v);
    else if (v > this.rx) this.lost(); // hb: some messages went missing, a resume sends them again (§4.6)
  }

  welcome(t, v) {
    if (t.welcomed || v.resumed != !!this.sid || (this.sid && v.sid != this.sid) || v.rx < this.acked) {
      return this.fail('unexpected welcome');
    }
    if (!this.take(v.rx)) return;
    clearTimeout(this.timer);
    t.welcomed = true;
    this.sid = v.sid;
    this.hb = v.heartbeat_ms;
    this.known = t.name;
    this.since = Date.now();
    this.wired = v.rx; // send again what the server has not received
    this.protocol = t.ws?.protocol || '';
    this.extensions = t.ws?.extensions || '';
    this.watch();
    t.flush();
    const opened = this.state == CONNECTING;
    if (opened) this.state = OPEN;
    this.emit('transport', { transport: t.name });
    this.emit(opened ? 'open' : 'resumed', opened ? {} : { transport: t.name });
    if (this.closing && this.t == t) t.end(this.closing.reason);
  }

  /** Drops the transport when nothing arrived for 2 × heartbeat_ms (§4.6). */
  watch() {
    const t = this.t, limit = 2 * this.hb, idle = Date.now() - this.last;
    if (!limit || t != this.t) return;
    if (idle >= limit) return this.lost();
    this.timer = setTimeout(() => this.t == t && this.watch(), limit - idle);
  }

  /** The server has every data message up to number `n`: forget them (§4.4). */
  take(n) {
    if (n > this.sent) return this.fail('ack beyond sent'), false;
    if (n > this.acked) {
      for (const e of this.kept.splice(0, n - this.acked)) this.bytes -= e.n;
      this.acked = n;
    }
    return true;
  }

  /** The next data message for the wire, if it is ready (a Blob being read is not) and not over `room` bytes. */
  pull(room = Infinity) {
    const e = this.kept[this.wired - this.acked];
    if (e && e.d != null && e.n <= room) return (this.sent = Math.max(this.sent, ++this.wired)), e;
  }

  /** A data message from the server; `n` is its number where the transport names it (§5). */
  data(t, d, n) {
    if (!t.welcomed) return this.fail('data before welcome');
    if (n) {
      if (n <= this.rx) return; // sent again: already delivered
      if (n > this.rx + 1) return this.lost(); // a gap: resume, which sends it again
    }
    this.rx++;
    if (this.rx - this.rxAcked >= ACK_EVERY) this.ack();
    else this.ackTimer ||= setTimeout(() => this.ack(), ACK_DELAY);
    if (this.state != OPEN) return;
    if (typeof d != 'string') d = this.binaryType == 'blob' ? new Blob([d]) : d.buffer;
    this.sock.dispatchEvent(new MessageEvent('message', { data: d }));
  }

  ack() {
    clearTimeout(this.ackTimer);
    this.ackTimer = 0;
    if (this.t?.welcomed && this.rx > this.rxAcked) {
      this.rxAcked = this.rx;
      this.t.ack();
    }
  }

  send(data) {
    if (this.state > OPEN) throw new DOMException('CapstanSocket closing or closed', 'InvalidStateError');
    let d = data, n;
    const blob = typeof Blob == 'function' && d instanceof Blob, o = this.o;
    if (blob) n = d.size, d = null;
    else if (d instanceof ArrayBuffer) d = new Uint8Array(d.slice(0));
    else if (ArrayBuffer.isView(d)) d = new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    else n = utf8Length(d = String(d));
    n ??= d.length;
    if (this.kept.length >= o.maxQueuedMessages || this.bytes + n > o.maxQueuedBytes) {
      throw new Error(`CapstanSocket: send buffer full (${this.kept.length} messages, ${this.bytes} bytes unacknowledged)`);
    }
    const e = { d, n };
    this.kept.push(e);
    this.bytes += n;
    if (blob) {
      data.arrayBuffer().then((b) => {
        e.d = new Uint8Array(b);
        if (this.t?.welcomed) this.t.flush();
      }, () => this.fail('unreadable Blob', 1011));
    }
    if (this.t?.welcomed) this.t.flush();
  }

  close(code = 1000, reason = '') {
    if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new DOMException('close code not 1000 or 3000-4999', 'InvalidAccessError');
    }
    reason = String(reason);
    if (utf8Length(reason) > 123) throw new DOMException('close reason over 123 bytes', 'SyntaxError');
    if (this.state > OPEN) return;
    if (this.state == CONNECTING) {
      // As a WebSocket closed before it opened: error, then close 1006.
      this.state = CLOSING;
      this.t?.drop();
      this.t = null;
      clearTimeout(this.retry);
      return setTimeout(() => this.finish(1006, '', false), 0);
    }
    this.state = CLOSING;
    this.closing = { code, reason };
    if (this.t?.welcomed) this.t.end(reason);
    else if (this.retry) this.connect();
  }
}

// ---- The public face -------------------------------------------------

/**
 * A drop-in for the browser's WebSocket, on a Capstan session-mode route:
 * the connection survives cuts (it resumes, nothing lost, nothing twice)
 * and falls back to HTTP where a WebSocket cannot open.
 */
export class CapstanSocket extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSING = CLOSING;
  static CLOSED = CLOSED;
  #s;
  /** Called on 'open', once: the session was first welcomed. */
  onopen = null;
  /** Called on each 'message' from the server. */
  onmessage = null;
  /** Called on 'close', once: the session is over. */
  onclose = null;
  /** Called on 'error', just before a 'close' that is not clean. */
  onerror = null;

  /** Opens a session with the route at `url` (ws:, wss:, http: or https:); `options` may come second. */
  constructor(url, protocols, options) {
    super();
    if (isObj(protocols)) [options, protocols] = [protocols, undefined];
    const o = {
      ...DEFAULTS,
      WebSocket: globalThis.WebSocket,
      EventSource: globalThis.EventSource,
      fetch: globalThis.fetch,
      ...options,
    };
    let u;
    try {
      u = new URL(url, globalThis.location?.href);
    } catch {}
    if (!/^(wss?|https?):$/.test(u?.protocol)) throw new DOMException(`invalid URL: ${url}`, 'SyntaxError');
    u.hash = '';
    u.protocol = u.protocol.replace('http', 'ws');
    const have = { websocket: o.WebSocket, sse: o.EventSource && o.fetch, stream: o.fetch };
    o.transports = o.transports.filter((n) => have[n]);
    if (!o.transports.length) throw new Error('CapstanSocket: no transport available');
    for (const k of ['open', 'message', 'close', 'error']) {
      this.addEventListener(k, (e) => typeof this['on' + k] == 'function' && this['on' + k](e));
    }
    this.#s = new Session(this, u, protocols, o);
  }

  /** CONNECTING until the session is welcomed, OPEN for the whole session (across resumes), then CLOSING, CLOSED. */
  get readyState() {
    return this.#s.state;
  }

  /** The route's URL, as a ws: or wss: URL. */
  get url() {
    return this.#s.url;
  }

  /** The subprotocol the server chose on the WebSocket transport ('' otherwise). */
  get protocol() {
    return this.#s.protocol;
  }

  /** The extensions the server chose on the WebSocket transport ('' otherwise). */
  get extensions() {
    return this.#s.extensions;
  }

  /** How binary messages arrive: 'blob' (the default where Blob exists) or 'arraybuffer'. */
  get binaryType() {
    return this.#s.binaryType;
  }

  set binaryType(v) {
    if (v == 'blob' || v == 'arraybuffer') this.#s.binaryType = v;
  }

  /** Bytes of data messages sent and not yet acknowledged by the server (queued ones included). */
  get bufferedAmount() {
    return this.#s.bytes;
  }

  /** The transport carrying the session now: 'websocket', 'sse', 'stream', or null between two. */
  get transport() {
    const t = this.#s.t;
    return t?.welcomed ? t.name : null;
  }

  /** The session's id once welcomed (a secret on unauthenticated routes), else null. */
  get sessionId() {
    return this.#s.sid;
  }

  /** Sends a data message (string, ArrayBuffer, typed array or DataView, Blob), queued while no transport is up; throws when the queue is full. */
  send(data) {
    this.#s.send(data);
  }

  /** Ends the session once what was sent is through; `code` (1000 or 3000-4999) and `reason` come back in the close event. */
  close(code, reason) {
    this.#s.close(code, reason);
  }
}

// The constants on instances too, as on a WebSocket.
Object.assign(CapstanSocket.prototype, { CONNECTING, OPEN, CLOSING, CLOSED });
