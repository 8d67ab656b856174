// A small EventSource for Node (which has none before v22), for the `sse`
// transport's tests: a GET read as text/event-stream, each event
// dispatched by its type. No automatic reconnection: the client closes
// it on error anyway. Written apart from capstan.js's own parser, so that
// the tests do not check the client against itself.
import http from 'node:http';

/** A minimal HTML EventSource: addEventListener, onerror, close(), readyState. */
export class NodeEventSource extends EventTarget {
  readyState = 0;
  onerror = null;
  /** Every instance made, for tests that count them. */
  static made = 0;

  constructor(url) {
    super();
    NodeEventSource.made++;
    this.url = url;
    this.request = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode != 200 || !/^text\/event-stream/.test(res.headers['content-type'])) {
        res.resume();
        return this.fail();
      }
      this.readyState = 1;
      res.setEncoding('utf8');
      let pending = '', fields = { data: [], event: '', id: '' }, lastId = '';
      res.on('data', (text) => {
        const lines = (pending + text).split('\n');
        pending = lines.pop();
        for (const line of lines) {
          if (line === '') {
            if (fields.data.length && this.readyState == 1) {
              const e = new Event(fields.event || 'message');
              Object.assign(e, { data: fields.data.join('\n'), lastEventId: lastId });
              this.dispatchEvent(e);
            }
            fields = { data: [], event: '', id: '' };
            continue;
          }
          const colon = line.indexOf(':');
          const name = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (name == 'data') fields.data.push(value);
          else if (name == 'event') fields.event = value;
          else if (name == 'id') lastId = value;
        }
      });
      res.on('end', () => this.fail());
      res.on('error', () => this.fail());
    });
    this.request.on('error', () => this.fail());
  }

  fail() {
    if (this.readyState == 2) return;
    this.readyState = 2;
    const e = new Event('error');
    this.dispatchEvent(e);
    this.onerror?.(e);
  }

  close() {
    this.readyState = 2;
    this.request.destroy();
  }
}
