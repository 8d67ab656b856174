// Awaiting events in tests: the next one of a type, with a generous
// safety-net timeout that only turns a hang into a clear failure.

/** Resolves with the next `type` event of `target`; rejects after `ms` (a safety net, not a measurement). */
export function nextEvent(target, type, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' event within ${ms} ms`)), ms);
    target.addEventListener(type, (e) => {
      clearTimeout(timer);
      resolve(e);
    }, { once: true });
  });
}

/** Resolves with the data of the next `n` 'message' events of `socket`. */
export function messages(socket, n, ms = 20000) {
  return new Promise((resolve, reject) => {
    const got = [];
    const timer = setTimeout(() => reject(new Error(`${got.length} of ${n} messages within ${ms} ms`)), ms);
    const on = (e) => {
      got.push(e.data);
      if (got.length < n) return;
      clearTimeout(timer);
      socket.removeEventListener('message', on);
      resolve(got);
    };
    socket.addEventListener('message', on);
  });
}

/** Records every event of the given types, in order, as `type` strings. */
export function record(target, types) {
  const log = [];
  for (const t of types) target.addEventListener(t, () => log.push(t));
  return log;
}
