// The clock of the payloads' timestamps, as loadgen's (src/clock.rs and
// src/stamp.rs): nanoseconds since the Unix epoch, written as 20 decimal
// digits after `pub:`. Each process pairs the real-time clock with the
// monotonic one once (performance.timeOrigin, taken by Node.js at process
// start, and performance.now()), so readings never jump inside a process.
//
// Numbers, not BigInts: a double holds today's nanosecond clock to within
// 256 ns, far below the latencies measured (tens of µs and up), and keeps
// the per-message work small.

const ORIGIN_NS = performance.timeOrigin * 1e6;

/** Now, ns since the Unix epoch. */
export function nowNs() {
  return ORIGIN_NS + performance.now() * 1e6;
}

const DIGITS = 20;
/** Bytes before the padding: `pub:` + 20 digits + `:`. */
export const MIN_SIZE = 4 + DIGITS + 1;

/** The payload `pub:<ts as 20 digits>:xxx…` of `size` bytes (a probe: ts 0). */
export function stamp(ts, size) {
  const digits = String(Math.round(ts)).padStart(DIGITS, '0');
  if (digits.length !== DIGITS) throw new Error(`timestamp ${ts} does not fit 20 digits`);
  return `pub:${digits}:` + 'x'.repeat(Math.max(0, size - MIN_SIZE));
}

/**
 * The timestamp of a payload (a Buffer, or a string from Socket.IO): a
 * number (0 for a probe), or -1 if it is no stamped payload.
 */
export function parseStamp(data) {
  if (data.length < MIN_SIZE) return -1;
  const text = typeof data === 'string';
  const at = text ? (i) => data.charCodeAt(i) : (i) => data[i];
  if (at(0) !== 0x70 || at(1) !== 0x75 || at(2) !== 0x62 || at(3) !== 0x3a) return -1;
  let ts = 0;
  for (let i = 4; i < 4 + DIGITS; i++) {
    const digit = at(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    ts = ts * 10 + digit;
  }
  return at(4 + DIGITS) === 0x3a ? ts : -1;
}
