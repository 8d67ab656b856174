// Addresses the cross-node benchmark accepts: loopback only (127.0.0.0/8),
// dotted-quad IPv4, never a name to resolve.

/** `a.b.c.d` with a = 127, each octet 0..255; the octets, or null. */
function loopbackIp(text) {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return null;
  const octets = match.slice(1, 5).map(Number);
  if (octets.some((octet) => octet > 255) || octets[0] !== 127) return null;
  return octets.join('.');
}

/** `HOST:PORT` with HOST in 127.0.0.0/8 and PORT 0..65535: {host, port}, or null. */
export function parseLoopbackAddr(text) {
  const match = /^([0-9.]+):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const host = loopbackIp(match[1]);
  const port = Number(match[2]);
  if (host === null || port > 65535) return null;
  return { host, port };
}

/** `redis://HOST:PORT[/DB]` at a loopback address: {host, port}, or null. */
export function parseRedisUrl(text) {
  const match = /^redis:\/\/([0-9.]+:\d{1,5})(\/\d+)?$/.exec(text);
  return match === null ? null : parseLoopbackAddr(match[1]);
}

/** `ws://HOST:PORT[/PATH]` at a loopback address: {host, port, path}, or null. */
export function parseWsUrl(text) {
  const match = /^ws:\/\/([0-9.]+:\d{1,5})(\/[^\s#]*)?$/.exec(text);
  if (match === null) return null;
  const addr = parseLoopbackAddr(match[1]);
  return addr === null ? null : { ...addr, path: match[2] ?? '/' };
}
