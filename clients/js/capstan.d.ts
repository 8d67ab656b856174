// Types of capstan.js, Capstan's browser client for resumable sessions
// (docs/SESSIONS.md).

/** Names of the transports a session can run over. */
export type TransportName = 'websocket' | 'sse' | 'stream';

/** What `send` accepts, as the browser's WebSocket does. */
export type SendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** Options of a CapstanSocket; every one has a default. */
export interface CapstanSocketOptions {
  /** Transports to try, in order (default ['websocket', 'sse', 'stream']); the one that worked last goes first on a reconnect. */
  transports?: TransportName[];
  /** Milliseconds a WebSocket has to open and be welcomed before the next transport is tried (default 3000). */
  websocketTimeout?: number;
  /** Milliseconds a fallback transport has to be welcomed (default 10000). */
  fallbackTimeout?: number;
  /** Backoff between rounds of reconnection: the first bound in ms (default 250). */
  minDelay?: number;
  /** Backoff between rounds of reconnection: the largest bound in ms (default 10000). */
  maxDelay?: number;
  /** Most data messages kept unacknowledged (queued ones included) before `send` throws (default 10000). */
  maxQueuedMessages?: number;
  /** Most bytes of data messages kept unacknowledged before `send` throws (default 16 MiB). */
  maxQueuedBytes?: number;
  /** The WebSocket constructor (default globalThis.WebSocket). */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocketLike;
  /** The EventSource constructor for 'sse' (default globalThis.EventSource). */
  EventSource?: new (url: string) => EventSourceLike;
  /** The fetch function for the fallbacks (default globalThis.fetch). */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

/** The part of the WebSocket API the client uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  readonly extensions: string;
  onopen: ((ev: any) => any) | null;
  onmessage: ((ev: { data: any }) => any) | null;
  onclose: ((ev: { code: number; reason: string }) => any) | null;
  onerror: ((ev: any) => any) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** The part of the EventSource API the client uses. */
export interface EventSourceLike {
  onerror: ((ev: any) => any) | null;
  addEventListener(type: string, listener: (ev: { data: string; lastEventId: string }) => void): void;
  close(): void;
}

/** 'close': the session is over. */
export interface CapstanCloseEvent extends Event {
  /** The close code: 1000 (closed by either side), 4400-4499 (§6 of SESSIONS.md), 1006 (given up), or the code passed to close(). */
  readonly code: number;
  readonly reason: string;
  /** True when the session ended as asked (close code 1000 or the app's own close()). */
  readonly wasClean: boolean;
}

/** 'reconnecting': the transport is gone and a new round of connections starts after `delay` ms. */
export interface CapstanReconnectingEvent extends Event {
  /** 0 when reconnecting at once; else how many backoff delays in a row, this one included. */
  readonly attempt: number;
  readonly delay: number;
}

/** 'transport' (each time a transport is welcomed) and 'resumed' (each resume). */
export interface CapstanTransportEvent extends Event {
  readonly transport: TransportName;
}

/** The events of a CapstanSocket and their types. */
export interface CapstanSocketEventMap {
  open: Event;
  message: MessageEvent;
  close: CapstanCloseEvent;
  error: Event;
  reconnecting: CapstanReconnectingEvent;
  resumed: CapstanTransportEvent;
  transport: CapstanTransportEvent;
}

/**
 * A drop-in for the browser's WebSocket on a Capstan session-mode route:
 * the connection survives cuts and falls back to HTTP where a WebSocket
 * cannot open.
 */
export declare class CapstanSocket extends EventTarget {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;

  /** Opens a session with the route at `url` (ws:, wss:, http: or https:). */
  constructor(url: string | URL, protocols?: string | string[], options?: CapstanSocketOptions);
  /** Opens a session with the route at `url`, with options and no subprotocol. */
  constructor(url: string | URL, options: CapstanSocketOptions);

  /** CONNECTING until welcomed, OPEN for the whole session across resumes, then CLOSING, CLOSED. */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The route's URL as a ws: or wss: URL. */
  readonly url: string;
  /** The subprotocol the server chose on a WebSocket transport ('' otherwise). */
  readonly protocol: string;
  /** The extensions the server chose on a WebSocket transport ('' otherwise). */
  readonly extensions: string;
  /** How binary messages arrive. */
  binaryType: 'blob' | 'arraybuffer';
  /** Bytes of data messages sent and not yet acknowledged by the server. */
  readonly bufferedAmount: number;
  /** The transport carrying the session now, or null between two. */
  readonly transport: TransportName | null;
  /** The session's id once welcomed, else null. */
  readonly sessionId: string | null;

  onopen: ((this: CapstanSocket, ev: Event) => any) | null;
  onmessage: ((this: CapstanSocket, ev: MessageEvent) => any) | null;
  onclose: ((this: CapstanSocket, ev: CapstanCloseEvent) => any) | null;
  onerror: ((this: CapstanSocket, ev: Event) => any) | null;

  /** Sends a data message; queued while no transport is up; throws when the queue is full or the socket is closing. */
  send(data: SendData): void;
  /** Ends the session once what was sent is through. */
  close(code?: number, reason?: string): void;

  addEventListener<K extends keyof CapstanSocketEventMap>(
    type: K,
    listener: (this: CapstanSocket, ev: CapstanSocketEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CapstanSocketEventMap>(
    type: K,
    listener: (this: CapstanSocket, ev: CapstanSocketEventMap[K]) => any,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** An event of the `text/event-stream` format. */
export interface SseEvent {
  event: string;
  data: string;
  id: string;
}

/** Reads the `text/event-stream` format chunk by chunk. */
export declare class SseParser {
  /** Takes the next chunk of decoded text; returns the events it completed. */
  push(text: string): SseEvent[];
}

/** The wire text of a control: `c` and a one-key JSON object. */
export declare function encodeControl(name: string, value: unknown): string;
/** Reads a server control's JSON (without its `c`); throws a SyntaxError when malformed. */
export declare function decodeControl(json: string): [name: 'welcome' | 'ack' | 'hb' | 'error', value: any];
/** A data message as a WebSocket sends it: 'm' + text, or 0x6D + bytes. */
export declare function encodeData(data: string): string;
export declare function encodeData(data: Uint8Array): Uint8Array;
/** Splits a received WebSocket message by its prefix; throws a SyntaxError when it has none. */
export declare function decodeMessage(data: string | ArrayBuffer): ['m', string | Uint8Array] | ['c', string];
/** Exponential backoff with full jitter: a random delay in [0, min(max, min * 2^attempt)) ms. */
export declare function backoffDelay(attempt: number, min: number, max: number, random?: () => number): number;
