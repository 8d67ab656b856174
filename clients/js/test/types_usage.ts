// A typed use of the client, checked by `npm run types` (tsc --strict):
// the declarations in capstan.d.ts must accept this and refuse the lines
// marked @ts-expect-error.
import {
  backoffDelay, CapstanSocket, type CapstanCloseEvent, decodeControl, decodeMessage, encodeControl, encodeData, SseParser,
  type TransportName,
} from '../capstan.js';

const socket = new CapstanSocket('wss://chat.example/echo', ['v1'], { transports: ['websocket', 'sse'], maxQueuedMessages: 100 });
const other: CapstanSocket = new CapstanSocket(new URL('https://chat.example/echo'), { websocketTimeout: 1000 });
socket.binaryType = 'arraybuffer';
socket.onopen = () => socket.send('hello');
socket.onmessage = (e: MessageEvent) => console.log(e.data);
socket.onclose = (e) => console.log(e.code, e.reason, e.wasClean);
socket.addEventListener('close', (e: CapstanCloseEvent) => e.code);
socket.addEventListener('reconnecting', (e) => e.attempt + e.delay);
socket.addEventListener('resumed', (e) => e.transport);
socket.addEventListener('transport', (e) => {
  const name: TransportName = e.transport;
  return name;
});
socket.send(new Uint8Array([1, 2]));
socket.send(new ArrayBuffer(2));
socket.send(new DataView(new ArrayBuffer(1)));
socket.send(new Blob(['x']));
const state: number = socket.readyState + CapstanSocket.OPEN + socket.CLOSED;
const where: TransportName | null = socket.transport;
const id: string | null = socket.sessionId;
const queued: number = socket.bufferedAmount;
socket.close(4000, 'done');
other.close();

const [name] = decodeControl('{"ack":1}');
const text: string = encodeControl('ack', 1) + encodeData('x');
const bytes: Uint8Array = encodeData(new Uint8Array(1));
const kind: 'm' | 'c' = decodeMessage('mhi')[0];
const delay: number = backoffDelay(1, 100, 1000);
const events = new SseParser().push('data: x\n\n').map((e) => e.event + e.data + e.id);

// @ts-expect-error: binaryType is 'blob' or 'arraybuffer'
socket.binaryType = 'text';
// @ts-expect-error: transports are named
new CapstanSocket('ws://x/', { transports: ['pigeon'] });
// @ts-expect-error: readyState is read-only
socket.readyState = 1;
// @ts-expect-error: send takes data, not numbers
socket.send(42);

export { delay, events, id, kind, name, queued, state, text, bytes, where };
