// A WebSocket stand-in driven by the test: it records what the client
// sends and lets the test play the server (open, messages, close).

/** A fake WebSocket; every instance is listed in `FakeWebSocket.all`. */
export class FakeWebSocket {
  static all = [];
  readyState = 0;
  protocol = '';
  extensions = '';
  binaryType = 'blob';
  sent = [];
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    FakeWebSocket.all.push(this);
  }

  /** The most recent instance. */
  static get last() {
    return FakeWebSocket.all.at(-1);
  }

  send(data) {
    if (this.readyState != 1) throw new Error('send on a fake socket that is not open');
    this.sent.push(data);
  }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }

  /** The server accepts the upgrade. */
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server sends `data` (a string, or bytes given as an array). */
  receive(data) {
    this.onmessage?.({ data: typeof data == 'string' ? data : new Uint8Array(data).buffer });
  }

  /** The server sends a control. */
  control(name, value) {
    this.receive('c' + JSON.stringify({ [name]: value }));
  }

  /** The connection ends with `code`. */
  end(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The controls sent, parsed. */
  get controls() {
    return this.sent.filter((m) => typeof m == 'string' && m[0] == 'c').map((m) => JSON.parse(m.slice(1)));
  }

  /** The data messages sent, without their prefix (bytes as arrays). */
  get data() {
    return this.sent.filter((m) => typeof m != 'string' || m[0] == 'm')
      .map((m) => (typeof m == 'string' ? m.slice(1) : [...m.subarray(1)]));
  }
}
