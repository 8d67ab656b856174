// One connection of the driver, to a capstan node (`ws`, a plain WebSocket
// on /broadcast) or to a Socket.IO node (`socket.io-client`, WebSocket
// transport only): the same small interface for both, so that everything
// else in the driver (timing, counting, publishing) is one code.

import { io } from 'socket.io-client';
import WebSocket from 'ws';

/** The systems the driver speaks to. */
export const SYSTEMS = ['capstan', 'socketio'];

/**
 * Opens a connection of `system` to `url` (from `localAddress` if given)
 * and resolves once it can receive: the WebSocket open (capstan), or the
 * Socket.IO session connected (socket.io). The result:
 * `{ send(text), onMessage(fn(data)), onEnd(fn(why)), close() }`, where
 * `data` is a Buffer (capstan) or a string (Socket.IO).
 */
export function open(system, url, { localAddress, timeoutMs = 30000 } = {}) {
  if (system === 'capstan') return openWs(url, localAddress, timeoutMs);
  if (system === 'socketio') return openSocketIo(url, localAddress, timeoutMs);
  return Promise.reject(new Error(`unknown system ${system}`));
}

// A connection's end, told once: `end(why)` records the first reason and
// tells the handler given to `onEnd` (at once if it ended already).
function endOnce() {
  let ended = null;
  let handler = () => {};
  return {
    end: (why) => {
      if (ended === null) {
        ended = why;
        handler(why);
      }
    },
    onEnd: (fn) => {
      handler = fn;
      if (ended !== null) fn(ended);
    },
  };
}

function openWs(url, localAddress, timeoutMs) {
  return new Promise((resolve, reject) => {
    // No permessage-deflate offered (the benchmarks' protocol); ws's
    // defaults otherwise.
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      ...(localAddress ? { localAddress } : {}),
    });
    const { end, onEnd } = endOnce();
    ws.once('open', () =>
      resolve({
        send: (text) => ws.send(text),
        onMessage: (fn) => ws.on('message', (data) => fn(data)),
        onEnd,
        close: () => ws.terminate(),
      }),
    );
    ws.on('error', (e) => {
      end(`error: ${e.message}`);
      reject(e);
    });
    ws.on('close', (code) => end(`closed (${code})`));
  });
}

function openSocketIo(url, localAddress, timeoutMs) {
  return new Promise((resolve, reject) => {
    // The WebSocket transport only (no long-polling first), one Manager
    // and so one connection per client (forceNew), no reconnection: a
    // connection lost is counted, as for capstan.
    const socket = io(url.replace(/^ws:/, 'http:'), {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
      perMessageDeflate: false,
      ...(localAddress ? { localAddress } : {}),
    });
    const { end, onEnd } = endOnce();
    socket.once('connect', () =>
      resolve({
        send: (text) => socket.emit('pub', text),
        onMessage: (fn) => socket.on('m', fn),
        onEnd,
        close: () => socket.disconnect(),
      }),
    );
    socket.once('connect_error', (e) => {
      end(`connect_error: ${e.message}`);
      reject(e);
    });
    socket.on('disconnect', (reason) => end(`disconnected (${reason})`));
  });
}
